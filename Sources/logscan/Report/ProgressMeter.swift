import LogScan
#if canImport(Glibc)
import Glibc
#endif

/// A progress bar on stderr for long scans (replay, grep, verify): bytes
/// done of the inputs' total, rate and ETA, redrawn in place at most five
/// times a second. Only for a terminal (`ReportOptionGroup.wantsProgress`).
///
/// The scan tells it where it is per record (`advance(to:)`: one add and
/// one mask test; the clock is read every 1024 records), and which segment
/// it is in (`beginSegment`): progress is the size of the segments done
/// plus the position in the current one.
final class ProgressMeter {
    private let sizes: [String: Int64]
    private let total: Int64
    private var finished: Int64 = 0
    private var currentSize: Int64 = 0
    private var position: Int64 = 0
    private var ticks: UInt64 = 0
    private let started: Int64
    private var lastDraw: Int64 = 0
    private var drawn = false
    private var out = OutputBuffer(fd: 2, capacity: 512)

    init(files: [(path: String, size: Int64)]) {
        var sizes: [String: Int64] = [:]
        for file in files { sizes[file.path] = file.size }
        self.sizes = sizes
        total = files.reduce(0) { $0 + $1.size }
        started = ProgressMeter.nowNanos()
    }

    func beginSegment(path: String) {
        finished += currentSize
        currentSize = sizes[path] ?? 0
        position = 0
    }

    @inline(__always)
    func advance(to position: Int64) {
        self.position = position
        ticks &+= 1
        if ticks & 1023 == 0 { tick() }
    }

    private func tick() {
        let now = ProgressMeter.nowNanos()
        guard now - lastDraw >= 200_000_000 else { return }
        lastDraw = now
        draw(now: now)
    }

    private func draw(now: Int64) {
        let done = min(total, finished + min(position, currentSize))
        let fraction = total > 0 ? Double(done) / Double(total) : 0
        let seconds = Double(now - started) / 1e9
        let rate = seconds > 0 ? Double(done) / seconds : 0
        let eta = rate > 0 ? Double(total - done) / rate : .infinity
        let width = 24
        let filled = min(width, Int(fraction * Double(width)))
        var line = "\r["
        line += String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "] "
        line += Human.fixed(fraction * 100, 1) + "% " + Human.bytes(Double(done)) + " / " + Human.bytes(Double(total))
        line += "  " + Human.bytes(rate) + "/s  ETA " + Human.duration(eta) + "\u{1B}[K"
        out.string(line)
        out.flush()
        drawn = true
    }

    /// Erases the bar (before a diagnostic line, and at the end).
    func clear() {
        guard drawn else { return }
        out.ascii("\r\u{1B}[K")
        out.flush()
        drawn = false
        lastDraw = 0
    }

    private static func nowNanos() -> Int64 {
        var clock = timespec()
        clock_gettime(CLOCK_MONOTONIC, &clock)
        return Int64(clock.tv_sec) * 1_000_000_000 + Int64(clock.tv_nsec)
    }
}

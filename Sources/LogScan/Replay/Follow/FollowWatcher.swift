#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// How a followed replay waits for the writer (`replay --follow`).
/// Following applies to the last log a replay reads: a replay of several
/// paths reads the others to their ends first (the CLI takes one path).
public struct FollowOptions: Sendable, Equatable {
    /// How long an incomplete record or block at the end of the log is
    /// waited for before it counts as damage (a torn tail) as usual.
    public var partialTailTimeoutMillis: Int
    /// With inotify: the longest sleep between checks (inotify wakes us
    /// sooner). Without it: the polling period.
    public var pollIntervalMillis: Int
    /// Use inotify where the system has it; false forces polling.
    public var useInotify: Bool

    public static let defaultPartialTailTimeoutMillis = 5_000

    public init(partialTailTimeoutMillis: Int = FollowOptions.defaultPartialTailTimeoutMillis,
                pollIntervalMillis: Int = 50, useInotify: Bool = true) {
        self.partialTailTimeoutMillis = partialTailTimeoutMillis
        self.pollIntervalMillis = max(1, pollIntervalMillis)
        self.useInotify = useInotify
    }
}

/// A request, from any thread, that a replay end at its next step: a
/// followed replay waiting for the writer notices within one poll interval.
public final class ReplayStop: Sendable {
    private let flag = Atomic<Bool>(false)

    public init() {}

    public func request() { flag.store(true, ordering: .releasing) }

    public var isRequested: Bool { flag.load(ordering: .acquiring) }
}

/// Waits for a followed log to change: inotify on the log's directory
/// (which reports writes to the files in it as well as new names), or a
/// plain sleep when inotify is not available. Either way a wait lasts at
/// most one poll interval, so stop requests and missed events are noticed.
final class FollowWatcher {
    private var fd: Int32 = -1
    let pollIntervalMillis: Int
    /// "inotify" or "polling", for --stats.
    var mechanism: String { fd >= 0 ? "inotify" : "polling" }

    init(directory: String, options: FollowOptions) {
        pollIntervalMillis = options.pollIntervalMillis
        #if os(Linux)
        guard options.useInotify else { return }
        let fd = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard fd >= 0 else { return }
        let mask = UInt32(IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE | IN_ATTRIB | IN_DELETE)
        guard inotify_add_watch(fd, directory, mask) >= 0 else {
            close(fd)
            return
        }
        self.fd = fd
        #endif
    }

    deinit {
        if fd >= 0 { close(fd) }
    }

    /// Returns when something in the directory changed, or after at most
    /// `millis` (default: the poll interval).
    func wait(millis: Int? = nil) {
        let timeout = min(millis ?? pollIntervalMillis, pollIntervalMillis)
        guard fd >= 0 else {
            var duration = timespec(tv_sec: timeout / 1000, tv_nsec: (timeout % 1000) * 1_000_000)
            var left = timespec()
            while nanosleep(&duration, &left) != 0 && errno == EINTR { duration = left }
            return
        }
        var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        _ = poll(&entry, 1, Int32(timeout))
        drain()
    }

    /// Discards the queued events: they only mean "look again".
    private func drain() {
        // An event with a name takes up to 16 + NAME_MAX + 1 bytes; a
        // smaller buffer makes read fail with EINVAL.
        withUnsafeTemporaryAllocation(byteCount: 4096, alignment: 8) { raw in
            while read(fd, raw.baseAddress!, raw.count) > 0 {}
        }
    }
}

/// Milliseconds on the monotonic clock (deadlines, elapsed times).
func monotonicMillis() -> Int64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
}

#if canImport(Glibc)
import Glibc
#endif
import CLogScanSupport

/// One way of reading a log that `logscan bench` compares. Each maps to the
/// `IOOptions` a replay would be given; `auto` is what logscan picks itself.
public enum BenchPath: String, CaseIterable, Sendable {
    case auto
    /// Mapped windows, no advice: the kernel's fault-around alone.
    case mmap
    case mmapPopulate = "mmap-populate"
    /// MADV_SEQUENTIAL per window, POSIX_FADV_WILLNEED on the next.
    case mmapSequential = "mmap-sequential"
    /// MADV_WILLNEED on each window as it is mapped, POSIX_FADV_WILLNEED on the next (`--io mmap`).
    case mmapWillneed = "mmap-willneed"
    case mmapHugetlb = "mmap-hugetlb"
    /// pread into one 1 MiB buffer, synchronously.
    case pread
    /// pread on a reading thread into a ring of 1 MiB chunks (`--io pread`).
    case preadReadAhead = "pread-readahead"
    /// O_DIRECT pread on the reading thread (`--io direct`).
    case direct = "o-direct"

    /// The pread paths' buffer: 1 MiB measured best of 256 KiB / 1 MiB /
    /// 4 MiB on warm data here (docs/BENCHMARKS.md); larger only adds RSS.
    public static let readBufferBytes = 1 << 20

    public var io: IOOptions {
        var o = IOOptions(readBufferBytes: Self.readBufferBytes)
        switch self {
        case .auto: break
        case .mmap: o.mode = .mmap; o.populate = false; o.advice = .none
        case .mmapPopulate: o.mode = .mmap; o.populate = true; o.advice = .none
        case .mmapSequential: o.mode = .mmap; o.populate = false; o.advice = .sequential
        case .mmapWillneed: o.mode = .mmap; o.populate = false; o.advice = .willneed
        case .mmapHugetlb: o.mode = .mmap; o.hugePages = true
        case .pread: o.mode = .pread; o.readAheadThread = false
        case .preadReadAhead: o.mode = .pread
        case .direct: o.mode = .direct
        }
        return o
    }

    /// nil when the path can read these files; else why not, as "n/a: ...".
    public func unavailableReason(files: [String]) -> String? {
        switch self {
        case .mmapHugetlb:
            for path in files {
                guard let file = try? OpenFile(path: path), file.hugetlbPageSize != nil else { return "n/a: not on hugetlbfs" }
            }
            return nil
        case .direct:
            for path in files {
                guard let file = try? OpenFile(path: path) else { return "n/a: cannot open \(path)" }
                let e = logscan_set_direct(file.descriptor.rawValue)
                if e == EINVAL { return "n/a: filesystem refuses O_DIRECT" }
                if e != 0 { return "n/a: O_DIRECT: \(errnoDescription(e))" }
            }
            return nil
        default:
            return nil
        }
    }
}

/// What one run of one path measured, inside the process that ran it.
public struct BenchMeasurement: Sendable, Equatable {
    public var path: String
    public var records: Int
    /// Bytes of the segment files read.
    public var fileBytes: Int64
    public var seconds: Double
    public var minorFaults: Int64
    public var majorFaults: Int64
    /// ru_maxrss of the process (its whole life, start-up included).
    public var peakRSSBytes: Int64
    public var userSeconds: Double
    public var systemSeconds: Double
    /// Page-cache residency of the files just before the scan (0...1).
    public var residentBefore: Double?
    /// `IOReport.summary` of the first segment (every segment takes the same path).
    public var io: String
    public var failures: Int
    public var damaged: Bool

    public init(path: String, records: Int, fileBytes: Int64, seconds: Double, minorFaults: Int64, majorFaults: Int64,
                peakRSSBytes: Int64, userSeconds: Double, systemSeconds: Double, residentBefore: Double?, io: String,
                failures: Int, damaged: Bool) {
        self.path = path
        self.records = records
        self.fileBytes = fileBytes
        self.seconds = seconds
        self.minorFaults = minorFaults
        self.majorFaults = majorFaults
        self.peakRSSBytes = peakRSSBytes
        self.userSeconds = userSeconds
        self.systemSeconds = systemSeconds
        self.residentBefore = residentBefore
        self.io = io
        self.failures = failures
        self.damaged = damaged
    }

    public var megabytesPerSecond: Double { seconds > 0 ? Double(fileBytes) / 1e6 / seconds : 0 }
}

/// The pieces of `logscan bench` that touch the system: listing an input's
/// files, warming and evicting them, and one measured replay.
public enum IOBench {
    /// The segment files of the inputs, in replay order, with their sizes.
    public static func files(of paths: [String], kind: LogKind) -> [(path: String, size: Int64)] {
        ScanMeasurement(paths: paths, kind: kind, measureResidency: false).files
    }

    /// Counts the records of `paths` the way `replay --count` does, through
    /// `path`'s I/O options, and measures it with getrusage around the scan.
    public static func run(_ path: BenchPath, paths: [String], kind: LogKind) -> BenchMeasurement {
        let files = files(of: paths, kind: kind)
        let resident = residency(files.map(\.path))
        var options = ReplayOptions(kind: kind, io: path.io)
        options.recovery = .pointInTime
        let replayer = LogReplayer(options: options)
        let start = ResourceUsage.now()
        let summary = replayer.count(paths) { _, _, _ in }
        let end = ResourceUsage.now()
        return BenchMeasurement(
            path: path.rawValue, records: summary.records, fileBytes: files.reduce(0) { $0 + $1.size },
            seconds: Double(end.monotonicNanos - start.monotonicNanos) / 1e9,
            minorFaults: end.minorFaults - start.minorFaults, majorFaults: end.majorFaults - start.majorFaults,
            peakRSSBytes: end.peakRSSBytes, userSeconds: end.userSeconds - start.userSeconds,
            systemSeconds: end.systemSeconds - start.systemSeconds,
            residentBefore: resident,
            io: summary.io.first?.report.summary ?? "-", failures: summary.failures, damaged: summary.damaged)
    }

    /// Reads every file once with read() (untimed), so that a warm run finds
    /// them in the page cache. Returns the bytes read.
    @discardableResult
    public static func warm(_ files: [String]) -> Int64 {
        let size = 1 << 20
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 4096)
        defer { buffer.deallocate() }
        var total: Int64 = 0
        for path in files {
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { continue }
            while true {
                let n = read(fd, buffer, size)
                if n <= 0 { break }
                total += Int64(n)
            }
            close(fd)
        }
        return total
    }

    /// Evicts the files from the page cache: fdatasync (dirty pages cannot
    /// be dropped) and posix_fadvise(POSIX_FADV_DONTNEED) on each, and as
    /// root also sync + `echo 1 > /proc/sys/vm/drop_caches`. Returns what was
    /// done, one phrase per step, for the report.
    public static func evict(_ files: [String], dropCaches: Bool = true) -> [String] {
        var done: [String] = []
        var advised = 0, refused = 0
        for path in files {
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { refused += 1; continue }
            _ = fdatasync(fd)
            if posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED) == 0 { advised += 1 } else { refused += 1 }
            close(fd)
        }
        done.append("posix_fadvise(POSIX_FADV_DONTNEED) on \(advised) file\(advised == 1 ? "" : "s")"
                    + (refused > 0 ? " (\(refused) refused)" : ""))
        if dropCaches {
            if geteuid() == 0 {
                sync()
                let fd = open("/proc/sys/vm/drop_caches", O_WRONLY | O_CLOEXEC)
                var ok = false
                if fd >= 0 {
                    ok = write(fd, "1\n", 2) == 2
                    close(fd)
                }
                done.append(ok ? "sync; echo 1 > /proc/sys/vm/drop_caches" : "drop_caches refused (\(errnoDescription(errno)))")
            } else {
                done.append("not root: /proc/sys/vm/drop_caches left alone")
            }
        }
        return done
    }

    /// Page-cache residency of the files together (0...1), nil when unknown.
    public static func residency(_ files: [String]) -> Double? {
        var resident = 0, total = 0
        for path in files {
            if let pages = PageCacheResidency.pages(ofFile: path) { resident += pages.resident; total += pages.total }
        }
        return total > 0 ? Double(resident) / Double(total) : nil
    }
}

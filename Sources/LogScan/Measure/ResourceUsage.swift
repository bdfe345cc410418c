#if canImport(Glibc)
import Glibc
#endif

/// What the process has cost so far, from getrusage(RUSAGE_SELF): the
/// difference of two snapshots is what a scan cost.
public struct ResourceUsage: Sendable, Equatable {
    /// Page faults served without I/O (the page was in the page cache, or
    /// was zero-filled): the price of touching mapped memory.
    public var minorFaults: Int64
    /// Page faults that had to wait for the disk.
    public var majorFaults: Int64
    /// Peak resident set size of the process, in bytes (the kernel's
    /// high-water mark: it never goes down).
    public var peakRSSBytes: Int64
    public var userSeconds: Double
    public var systemSeconds: Double
    /// Monotonic clock, in nanoseconds (only differences mean anything).
    public var monotonicNanos: Int64

    public static func now() -> ResourceUsage {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        var clock = timespec()
        clock_gettime(CLOCK_MONOTONIC, &clock)
        return ResourceUsage(
            minorFaults: Int64(usage.ru_minflt), majorFaults: Int64(usage.ru_majflt),
            peakRSSBytes: Int64(usage.ru_maxrss) * 1024,  // Linux reports KiB
            userSeconds: Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6,
            systemSeconds: Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6,
            monotonicNanos: Int64(clock.tv_sec) * 1_000_000_000 + Int64(clock.tv_nsec))
    }
}

/// How much of a file is in the page cache, from mincore(2) over a mapping
/// of the whole file. Mapping without touching reads nothing and faults
/// nothing in, so measuring does not change what it measures.
public enum PageCacheResidency {
    /// Resident pages / pages of the file, in 0...1; nil for an empty file,
    /// a stream, or a file that cannot be mapped.
    public static func fraction(ofFile path: String) -> Double? {
        guard let counts = pages(ofFile: path), counts.total > 0 else { return nil }
        return Double(counts.resident) / Double(counts.total)
    }

    /// (resident pages, pages) of the file.
    public static func pages(ofFile path: String) -> (resident: Int, total: Int)? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, st.st_size > 0 else { return nil }
        let length = Int(st.st_size)
        guard let base = mmap(nil, length, PROT_READ, MAP_SHARED, fd, 0), base != MAP_FAILED else { return nil }
        defer { munmap(base, length) }
        let page = PageSize.bytes
        let total = (length + page - 1) / page
        var vector = [UInt8](repeating: 0, count: total)
        let ok = vector.withUnsafeMutableBufferPointer { mincore(base, length, $0.baseAddress!) == 0 }
        guard ok else { return nil }
        var resident = 0
        for byte in vector where byte & 1 != 0 { resident += 1 }
        return (resident, total)
    }
}

#if canImport(Glibc)
import Glibc
#endif

/// How much of an open file is in the page cache, measured without reading
/// it: mincore(2) over a mapping that is never touched (mapping faults
/// nothing in). `--io auto` asks before a scan: warm files are mapped, cold
/// large ones read with pread ahead of the cursor (docs/BENCHMARKS.md,
/// "I/O paths", has the measurements behind that).
enum PageCacheProbe {
    /// Pages looked at, at most: large files are sampled in evenly spread
    /// runs, so the probe costs the same for 10 MiB and 100 GiB.
    static let samplePages = 4096
    static let runPages = 256

    /// Resident share of the file, 0...1; nil when it cannot be told.
    static func residentFraction(fd: Int32, size: Int64) -> Double? {
        guard size > 0, size <= Int64(Int.max) else { return nil }
        let length = Int(size)
        guard let base = mmap(nil, length, PROT_READ, MAP_SHARED, fd, 0), base != MAP_FAILED else { return nil }
        defer { munmap(base, length) }
        let page = PageSize.bytes
        let pages = (length + page - 1) / page
        var vector = [UInt8](repeating: 0, count: min(pages, samplePages))
        var resident = 0, looked = 0
        // Whole file when small; else `samplePages / runPages` runs spread evenly.
        let runs = pages <= samplePages ? 1 : samplePages / runPages
        let run = pages <= samplePages ? pages : runPages
        for r in 0..<runs {
            let first = runs == 1 ? 0 : (pages - run) * r / (runs - 1)
            let ok = vector.withUnsafeMutableBufferPointer {
                mincore(base + first * page, min(run * page, length - first * page), $0.baseAddress!) == 0
            }
            guard ok else { return nil }
            for i in 0..<run where vector[i] & 1 != 0 { resident += 1 }
            looked += run
        }
        return Double(resident) / Double(looked)
    }
}

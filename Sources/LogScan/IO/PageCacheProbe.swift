#if canImport(Glibc)
import Glibc
#endif
import CLogScanSupport

/// How much of an open file is in the page cache, measured without reading
/// it: mincore(2) over a mapping that is never touched (mapping faults
/// nothing in); and, for a warm file, in what size of folios, from the
/// faults it takes to touch a few cached runs of it. `--io auto` asks both
/// before a scan (ByteSource.autoPath; docs/BENCHMARKS.md, "I/O paths", and
/// docs/DESIGN.md, "I/O", have the measurements behind the choices).
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

    /// Pages of a run that one fault maps, at least: 16 when the page cache
    /// holds the file in order-0 folios (the kernel's fault-around, 64 KiB),
    /// about 100 and more when it holds large folios (a file read back from
    /// disk through read-ahead, on kernels whose file system makes them).
    static let largeFolioPagesPerFault = 32.0
    static let faultRunBytes = 2 << 20
    static let faultRuns = 5

    /// Pages mapped per fault over up to `faultRuns` 2 MiB runs of the file
    /// (evenly spread from its start to its end, 2 MiB-aligned, so a
    /// PMD-sized folio lies in one run), each touched once per page. The
    /// faults add up over the runs, so runs in order-0 folios outweigh runs
    /// in large ones (a file partly rewritten, partly read back, is copied).
    /// A run with a page not in the cache is skipped: touching it would read
    /// the disk. nil when no run could be measured. Costs ~2,500 page
    /// touches and ~160 faults at most.
    static func pagesPerFault(fd: Int32, size: Int64) -> Double? {
        let run = faultRunBytes, page = PageSize.bytes
        guard size >= Int64(run), run % page == 0 else { return nil }
        let span = size - Int64(run)
        var offsets: [Int64] = []
        for i in 0..<Int64(faultRuns) {
            let offset = (span * i / Int64(faultRuns - 1)) & ~Int64(run - 1)
            if !offsets.contains(offset) { offsets.append(offset) }
        }
        var vector = [UInt8](repeating: 0, count: run / page)
        var faults = 0, pages = 0
        for offset in offsets {
            // At a 2 MiB-aligned address, so that a PMD-sized folio can be
            // mapped whole whatever the file system's placement of mappings:
            // reserve twice the run, map the file over its aligned middle.
            guard let reserved = mmap(nil, 2 * run, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
                  reserved != MAP_FAILED else { continue }
            defer { munmap(reserved, 2 * run) }  // the file's mapping with it
            let aligned = (UInt(bitPattern: reserved) + UInt(run - 1)) & ~UInt(run - 1)
            guard let base = mmap(UnsafeMutableRawPointer(bitPattern: aligned), run, PROT_READ, MAP_SHARED | MAP_FIXED,
                                  fd, off_t(offset)), base != MAP_FAILED else { continue }
            let resident = vector.withUnsafeMutableBufferPointer { v in
                mincore(base, run, v.baseAddress!) == 0 && v.allSatisfy { $0 & 1 != 0 }
            }
            guard resident else { continue }
            // Under the SIGBUS guard: the file may be truncated after mincore.
            var touch = FaultTouch(base: UnsafeRawPointer(base), length: run, page: page, faults: -1)
            let cut = withSigbusGuard(&touch) { raw in
                let t = guardedContext(raw, as: FaultTouch.self)
                t.pointee.faults = logscan_faults_touching(t.pointee.base, t.pointee.length, t.pointee.page)
            }
            guard cut == nil, touch.faults >= 0 else { continue }
            faults += max(Int(touch.faults), 1)
            pages += run / page
        }
        guard pages > 0 else { return nil }
        return Double(pages) / Double(faults)
    }

    private struct FaultTouch: BitwiseCopyable {
        var base: UnsafeRawPointer
        var length: Int
        var page: Int
        var faults: Int64
    }
}

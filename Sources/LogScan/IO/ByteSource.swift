#if canImport(Glibc)
import Glibc
#endif
import CLogScanSupport

/// The bytes of one file, addressed by offset, however they are obtained:
/// a mapping (one window for files that fit, bounded sliding windows for the
/// rest), pread into a reusable buffer, or read() from a pipe. Format readers
/// ask for `bytes(at:count:)` once per block or batch, never per record.
///
/// A view returned by `bytes` stays valid until the next call: the window it
/// points into may then be unmapped, or the buffer refilled.
public final class ByteSource {
    /// The open file, or nil for bytes already in memory (`init(memory:)`).
    public let file: OpenFile?
    public let path: String
    public let options: IOOptions
    public private(set) var report: IOReport
    /// Known size (nil for a stream until it ends). Refreshed by `refreshSize()`.
    public private(set) var size: Int64?
    /// Hint: the caller reads front to back (read-ahead pays).
    public var sequential = true

    /// The current window's owner; `windowBase`/`windowStart`/`windowLength`
    /// describe it (kept apart so the fast path never touches the owner).
    private var window: MappedRegion?
    private var windowBase: UnsafeRawPointer?
    private var windowStart: Int64 = 0
    private var windowLength: Int64 = 0
    private var windowSlot: Int32 = -1
    private var buffer: ReadBuffer?
    /// Sequential scans through pread or read() go through a reading thread.
    private let readsAhead: Bool
    private var readAhead: ReadAhead?
    /// O_DIRECT alignment (bytes) when the descriptor reads around the page cache.
    private let directAlignment: Int?
    private let mapAlignment: Int
    /// The advice mapped scan windows get: `options.advice`, or none when
    /// `--io auto` found every page it sampled in the page cache.
    private let advice: IOOptions.Advice

    public init(file: OpenFile, options: IOOptions, purpose: Purpose = .scan) throws(LogScanError) {
        self.file = file
        self.path = file.path
        self.options = options
        let hugetlb = options.hugePages && file.hugetlbPageSize != nil
        // A hugetlbfs file can only be mapped at huge-page offsets, with or
        // without MAP_HUGETLB (`logscan bench` caught `--io mmap` failing at
        // its second window there).
        mapAlignment = file.hugetlbPageSize ?? PageSize.bytes

        let ioPath: IOReport.Path
        var autoReason: String? = nil
        var allCached = false
        var readAheadThread = options.readAheadThread
        if !file.isSeekable {
            if file.kind == .directory {
                throw LogScanError(path: file.path, .system(operation: "read", errno: EISDIR))
            }
            if options.mode == .mmap {
                throw LogScanError(path: file.path, .unsupported("--io mmap: cannot map a pipe, device or /proc file; use --io auto or pread"))
            }
            ioPath = .stream
        } else {
            switch options.mode {
            case .mmap: ioPath = .mmap
            case .pread, .direct: ioPath = .pread
            case .auto:
                let choice = Self.autoPath(file: file, options: options, purpose: purpose,
                                           hugetlb: file.hugetlbPageSize != nil)
                ioPath = choice.path
                autoReason = choice.reason
                allCached = choice.resident == 1
                readAheadThread = choice.readAhead
            }
        }
        size = ioPath == .stream ? nil : file.sizeAtOpen
        // Off unless asked: on warm data this kernel maps pages faster through
        // fault-around (16 pages a fault) than through MAP_POPULATE (docs/BENCHMARKS.md).
        let populate = ioPath == .mmap && (options.populate ?? false)
        let huge: IOReport.HugePages = !options.hugePages ? .notRequested
            : (ioPath != .mmap ? .notApplicable : (hugetlb ? .hugetlbfs(pageSize: mapAlignment) : .transparentAdvised))
        report = IOReport(path: ioPath, populate: populate, hugePages: huge, windowsMapped: 0,
                          bytesMapped: 0, bytesRead: 0, readCalls: 0)
        // Read-ahead hints for a file whose sampled pages were all in the
        // page cache (PageCacheProbe looks at up to 16 MiB of it) only look
        // up every page again (MADV_WILLNEED, POSIX_FADV_WILLNEED walk the
        // cache page by page): ~2-4% of a warm grep's CPU. A page evicted
        // since is still read around its fault by the kernel.
        advice = allCached ? .none : options.advice
        report.advice = advice
        report.autoReason = autoReason
        // O_DIRECT only for scans: a lookup reads a few small pieces, which
        // the page cache serves better than aligned reads from the disk.
        var direct: Int? = nil
        if options.mode == .direct && ioPath == .pread && purpose == .scan {
            let e = logscan_set_direct(file.descriptor.rawValue)
            if e != 0 {
                let why = e == EINVAL ? "the file system refuses O_DIRECT" : "O_DIRECT"
                throw LogScanError(path: file.path, .system(operation: why, errno: e))
            }
            // A power of two, at least 512 and at least the page (the
            // read-ahead ring's chunks are page-aligned anyway).
            var alignment = max(PageSize.bytes, Int(logscan_direct_alignment(file.descriptor.rawValue)))
            if alignment & (alignment - 1) != 0 { alignment = 1 << (Int.bitWidth - alignment.leadingZeroBitCount) }
            direct = alignment
        }
        directAlignment = direct
        report.directAlignment = direct
        // A scan that copies (pread, or read from a pipe) reads ahead on a
        // thread of its own, so the copy overlaps the decoding; lookups and
        // small files read synchronously. O_DIRECT always goes through the
        // ring: its reads must be aligned, which the ring's chunks are.
        readsAhead = ioPath == .stream || direct != nil || (ioPath == .pread && purpose == .scan && readAheadThread
            && file.sizeAtOpen >= Int64(4 * max(options.readBufferBytes, ReadAhead.minimumChunk)))
        report.readAhead = readsAhead
        if ioPath != .mmap && !readsAhead {
            buffer = ReadBuffer(capacity: options.readBufferBytes, positional: ioPath == .pread)
        }
        if ioPath == .pread && purpose == .scan {
            _ = posix_fadvise(file.descriptor.rawValue, 0, 0, POSIX_FADV_SEQUENTIAL)
        }
    }

    /// `--io auto` for a regular file, with the reason `--stats` shows, and
    /// whether a pread scan copies on the read-ahead thread:
    /// * small files (< `smallFileBytes`): pread (one read beats a mapping);
    /// * files on hugetlbfs (always in memory; mincore says nothing useful
    ///   there), and lookups: mapped (a lookup touches a few
    ///   pages; a mapping reads only those);
    /// * scans of files under `coldPreadBytes` (or when mincore fails): mapped;
    /// * larger scans: cold (less than `warmFraction` of the file in the page cache,
    ///   asked of `PageCacheProbe`: mincore, nothing read), pread with the
    ///   read-ahead thread, which overlaps the disk with the decoding where a
    ///   mapped scan stalls on each fault. Warm, the same when a core is spare
    ///   for the thread. When none is, it depends on how the page cache holds
    ///   the file (`PageCacheProbe.pagesPerFault`): large folios (a file read
    ///   back through read-ahead) are mapped, a fault then mapping ~40-500
    ///   pages; order-0 folios (a file as its writer left it) are copied
    ///   synchronously into one buffer, which leaves the bytes in the
    ///   decoder's cache, where a mapping pays a fault per 16 pages and a TLB
    ///   miss per page.
    ///   `grep -c -F` over 1 GiB on two workers, 2026-12-03: order-0 172 ms
    ///   copied against 193 mapped; large folios 100 mapped against 133
    ///   copied (docs/DESIGN.md, "I/O"; docs/GREP.md).
    static func autoPath(file: OpenFile, options: IOOptions, purpose: Purpose,
                         hugetlb: Bool) -> (path: IOReport.Path, reason: String, resident: Double?, readAhead: Bool) {
        let size = file.sizeAtOpen
        if hugetlb { return (.mmap, "hugetlbfs", nil, false) }
        if size < Int64(options.smallFileBytes) { return (.pread, "small file", nil, false) }
        if purpose == .lookup { return (.mmap, "lookup", nil, false) }
        guard size >= Int64(options.coldPreadBytes),
              let resident = PageCacheProbe.residentFraction(fd: file.descriptor.rawValue, size: size) else {
            return (.mmap, "scan", nil, false)
        }
        let percent = Int((resident * 100).rounded())
        if resident < options.warmFraction { return (.pread, "\(percent)% cached, cold", resident, options.readAheadThread) }
        // Warm with a core spare for it: the read-ahead thread, whose copy
        // overlaps the decoding. Order-0 folios: replay --count of 1.5 GiB
        // 276 ms against 408 mapped, grep -c -F with one worker 212 against
        // 357. Large folios: no slower than mapping in most runs (239 mapped
        // against 268 in one, 192 against 214 and 163 against 217 in others),
        // so not worth a second rule.
        if options.readAheadThread && ByteSource.onlineCPUs > options.decodingThreads {
            return (.pread, "\(percent)% cached, read-ahead on a spare core", resident, true)
        }
        // No core for the thread: mapped when the page cache holds the file
        // in large folios (a fault maps ~40-500 pages; grep -c -F on two
        // workers 100 ms mapped against 133 copied), copied synchronously
        // into one buffer when it holds order-0 folios (a mapping pays a
        // fault per 16 pages and a TLB miss per page: 172 copied against
        // 193 mapped, and 208 through threads without cores of their own).
        if let perFault = PageCacheProbe.pagesPerFault(fd: file.descriptor.rawValue, size: size),
           perFault >= PageCacheProbe.largeFolioPagesPerFault {
            return (.mmap, "\(percent)% cached in large folios (\(Int(perFault)) pages a fault), no spare core", resident, false)
        }
        return (.pread, "\(percent)% cached, no spare core", resident, false)
    }

    /// CPUs this process may run on (its affinity mask, so `taskset -c 0`
    /// leaves no spare core), read once.
    public static let onlineCPUs: Int = Int(logscan_usable_cpus())

    /// Bytes already in memory (a buffer received over the network, a fuzz
    /// input): read in place, like a mapping of one window. The caller keeps
    /// the memory alive and unchanged for as long as this source is used.
    public init(memory: UnsafeRawBufferPointer, name: String) {
        file = nil
        path = name
        options = IOOptions()
        mapAlignment = PageSize.bytes
        readsAhead = false
        directAlignment = nil
        advice = .none
        size = Int64(memory.count)
        report = IOReport(path: .memory, populate: false, hugePages: .notRequested, windowsMapped: 0,
                          bytesMapped: 0, bytesRead: 0, readCalls: 0)
        windowBase = memory.baseAddress ?? UnsafeRawPointer(bitPattern: 1)
        windowStart = 0
        windowLength = Int64(memory.count)
    }

    public enum Purpose: Sendable {
        /// Front-to-back reading of most of the file.
        case scan
        /// A few reads at places found by search (index files, seeks).
        case lookup
    }

    /// Up to `count` bytes at `offset` for a reader that walks whatever it
    /// is given (Kafka's batches): at least `minimum` of them unless the
    /// file ends first, but fewer than `count` when that saves a copy. The
    /// read-ahead path hands out the rest of the chunk holding `offset`
    /// instead of stitching two chunks together: a 1 MiB request at a batch
    /// boundary straddled two 1 MiB chunks almost every time, and the copy
    /// took a tenth of `grep` over a Kafka segment. `endOfFile`: the view
    /// ends where the file does. Valid until the next call.
    public func view(at offset: Int64, upTo count: Int, atLeast minimum: Int) throws(LogScanError)
        -> (bytes: UnsafeRawBufferPointer, endOfFile: Bool) {
        if readsAhead, report.path != .mmap, let current = readAhead,
           let tail = current.tail(at: offset, upTo: count, atLeast: minimum) {
            return (tail, false)
        }
        let bytes = try bytes(at: offset, count: count)
        return (bytes, bytes.count < count)
    }

    /// Up to `count` bytes at `offset`: fewer when the file ends first, none
    /// at or past the end. Valid until the next call.
    public func bytes(at offset: Int64, count: Int) throws(LogScanError) -> UnsafeRawBufferPointer {
        precondition(offset >= 0 && count >= 0)
        if report.path == .mmap {
            return try mappedBytes(at: offset, count: count)
        }
        if report.path == .memory {
            let end = min(offset + Int64(count), windowLength)
            guard offset < end else { return UnsafeRawBufferPointer(start: nil, count: 0) }
            return UnsafeRawBufferPointer(start: windowBase! + Int(offset), count: Int(end - offset))
        }
        if readsAhead {
            return try readAheadBytes(at: offset, count: count)
        }
        let buffer = buffer!
        let result = try buffer.bytes(at: offset, count: count, file: file!)
        report.bytesRead = buffer.bytesRead
        report.readCalls = buffer.readCalls
        if buffer.reachedEnd, report.path == .stream {
            size = buffer.endOffset
        }
        return result
    }

    private func readAheadBytes(at offset: Int64, count: Int) throws(LogScanError) -> UnsafeRawBufferPointer {
        let positional = report.path == .pread
        var chunk = max(options.readBufferBytes, ReadAhead.minimumChunk)
        let alignment = Int64(directAlignment ?? 1)
        // O_DIRECT: 1 MiB chunks like the cached path. 4 MiB chunks were
        // measured too (3.1-3.3 s against 3.3-3.4 s for 1.5 GiB here: one
        // read in flight at a time either way) and only cost RSS.
        if let directAlignment { chunk = (chunk + directAlignment - 1) / directAlignment * directAlignment }
        // O_DIRECT reads start on an aligned offset; the ring hands out views
        // from any offset inside what it read.
        let start = offset / alignment * alignment
        // Far ahead of what was read (an index seek): start over there
        // rather than read everything in between.
        if positional, let current = readAhead, offset > current.frontier + Int64(8 * chunk) {
            retire(current)
            readAhead = nil
        }
        if readAhead == nil {
            readAhead = ReadAhead(fd: file!.descriptor.rawValue, path: path, at: positional ? start : 0,
                                  positional: positional, chunkBytes: chunk, directAlignment: directAlignment)
        }
        if let view = try readAhead!.bytes(at: offset, count: count) {
            noteReadAhead(readAhead!)
            return view
        }
        // Behind what is still buffered.
        guard positional else {
            throw LogScanError(path: path, position: offset, .unsupported("cannot go back in a pipe or stream"))
        }
        retire(readAhead!)
        readAhead = ReadAhead(fd: file!.descriptor.rawValue, path: path, at: start, positional: true, chunkBytes: chunk,
                              directAlignment: directAlignment)
        let view = try readAhead!.bytes(at: offset, count: count)!
        noteReadAhead(readAhead!)
        return view
    }

    private var retiredBytes: Int64 = 0
    private var retiredCalls = 0

    private func retire(_ old: ReadAhead) {
        retiredBytes += old.bytesRead
        retiredCalls += old.readCalls
    }

    private func noteReadAhead(_ current: ReadAhead) {
        report.bytesRead = retiredBytes + current.bytesRead
        report.readCalls = retiredCalls + current.readCalls
        if let end = current.endOfFile, report.path == .stream { size = end }
    }

    /// Asks the kernel to start reading bytes [offset, offset + count) of the
    /// current window (MADV_WILLNEED), so that the pages a lookup is about
    /// to touch arrive in one read instead of one fault each. Nothing for
    /// the copying paths, or outside the window.
    public func willNeed(at offset: Int64, count: Int) {
        guard report.path == .mmap, let windowBase, count > 0, offset >= windowStart,
              offset + Int64(count) <= windowStart + windowLength else { return }
        let page = Int64(PageSize.bytes)
        let start = (offset - windowStart) / page * page
        let end = min(windowLength, offset - windowStart + Int64(count))
        // The kernel reads at most its read-ahead size (bdi io_pages or
        // ra_pages) per request and drops the rest: ask piece by piece.
        let piece: Int64 = 2 << 20
        var at = start
        while at < end {
            let n = min(piece, end - at)
            _ = madvise(UnsafeMutableRawPointer(mutating: windowBase + Int(at)), Int(n), MADV_WILLNEED)
            at += n
        }
    }

    /// True when a fault outside the guard patched the current window: the
    /// file shrank while its bytes were being handed out.
    public var windowFaulted: Bool { windowBase != nil && logscan_guard_mapping_faulted(windowSlot) != 0 }

    /// The file's size now, when it is smaller than when it was opened: then
    /// what looked like damage (a bad checksum over bytes that read as zero
    /// past the new end) is the file shrinking under the scan.
    public func shrunkSize() -> Int64? {
        guard report.path != .stream, let file, let size, let now = try? file.currentSize(), now < size else { return nil }
        return now
    }

    /// Re-reads the file's size (it grows under a writer being followed).
    @discardableResult
    public func refreshSize() throws(LogScanError) -> Int64? {
        guard report.path != .stream, let file else { return size }
        let now = try file.currentSize()
        size = now
        return now
    }

    /// Drops the current window or buffer contents (before the file is
    /// re-read after growing, or to release memory).
    public func release() {
        dropWindow()
        buffer?.reset()
        if let readAhead, report.path == .pread { retire(readAhead); self.readAhead = nil }
    }

    private func dropWindow() {
        window = nil
        windowBase = nil
        windowStart = 0
        windowLength = 0
        windowSlot = -1
    }

    private func mappedBytes(at offset: Int64, count: Int) throws(LogScanError) -> UnsafeRawBufferPointer {
        let fileSize = size ?? 0
        guard offset < fileSize, count > 0 else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        let end = min(offset + Int64(count), fileSize)
        if let windowBase, offset >= windowStart, end <= windowStart + windowLength {
            return UnsafeRawBufferPointer(start: windowBase + Int(offset - windowStart), count: Int(end - offset))
        }
        // Unmap before mapping the next window, so that no more than one
        // window is resident on our account at any time.
        dropWindow()
        let alignment = Int64(mapAlignment)
        let start = offset / alignment * alignment
        let windowBytes = Int64(max(options.windowBytes, mapAlignment))
        var length = max(windowBytes, end - start)
        length = min(length, fileSize - start)
        length = (length + alignment - 1) / alignment * alignment
        let region = try MappedRegion(file: file!, fileOffset: start, length: Int(length), alignment: mapAlignment,
                                      populate: report.populate, hugetlb: { if case .hugetlbfs = report.hugePages { return true }; return false }())
        if case .transparentAdvised = report.hugePages {
            let e = region.advise(MADV_HUGEPAGE)
            if e != 0 { report.hugePages = .transparentRefused(errno: e) }
        }
        if !sequential {
            // Lookups: no read-around. A fault would otherwise read up to
            // the device's read-ahead size around the page (8 MiB on this
            // machine's virtio disk: ~20 ms a fault) for one entry.
            region.advise(MADV_RANDOM)
        } else if advice != .none {
            // MADV_SEQUENTIAL turns the kernel's fault read-around (large
            // folios) into 128 KiB synchronous read-ahead per fault: cold
            // scans ran 2.2x slower with it (docs/BENCHMARKS.md, "I/O paths").
            if advice == .sequential { region.advise(MADV_SEQUENTIAL) }
            if advice == .willneed { region.advise(MADV_WILLNEED) }
            // Start reading the next window in the background while this one
            // is scanned: on cold data, its first touch then finds pages in
            // the cache instead of stalling on the disk.
            let next = start + length
            if next < fileSize {
                _ = posix_fadvise(file!.descriptor.rawValue, off_t(next), off_t(min(windowBytes, fileSize - next)), POSIX_FADV_WILLNEED)
            }
        }
        report.windowsMapped += 1
        report.bytesMapped += length
        let view = UnsafeRawBufferPointer(start: region.base + Int(offset - start), count: Int(end - offset))
        windowBase = region.base
        windowStart = start
        windowLength = length
        windowSlot = region.guardSlot
        window = consume region
        return view
    }
}

/// The pread/read path's buffer: a window of the file copied into memory we
/// own. Positional (pread) buffers can jump; stream (read) buffers only move
/// forward.
///
/// Bytes sit at the same offset within a page as in the file (`phase`), so
/// the kernel copies from each page-cache page to a destination aligned the
/// same way, and the tail kept for a request that straddles the end moves by
/// whole pages.
final class ReadBuffer {
    private static let page = PageSize.bytes
    /// `capacity` bytes plus a page of room for the phase.
    private var storage: UnsafeMutableRawPointer
    private var capacity: Int
    /// File offset of the first valid byte, and how many are valid from there.
    private var start: Int64 = 0
    private var length: Int = 0
    let positional: Bool
    private(set) var reachedEnd = false
    private(set) var bytesRead: Int64 = 0
    private(set) var readCalls = 0

    init(capacity: Int, positional: Bool) {
        self.capacity = max(capacity, Self.page)
        storage = UnsafeMutableRawPointer.allocate(byteCount: self.capacity + Self.page, alignment: Self.page)
        self.positional = positional
    }

    deinit { storage.deallocate() }

    var endOffset: Int64 { start + Int64(length) }

    /// Offset of `start` within its page: where in `storage` its byte lives.
    private var phase: Int { Int(start & Int64(Self.page - 1)) }
    private var data: UnsafeMutableRawPointer { storage + phase }

    func reset() {
        if positional { start = 0; length = 0; reachedEnd = false }
    }

    func bytes(at offset: Int64, count: Int, file: OpenFile) throws(LogScanError) -> UnsafeRawBufferPointer {
        let wantEnd = offset + Int64(count)
        if offset >= start, wantEnd <= endOffset {
            return UnsafeRawBufferPointer(start: data + Int(offset - start), count: count)
        }
        if !positional && offset < start {
            throw LogScanError(path: file.path, position: offset, .unsupported("cannot go back in a pipe or stream"))
        }
        // Keep what overlaps, drop what lies before `offset`.
        if offset >= start && offset <= endOffset {
            keep(from: offset)
        } else if positional {
            start = offset
            length = 0
            reachedEnd = false
        } else {
            // A stream skipping forward: read and discard up to `offset`.
            while endOffset < offset && !reachedEnd {
                start = endOffset
                length = 0
                try fill(upTo: min(capacity, Int(offset - start)), file: file)
            }
            if endOffset <= offset { start = endOffset; length = 0; return UnsafeRawBufferPointer(start: nil, count: 0) }
            keep(from: offset)
        }
        if count > capacity {
            let bigger = UnsafeMutableRawPointer.allocate(byteCount: count + Self.page, alignment: Self.page)
            (bigger + phase).copyMemory(from: data, byteCount: length)
            storage.deallocate()
            storage = bigger
            capacity = count
        }
        // Fill the whole buffer, not just `count`: fewer, larger reads.
        try fill(upTo: capacity, file: file, atLeast: count)
        return UnsafeRawBufferPointer(start: data, count: min(count, length))
    }

    /// Drops the bytes before `offset` (which lies in or at the end of what
    /// is buffered), moving the rest to the front without changing its phase.
    private func keep(from offset: Int64) {
        let kept = Int(endOffset - offset)
        let from = data + Int(offset - start)
        start = offset
        length = kept
        if kept > 0, from != data { data.copyMemory(from: from, byteCount: kept) }
    }

    /// Reads until `atLeast` bytes are buffered (or the file ends), asking
    /// for up to `upTo` in total.
    private func fill(upTo limit: Int, file: OpenFile, atLeast: Int = 1) throws(LogScanError) {
        let fd = file.descriptor.rawValue
        while length < atLeast {
            if !positional && reachedEnd { return }
            let room = limit - length
            if room <= 0 { return }
            let n = positional
                ? pread(fd, data + length, room, off_t(start + Int64(length)))
                : read(fd, data + length, room)
            readCalls += 1
            if n < 0 {
                if errno == EINTR { continue }
                throw LogScanError(path: file.path, position: start + Int64(length), .system(operation: positional ? "pread" : "read", errno: errno))
            }
            if n == 0 { reachedEnd = true; return }
            length += n
            bytesRead += Int64(n)
        }
    }
}

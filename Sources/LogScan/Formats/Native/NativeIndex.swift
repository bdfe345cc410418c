/// One entry of a native segment's index: the block at `position` starts with
/// `firstSequence`, and no record up to and including that block has a
/// timestamp above `maxTimestampSoFar`. One entry per block.
public struct NativeIndexEntry: Sendable, Equatable {
    public var firstSequence: UInt64
    public var position: Int64
    public var maxTimestampSoFar: Int64

    public init(firstSequence: UInt64, position: Int64, maxTimestampSoFar: Int64) {
        self.firstSequence = firstSequence
        self.position = position
        self.maxTimestampSoFar = maxTimestampSoFar
    }
}

/// A native index file (`NNN.idx` beside `NNN.seg`), mapped and searched.
///
/// | off | size | field |
/// |----:|----:|---|
/// | 0 | 8 | magic `89 4C 53 58 0D 0A 1A 0A` |
/// | 8 | 2 | version (1) |
/// | 10 | 2 | entry size (24) |
/// | 12 | 4 | reserved, zero |
/// | 16 | 8 | base sequence of the segment |
/// | 24 | 4 | reserved, zero |
/// | 28 | 4 | CRC32C of bytes 0..<28 |
/// | 32 | 24 × n | entries: first sequence u64, block position u64, max timestamp so far i64 |
///
/// The index only speeds up seeks: a reader checks the block an entry points
/// at before trusting it, and falls back to scanning when it does not match.
public final class NativeIndex {
    public let path: String
    public let baseSequence: UInt64
    public let entryCount: Int
    private let source: ByteSource
    private var search: PageAwareSearch
    private var lookups = 0
    /// Lookups after which the index reads one key per page into memory
    /// (`buildPageSamples`): from then on a lookup touches at most two pages.
    /// A replay makes one or two lookups per index and never pays for it.
    public var samplingAfterLookups = 2

    public convenience init(path: String, io: IOOptions = IOOptions()) throws(LogScanError) {
        let file = try OpenFile(path: path)
        try self.init(source: ByteSource(file: file, options: io, purpose: .lookup))
    }

    /// An index read from any source (a file, or bytes in memory).
    public init(source: ByteSource) throws(LogScanError) {
        let path = source.path
        self.path = path
        self.source = source
        source.sequential = false
        let view = try source.bytes(at: 0, count: NativeFormat.indexHeaderSize)
        var header = [UInt8](repeating: 0, count: NativeFormat.indexHeaderSize)
        let got = try ByteSourceAccess.copyGuarded(view, into: &header, source: source, position: 0)
        func bad(_ detail: String) -> LogScanError {
            LogScanError(path: path, position: 0, .damaged(.badIndex, detail: detail))
        }
        guard got == NativeFormat.indexHeaderSize else { throw bad("index header cut off at \(got) bytes") }
        let (magicOK, version, entrySize, base, stored, computed) = header.withUnsafeBytes { raw in
            let p = raw.baseAddress!
            return (raw.prefix(8).elementsEqual(NativeFormat.indexMagic), p.le16(8), p.le16(10), p.le64(16), p.le32(28),
                    CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[0..<28])))
        }
        guard magicOK else { throw bad("not a logscan index") }
        guard stored == computed else { throw bad("index header checksum \(hex(stored)), computed \(hex(computed))") }
        guard version == 1, Int(entrySize) == NativeFormat.indexEntrySize else {
            throw bad("index version \(version) with \(entrySize)-byte entries is not supported")
        }
        baseSequence = base
        // A torn last entry (the writer died mid-append) is not an entry.
        entryCount = Int(max(0, (source.size ?? 0) - Int64(NativeFormat.indexHeaderSize))) / NativeFormat.indexEntrySize
        search = PageAwareSearch(headerBytes: NativeFormat.indexHeaderSize, entrySize: NativeFormat.indexEntrySize, count: entryCount)
    }

    /// Distinct pages of the index the last lookup read.
    public private(set) var pagesTouchedByLastLookup = 0
    /// Whether lookups search in-memory page samples first.
    public var hasPageSamples: Bool { search.samples != nil }

    /// Reads the first sequence number of every page (one pass, front to
    /// back); lookups then touch at most two pages. Timestamps are searched
    /// through their own samples (`maxTimestampSoFar` of the same entries).
    public func buildPageSamples() throws(LogScanError) {
        let source = source
        try search.buildSamples(key: { i throws(LogScanError) in Self.orderKey(try entry(i).firstSequence) },
                                willNeed: { source.willNeed(at: $0, count: $1) })
        try timeSearch.buildSamples(key: { i throws(LogScanError) in try entry(i).maxTimestampSoFar })
    }

    private lazy var timeSearch = PageAwareSearch(headerBytes: NativeFormat.indexHeaderSize,
                                                  entrySize: NativeFormat.indexEntrySize, count: entryCount)

    /// Sequence numbers are unsigned: flipping the top bit orders them as Int64.
    private static func orderKey(_ sequence: UInt64) -> Int64 { Int64(bitPattern: sequence ^ (1 << 63)) }

    private func noteLookup() throws(LogScanError) {
        lookups += 1
        if lookups > samplingAfterLookups && search.samples == nil && entryCount > 0 { try buildPageSamples() }
    }

    public func entry(_ index: Int) throws(LogScanError) -> NativeIndexEntry {
        precondition(index >= 0 && index < entryCount)
        let position = Int64(NativeFormat.indexHeaderSize + index * NativeFormat.indexEntrySize)
        let view = try source.bytes(at: position, count: NativeFormat.indexEntrySize)
        guard view.count == NativeFormat.indexEntrySize else {
            throw LogScanError(path: path, position: position, .damaged(.badIndex, detail: "index shorter than its entry count"))
        }
        var raw = [UInt8](repeating: 0, count: NativeFormat.indexEntrySize)
        _ = try ByteSourceAccess.copyGuarded(view, into: &raw, source: source, position: position)
        return raw.withUnsafeBytes { bytes in
            let p = bytes.baseAddress!
            return NativeIndexEntry(firstSequence: p.le64(0), position: Int64(bitPattern: p.le64(8)),
                                    maxTimestampSoFar: Int64(bitPattern: p.le64(16)))
        }
    }

    /// The last entry whose block starts at or before `sequence`.
    /// Page-aware (`PageAwareSearch`): a few pages of a cold index, not log2 of them.
    public func floor(sequence: UInt64) throws(LogScanError) -> NativeIndexEntry? {
        try noteLookup()
        let source = source
        let low = try search.partitionPoint(
            target: Self.orderKey(sequence), inclusive: false,
            key: { i throws(LogScanError) in Self.orderKey(try entry(i).firstSequence) },
            willNeed: { source.willNeed(at: $0, count: $1) })
        pagesTouchedByLastLookup = search.lastLookupPages
        return low == 0 ? nil : try entry(low - 1)
    }

    /// The first entry whose block brings the segment's largest timestamp to
    /// `timestamp` or beyond: no record before that block reaches it.
    public func first(reachingTimestamp timestamp: Int64) throws(LogScanError) -> NativeIndexEntry? {
        try firstIndex(reachingTimestamp: timestamp).map { i throws(LogScanError) in try entry(i) }
    }

    /// The index of that entry; nil when no entry reaches `timestamp`.
    public func firstIndex(reachingTimestamp timestamp: Int64) throws(LogScanError) -> Int? {
        try noteLookup()
        let source = source
        let low = try timeSearch.partitionPoint(
            target: timestamp, inclusive: true,
            key: { i throws(LogScanError) in try entry(i).maxTimestampSoFar },
            willNeed: { source.willNeed(at: $0, count: $1) })
        pagesTouchedByLastLookup = timeSearch.lastLookupPages
        return low == entryCount ? nil : low
    }

    /// The plain binary search lookups used before (kept to measure against).
    public func binarySearchFloor(sequence: UInt64) throws(LogScanError) -> NativeIndexEntry? {
        var pages: Set<Int> = []
        func read(_ i: Int) throws(LogScanError) -> NativeIndexEntry {
            let start = NativeFormat.indexHeaderSize + i * NativeFormat.indexEntrySize
            pages.insert(start / PageSize.bytes)
            pages.insert((start + NativeFormat.indexEntrySize - 1) / PageSize.bytes)
            return try entry(i)
        }
        var low = 0, high = entryCount  // invariant: entries < low start <= sequence
        while low < high {
            let mid = (low + high) / 2
            if try read(mid).firstSequence <= sequence { low = mid + 1 } else { high = mid }
        }
        let result = low == 0 ? nil : try read(low - 1)
        pagesTouchedByLastLookup = pages.count
        return result
    }

    /// Every entry, for checks and rebuilds.
    public func allEntries() throws(LogScanError) -> [NativeIndexEntry] {
        var entries: [NativeIndexEntry] = []
        entries.reserveCapacity(entryCount)
        for i in 0..<entryCount { entries.append(try entry(i)) }
        return entries
    }

    // MARK: Encoding (used by the writer and by index rebuilds)

    static func encodeHeader(baseSequence: UInt64) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: NativeFormat.indexHeaderSize)
        bytes.withUnsafeMutableBytes { raw in
            let p = raw.baseAddress!
            for (i, b) in NativeFormat.indexMagic.enumerated() { p.storeBytes(of: b, toByteOffset: i, as: UInt8.self) }
            p.storeLE16(1, at: 8)
            p.storeLE16(UInt16(NativeFormat.indexEntrySize), at: 10)
            p.storeLE64(baseSequence, at: 16)
            p.storeLE32(CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[0..<28])), at: 28)
        }
        return bytes
    }

    static func encode(_ entry: NativeIndexEntry, into bytes: inout [UInt8]) {
        let start = bytes.count
        bytes.append(contentsOf: repeatElement(0, count: NativeFormat.indexEntrySize))
        bytes.withUnsafeMutableBytes { raw in
            let p = raw.baseAddress! + start
            p.storeLE64(entry.firstSequence, at: 0)
            p.storeLE64(UInt64(bitPattern: entry.position), at: 8)
            p.storeLE64(UInt64(bitPattern: entry.maxTimestampSoFar), at: 16)
        }
    }
}

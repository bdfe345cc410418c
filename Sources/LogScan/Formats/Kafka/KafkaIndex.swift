/// A Kafka segment's sparse indexes, mapped read-only and checked the way the
/// broker checks them when it loads a log (AbstractIndex.sanityCheck), plus
/// the monotonicity and bounds that its lookups rely on:
///
/// * `.index` (OffsetIndex): 8-byte entries, `int32 relativeOffset` (offset −
///   segment base offset), `int32 position` (byte position of a batch in the
///   `.log`), both big-endian. Offsets and positions strictly increase, and
///   every position lies inside the log.
/// * `.timeindex` (TimeIndex): 12-byte entries, `int64 timestamp`, `int32
///   relativeOffset`. Timestamps strictly increase (the broker only appends a
///   larger one); offsets do not decrease. An entry (T, O) says: no record
///   before the batch holding O has a timestamp of T or more.
///
/// The file's size must be a multiple of the entry size. The active
/// segment's index files are preallocated and zero-filled, so valid entries
/// are a prefix: an all-zero entry is never a real one (the offset index
/// never indexes position 0, and a time entry (0 ms, base offset) would need
/// every timestamp to be 0), and it ends the entries.
///
/// A broken index is not damage of the log (the broker rebuilds it): the
/// reader falls back to a scan with a warning. Errors are `.damaged(.badIndex)`.
public final class KafkaIndex {
    public enum Kind: Sendable {
        case offset, time

        var entrySize: Int { self == .offset ? 8 : 12 }
        var name: String { self == .offset ? "offset index" : "time index" }
    }

    public let path: String
    public let kind: Kind
    public let baseOffset: Int64
    /// Valid entries (the zero-filled tail excluded).
    public let entryCount: Int
    private let source: ByteSource

    /// Opens and checks the index. `logSize` bounds the offset index's positions.
    public convenience init(path: String, kind: Kind, baseOffset: Int64, logSize: Int64, io: IOOptions = IOOptions()) throws(LogScanError) {
        let file = try OpenFile(path: path)
        try self.init(source: ByteSource(file: file, options: io, purpose: .lookup), kind: kind, baseOffset: baseOffset, logSize: logSize)
    }

    /// Checks the index held by `source` (a file, or memory for the fuzzer).
    public init(source: ByteSource, kind: Kind, baseOffset: Int64, logSize: Int64) throws(LogScanError) {
        let path = source.path
        self.source = source
        self.path = path
        self.kind = kind
        self.baseOffset = baseOffset
        source.sequential = false
        let size = source.size ?? 0
        let entrySize = kind.entrySize
        func bad(_ detail: String, at position: Int64 = 0) -> LogScanError {
            LogScanError(path: path, position: position, .damaged(.badIndex, detail: detail))
        }
        guard size % Int64(entrySize) == 0 else {
            throw bad("\(kind.name) of \(size) bytes is not a multiple of its \(entrySize)-byte entries")
        }
        let total = Int(size) / entrySize
        guard total > 0 else { entryCount = 0; return }
        let view = try source.bytes(at: 0, count: Int(size))
        guard view.count == Int(size) else { throw bad("\(kind.name) shorter than its size") }
        var check = IndexEntryCheck(entries: view.baseAddress!, total: total, entrySize: entrySize,
                                    isOffsetIndex: kind == .offset, logSize: logSize)
        let fault = withSigbusGuard(&check) { raw in guardedContext(raw, as: IndexEntryCheck.self).pointee.run() }
        if fault != nil { throw ByteSourceAccess.shrankError(source, position: 0) }
        let count = check.count
        if let problem = check.problem {
            let at = Int64(problem.index * entrySize)
            let entry = "entry \(problem.index)"
            switch problem.what {
            case 0: throw bad("\(entry): relative offset \(problem.a) is negative", at: at)
            case 1: throw bad("\(entry): offset \(baseOffset + problem.a) not above the previous entry's \(baseOffset + problem.b)", at: at)
            case 2: throw bad("\(entry): position \(problem.a) not above the previous entry's \(problem.b)", at: at)
            case 3: throw bad("\(entry): position \(problem.a) outside the log's \(problem.b) bytes", at: at)
            case 4: throw bad("\(entry): offset \(baseOffset + problem.a) below the previous entry's \(baseOffset + problem.b)", at: at)
            default: throw bad("\(entry): timestamp \(problem.a) not above the previous entry's \(problem.b)", at: at)
            }
        }
        entryCount = count
    }

    /// Entry `i`: (absolute offset, position) for an offset index,
    /// (timestamp, absolute offset) for a time index.
    public func entry(_ i: Int) throws(LogScanError) -> (Int64, Int64) {
        precondition(i >= 0 && i < entryCount)
        let entrySize = kind.entrySize
        let view = try source.bytes(at: Int64(i * entrySize), count: entrySize)
        guard view.count == entrySize else {
            throw LogScanError(path: path, position: Int64(i * entrySize), .damaged(.badIndex, detail: "index shrank"))
        }
        var read = EntryRead(entry: view.baseAddress!, isOffsetIndex: kind == .offset, base: baseOffset)
        let fault = withSigbusGuard(&read) { raw in
            let c = guardedContext(raw, as: EntryRead.self)
            let e = c.pointee.entry, base = c.pointee.base
            c.pointee.result = c.pointee.isOffsetIndex
                ? (base &+ Int64(Int32(bitPattern: e.be32(0))), Int64(Int32(bitPattern: e.be32(4))))
                : (Int64(bitPattern: e.be64(0)), base &+ Int64(Int32(bitPattern: e.be32(8))))
        }
        if fault != nil { throw ByteSourceAccess.shrankError(source, position: Int64(i * entrySize)) }
        return read.result
    }

    /// The last entry whose key (offset, or timestamp) is at most `key`.
    /// Page-aware (`PageAwareSearch`) like the native index's lookups. Here
    /// it matters less: opening the index checks every entry, which reads
    /// all of its pages (the broker checks only the last entry and pays for
    /// cold pages at lookup time instead; its fix is a warm tail section).
    public func floor(_ key: Int64) throws(LogScanError) -> (Int64, Int64)? {
        var search = PageAwareSearch(headerBytes: 0, entrySize: kind.entrySize, count: entryCount)
        let source = source
        let low = try search.partitionPoint(
            target: key, inclusive: false,
            key: { i throws(LogScanError) in try entry(i).0 },
            willNeed: { source.willNeed(at: $0, count: $1) })
        return low == 0 ? nil : try entry(low - 1)
    }

    /// Every valid entry, in order.
    public func allEntries() throws(LogScanError) -> [(Int64, Int64)] {
        var entries: [(Int64, Int64)] = []
        entries.reserveCapacity(entryCount)
        for i in 0..<entryCount { entries.append(try entry(i)) }
        return entries
    }
}

/// Counts an index's entries up to its zero-filled tail, checking each
/// against the rules the broker applies at start-up; run under the SIGBUS
/// guard, so it holds no references. `problem.what` names the broken rule
/// (the messages are made outside).
private struct IndexEntryCheck {
    let entries: UnsafeRawPointer
    let total: Int
    let entrySize: Int
    let isOffsetIndex: Bool
    let logSize: Int64
    var count = 0
    var problem: (index: Int, what: Int, a: Int64, b: Int64)? = nil

    mutating func run() {
        var previousOffset: Int64 = -1, previousKey: Int64 = -1
        while count < total {
            let e = entries + count * entrySize
            if isOffsetIndex {
                let relative = Int64(Int32(bitPattern: e.be32(0))), position = Int64(Int32(bitPattern: e.be32(4)))
                if relative == 0 && position == 0 { return }
                if relative < 0 { problem = (count, 0, relative, 0); return }
                if relative <= previousOffset { problem = (count, 1, relative, previousOffset); return }
                if position <= previousKey { problem = (count, 2, position, previousKey); return }
                if position < 0 || position >= logSize { problem = (count, 3, position, logSize); return }
                previousOffset = relative
                previousKey = position
            } else {
                let timestamp = Int64(bitPattern: e.be64(0)), relative = Int64(Int32(bitPattern: e.be32(8)))
                if timestamp == 0 && relative == 0 { return }
                if relative < 0 { problem = (count, 0, relative, 0); return }
                if relative < previousOffset { problem = (count, 4, relative, previousOffset); return }
                if count > 0 && timestamp <= previousKey { problem = (count, 5, timestamp, previousKey); return }
                previousOffset = relative
                previousKey = timestamp
            }
            count += 1
        }
    }
}

/// One entry's two fields, read under the SIGBUS guard.
private struct EntryRead {
    let entry: UnsafeRawPointer
    let isOffsetIndex: Bool
    let base: Int64
    var result: (Int64, Int64) = (0, 0)
}

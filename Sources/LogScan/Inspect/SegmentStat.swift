/// What `logscan stat` says about one segment. Fields a format cannot
/// know are nil.
public struct SegmentStat: Sendable {
    public var path: String
    public var kind: LogKind
    public var sizeBytes: Int64
    /// Records in the segment's valid part (from unit headers).
    public var records: Int
    /// Blocks, batches or WAL blocks.
    public var units: Int
    public var firstOffset: UInt64?
    public var lastOffset: UInt64?
    /// Timestamps of the first and last record (nil when absent).
    public var firstTimestamp: Int64?
    public var lastTimestamp: Int64?
    /// Payload bytes as stored and after decompression: ratio = raw / stored.
    public var storedPayloadBytes: Int64
    public var rawPayloadBytes: Int64
    public var compressionRatio: Double? { storedPayloadBytes > 0 ? Double(rawPayloadBytes) / Double(storedPayloadBytes) : nil }
    /// Where the valid part ends, and what is wrong after it (nil: nothing).
    public var validEnd: Int64
    public var damage: LogScanError?
    public var index: IndexHealth
    /// Fraction of the file's pages in the page cache.
    public var residency: Double?
}

/// How an index file compares with the segment it indexes.
public enum IndexHealth: Sendable, Equatable, CustomStringConvertible {
    /// Every entry the writer's rule gives, and nothing else.
    case ok(entries: Int)
    /// No index file beside the segment.
    case missing
    /// A correct prefix of the entries (a writer that died, or is still writing).
    case incomplete(entries: Int, expected: Int)
    /// Entries that are wrong, or a header that is.
    case damaged(String)
    /// The format has no index files.
    case notApplicable

    public var isClean: Bool {
        switch self {
        case .ok, .notApplicable: return true
        case .missing, .incomplete, .damaged: return false
        }
    }

    public var description: String {
        switch self {
        case .ok(let n): return "ok (\(n) entries)"
        case .missing: return "missing"
        case .incomplete(let n, let expected): return "incomplete (\(n) of \(expected) entries)"
        case .damaged(let what): return "damaged: \(what)"
        case .notApplicable: return "none (format has no index)"
        }
    }
}

/// `logscan stat` and `logscan index` over any format: one entry point per
/// job that switches on the segment's kind. A format plugs in by adding its
/// case: a survey (unit headers → SegmentStat) and, where it has index
/// files, the expected entries (`SegmentIndexer`).
public enum LogInspector {
    public static func stat(_ segment: LogInput.Segment, measureResidency: Bool = true) throws(LogScanError) -> SegmentStat {
        var stat: SegmentStat
        switch segment.kind {
        case .native, .auto:
            stat = try NativeSegmentSurvey(segment: segment).stat()
        case .kafka:
            stat = try KafkaSegmentSurvey(segment: segment).stat()
        case .leveldb, .rocksdb:
            stat = try WALSurvey(segment: segment).stat()
        }
        if measureResidency { stat.residency = PageCacheResidency.fraction(ofFile: segment.path) }
        return stat
    }

    public static func checkIndex(_ segment: LogInput.Segment) throws(LogScanError) -> IndexHealth {
        try indexer(for: segment).check()
    }

    /// Writes the index the segment should have beside the old one and
    /// renames it into place. Returns the entries written.
    @discardableResult
    public static func rebuildIndex(_ segment: LogInput.Segment) throws(LogScanError) -> Int {
        try indexer(for: segment).rebuild()
    }

    static func indexer(for segment: LogInput.Segment) throws(LogScanError) -> any SegmentIndexer {
        switch segment.kind {
        case .native, .auto: return try NativeSegmentIndexer(segment: segment)
        case .kafka: return try KafkaSegmentIndexer(segment: segment)
        case .leveldb, .rocksdb:
            throw LogScanError(path: segment.path, .unsupported("write-ahead logs have no index files"))
        }
    }
}

/// A format's index files: check against the segment, rebuild from it.
protocol SegmentIndexer {
    func check() throws(LogScanError) -> IndexHealth
    func rebuild() throws(LogScanError) -> Int
}

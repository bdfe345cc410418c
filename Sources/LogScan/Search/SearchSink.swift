import Synchronization

/// Receives what a search finds. Like ReplaySink, it knows nothing about
/// files: it is told which segment matches come from.
public protocol SearchSink: ~Copyable {
    /// False when the sink only counts (grep -c, -l, -q): records are then
    /// not materialized and submatches not computed.
    var wantsRecords: Bool { get }
    /// False when the sink prints records without their match ranges
    /// (grep's lines without colour): submatches are then not computed, and
    /// `match` gets none. Default: `wantsRecords`.
    var wantsSubmatches: Bool { get }
    mutating func beginSegment(path: String, kind: LogKind)
    /// A selected record (matching, or not matching with -v) and where it
    /// matched (empty with -v, or when the sink wants no submatches).
    mutating func match(_ record: LogRecord, submatches: [Submatch])
    /// The segment is done.
    mutating func endSegment(path: String, stats: SegmentSearchStats)
    mutating func damage(_ report: DamageReport)
    mutating func warning(_ message: String)
    mutating func failure(_ error: LogScanError)
    /// Follow mode: everything written so far was searched, and the search
    /// is about to wait for the writer (a printer flushes here).
    mutating func caughtUp()
}

extension SearchSink where Self: ~Copyable {
    public var wantsSubmatches: Bool { wantsRecords }
    public mutating func damage(_ report: DamageReport) {}
    public mutating func warning(_ message: String) {}
    public mutating func failure(_ error: LogScanError) {}
    public mutating func caughtUp() {}
}

/// What the search of one segment file found and cost.
public struct SegmentSearchStats: Sendable {
    /// Records selected.
    public var matches = 0
    /// Records looked at (all of the segment's, unless a prefilter ruled
    /// blocks out: those count as searched too).
    public var recordsSearched = 0
    /// Bytes of the segment decoded (block headers and payloads).
    public var bytesSearched: Int64 = 0
}

/// What a search did, for the exit status and the summary.
public struct SearchSummary: Sendable {
    /// Records selected (matches, or non-matches with -v).
    public var matches = 0
    /// Records looked at.
    public var recordsRead = 0
    public var segments = 0
    public var segmentsWithMatches = 0
    public var bytes: Int64 = 0
    public var damaged = false
    public var failures = 0
    /// -q, or the sink is done: the search ended early.
    public var stoppedEarly = false
    /// The I/O path each segment file was read with, in the order read.
    public var io: [(path: String, report: IOReport)] = []

    public init() {}

    public mutating func add(_ other: SearchSummary) {
        matches += other.matches
        recordsRead += other.recordsRead
        segments += other.segments
        segmentsWithMatches += other.segmentsWithMatches
        bytes += other.bytes
        damaged = damaged || other.damaged
        failures += other.failures
        stoppedEarly = stoppedEarly || other.stoppedEarly
        io += other.io
    }
}

public struct SearchOptions: Sendable {
    /// -m: stop a segment file after this many selected records.
    public var maxCountPerFile: Int?
    /// -q / -l: stop the segment (or everything) at the first match.
    public var stopAtFirstMatch: StopScope
    /// Set from another thread to end the search early (grep -q in parallel).
    public var cancellation: SearchCancellation?
    /// Worker threads for segment-parallel search (-j).
    public var threads: Int

    public enum StopScope: Sendable { case never, segment, everything }

    public init(maxCountPerFile: Int? = nil, stopAtFirstMatch: StopScope = .never, threads: Int = 1) {
        self.maxCountPerFile = maxCountPerFile
        self.stopAtFirstMatch = stopAtFirstMatch
        self.threads = threads
    }
}

/// A flag other threads set to stop a search between units.
public final class SearchCancellation: Sendable {
    private let flag = Atomic<Bool>(false)
    public init() {}
    public func cancel() { flag.store(true, ordering: .relaxed) }
    public var isCancelled: Bool { flag.load(ordering: .relaxed) }
}

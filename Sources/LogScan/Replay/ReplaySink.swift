/// Receives what a replay produces. Knows nothing about files: the replay
/// tells it which segment records come from, and the sink decides what to do
/// with them (print, count, search, collect).
public protocol ReplaySink: ~Copyable {
    /// A new segment starts; records until the next call come from `path`.
    mutating func beginSegment(path: String, kind: LogKind)
    /// One record. Return false to stop the whole replay.
    mutating func record(_ record: LogRecord) -> Bool
    /// A stretch of a log was dropped (or a torn tail ignored).
    mutating func damage(_ report: DamageReport)
    /// Something the user should know that did not stop the replay
    /// (an index that could not be used, a file passed over).
    mutating func warning(_ message: String)
    /// An input could not be read at all (missing, permission, shrank...).
    mutating func failure(_ error: LogScanError)
    /// Follow mode: everything written so far has been replayed and the
    /// replay waits for the writer (a printer flushes here).
    mutating func caughtUp()
}

extension ReplaySink where Self: ~Copyable {
    public mutating func beginSegment(path: String, kind: LogKind) {}
    public mutating func damage(_ report: DamageReport) {}
    public mutating func warning(_ message: String) {}
    public mutating func failure(_ error: LogScanError) {}
    public mutating func caughtUp() {}
}

/// Counts records; the sink behind `replay --count`.
public struct CountingSink: ReplaySink {
    public private(set) var count = 0
    public init() {}
    @inline(__always)
    public mutating func record(_ record: LogRecord) -> Bool {
        count += 1
        return true
    }
}

/// What a replay did, for the exit status and `--stats`.
public struct ReplaySummary: Sendable {
    public var records = 0
    public var segments = 0
    public var bytes: Int64 = 0
    /// Damage met that was not only a tolerated torn tail (exit status 3).
    public var damaged = false
    public var tornTails = 0
    /// Inputs that could not be read (exit status 2).
    public var failures = 0
    /// The sink asked to stop, or the limit was reached.
    public var stoppedEarly = false
    /// The I/O path used per segment file.
    public var io: [(path: String, report: IOReport)] = []

    public init() {}
}

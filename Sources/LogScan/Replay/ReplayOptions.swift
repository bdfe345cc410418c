/// What a replay reads and from where. Shared by replay, grep and the
/// commands that come after them.
public struct ReplayOptions: Sendable {
    public var kind: LogKind
    public var io: IOOptions
    /// Start at this sequence number / offset (records below it are not emitted).
    public var fromOffset: UInt64?
    /// Emit only records with a timestamp at or after this (ms since the epoch).
    public var fromTime: Int64?
    /// Stop after this many records.
    public var limit: Int?
    public var recovery: RecoveryMode
    /// Resume just after the record this token names (from `LogRecord.resumeToken`).
    public var after: ResumeToken? = nil
    /// Keep reading as the writer appends, instead of ending at the end of the log.
    public var follow: FollowOptions? = nil
    /// Lets another thread end a replay (a followed one above all) promptly.
    public var stop: ReplayStop? = nil
    /// A literal for readers to look for while they verify each unit, in the
    /// same pass over its bytes (`LogSearcher` sets it to its prefilter's
    /// first literal). Readers that cannot fuse the two ignore it.
    public var probe: LiteralFinder? = nil

    public init(kind: LogKind = .auto, io: IOOptions = IOOptions(), fromOffset: UInt64? = nil,
                fromTime: Int64? = nil, limit: Int? = nil, recovery: RecoveryMode = .pointInTime) {
        self.kind = kind
        self.io = io
        self.fromOffset = fromOffset
        self.fromTime = fromTime
        self.limit = limit
        self.recovery = recovery
    }
}

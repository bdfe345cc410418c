/// What to do when a log turns out to be damaged; the meanings of RocksDB's
/// WAL recovery modes.
public enum RecoveryMode: String, Sendable, CaseIterable {
    /// An incomplete last record or a zero-filled tail is ignored; any other damage is fatal.
    case tolerateTail = "tolerate-tail"
    /// Any damage, the tail included, is fatal.
    case absolute
    /// Stop at the first damage; everything before it is emitted.
    case pointInTime = "point-in-time"
    /// Skip damaged records and blocks, resynchronize, salvage the rest.
    case skipCorrupted = "skip-corrupted"
}

/// One stretch of a log that was not replayed, and why.
public struct DamageReport: Sendable, Equatable, CustomStringConvertible {
    public enum Action: String, Sendable {
        /// A torn tail, ignored as the mode allows.
        case tolerated
        /// Replay of this log stopped here.
        case stopped
        /// The bytes were skipped and replay went on after them.
        case skipped
    }

    public var path: String
    /// Byte range dropped: [start, end).
    public var start: Int64
    public var end: Int64
    public var reason: DamageReason
    public var detail: String
    public var action: Action

    public var bytesDropped: Int64 { max(0, end - start) }

    /// True when this was only a torn tail (exit status 0 outside absolute mode).
    public var isTornTailOnly: Bool { action == .tolerated }

    public var description: String {
        let what = detail.isEmpty ? reason.description : "\(reason.description): \(detail)"
        let verb: String
        switch action {
        case .tolerated: verb = "ignored torn tail"
        case .stopped: verb = "stopped"
        case .skipped: verb = "skipped"
        }
        return "\(path): bytes \(start)..\(end) (\(bytesDropped) bytes) \(verb): \(what)"
    }
}

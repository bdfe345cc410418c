/// Pull-based replay of logs, for callers that want to drive the loop:
///
///     let reader = LogReader(paths: ["wal"])
///     while true {
///         switch reader.next() {
///         case .record(let record): use(record)      // views, valid until the next call
///         case .event(let event): report(event)      // damage, warnings, segment changes
///         case .end: return
///         }
///     }
///
/// or, when only the records matter, `for record in reader.records { }` and
/// `reader.events` afterwards. The same engine as `LogReplayer` (which pushes
/// into a sink instead).
public final class LogReader {
    public let options: ReplayOptions
    private var paths: ArraySlice<String>
    private var current: Cursor?
    private var pending: [ReplayEvent] = []
    private var emitted = 0
    /// What `records` passed over: damage reports, warnings, failures.
    public private(set) var events: [ReplayEvent] = []
    public private(set) var summary = ReplaySummary()

    public init(paths: [String], options: ReplayOptions = ReplayOptions()) {
        self.paths = paths[...]
        self.options = options
    }

    /// The cursor for one resolved log, by format.
    enum Cursor {
        case native(SegmentCursor<NativeSegmentReader>)
        case kafka(SegmentCursor<KafkaSegmentReader>)
        case wal(SegmentCursor<WALSegmentReader>)
        case unsupported(LogScanError)

        func addStatistics(to summary: inout ReplaySummary) {
            switch self {
            case .native(let cursor): cursor.addStatistics(to: &summary)
            case .kafka(let cursor): cursor.addStatistics(to: &summary)
            case .wal(let cursor): cursor.addStatistics(to: &summary)
            case .unsupported: break
            }
        }

        /// One pull step, whatever the format.
        func next(whenCaughtUp caughtUp: () -> Void = {}) -> ReplayStep {
            switch self {
            case .native(let cursor): return cursor.next(whenCaughtUp: caughtUp)
            case .kafka(let cursor): return cursor.next(whenCaughtUp: caughtUp)
            case .wal(let cursor): return cursor.next(whenCaughtUp: caughtUp)
            case .unsupported(let error): return .event(.failure(error))
            }
        }
    }

    static func cursor(for input: LogInput, options: ReplayOptions) -> Cursor {
        let kind = input.segments.first?.kind ?? .native
        switch kind {
        case .native, .auto:
            return .native(SegmentCursor<NativeSegmentReader>(input: input, options: options, kind: .native))
        case .kafka:
            return .kafka(SegmentCursor<KafkaSegmentReader>(input: input, options: options, kind: .kafka))
        case .leveldb, .rocksdb:
            return .wal(SegmentCursor<WALSegmentReader>(input: input, options: options, kind: kind))
        }
    }

    public func next() -> ReplayStep { next(whenCaughtUp: {}) }

    /// `caughtUp` runs in follow mode each time everything written so far
    /// has been read and the reader is about to wait for the writer.
    public func next(whenCaughtUp caughtUp: () -> Void) -> ReplayStep {
        while true {
            if !pending.isEmpty { return .event(pending.removeFirst()) }
            if let limit = options.limit, emitted >= limit { return finish() }
            guard let cursor = current else {
                guard let path = paths.popFirst() else { return finish() }
                do throws(LogScanError) {
                    // Only the last log is followed: the others are read to their ends.
                    var options = self.options
                    if !paths.isEmpty { options.follow = nil }
                    current = LogReader.cursor(for: try LogInput.resolve(path, kind: options.kind), options: options)
                } catch {
                    summary.failures += 1
                    pending.append(.failure(error))
                }
                continue
            }
            let step = cursor.next(whenCaughtUp: caughtUp)
            if case .unsupported = cursor {
                summary.failures += 1
                current = nil
                return step
            }
            switch step {
            case .record:
                emitted += 1
                summary.records += 1
                return step
            case .event:
                return step
            case .end:
                cursor.addStatistics(to: &summary)
                current = nil
            }
        }
    }

    private func finish() -> ReplayStep {
        if let current {
            current.addStatistics(to: &summary)
            self.current = nil
            paths = []
        }
        return .end
    }

    /// The records alone; events are collected in `events`.
    public var records: Records { Records(reader: self) }

    public struct Records: Sequence, IteratorProtocol {
        let reader: LogReader
        public mutating func next() -> LogRecord? {
            while true {
                switch reader.next() {
                case .record(let record): return record
                case .event(let event): reader.events.append(event)
                case .end: return nil
                }
            }
        }
    }
}

/// Something replay has to say besides a record.
public enum ReplayEvent: Sendable {
    /// Records from here on come from this segment file.
    case beginSegment(path: String, kind: LogKind)
    /// A stretch of a log was dropped (or a torn tail ignored).
    case damage(DamageReport)
    /// Worth knowing, did not stop anything (an index that could not be used).
    case warning(String)
    /// An input or segment could not be read at all.
    case failure(LogScanError)
}

/// One step of a pull-based replay.
public enum ReplayStep {
    case record(LogRecord)
    case event(ReplayEvent)
    case end
}

/// Pull-based replay of one log with one format's reader: the segments in
/// order, --from/--from-time through the reader's index, and the recovery
/// policy applied to damage. Generic over the reader, so each format's
/// per-record path is specialized: no dynamic dispatch per record.
final class SegmentCursor<Reader: SegmentRecordReader> {
    let options: ReplayOptions
    let input: LogInput
    let kind: LogKind
    private let policy: DamagePolicy
    private var segments: ArraySlice<LogInput.Segment>
    private var reader: Reader?
    private var readerIsLast = false
    /// What the next segment must continue (nil: unknown or not checked).
    private var continuation: UInt64?
    private var pending: [ReplayEvent] = []
    private var finished = false

    /// Statistics of the segments read so far.
    private(set) var segmentsRead = 0
    private(set) var bytesDecoded: Int64 = 0
    private(set) var damaged = false
    private(set) var tornTails = 0
    private(set) var failures = 0
    private(set) var io: [(path: String, report: IOReport)] = []

    init(input: LogInput, options: ReplayOptions, kind: LogKind) {
        self.input = input
        self.options = options
        self.kind = kind
        policy = DamagePolicy(mode: options.recovery)
        segments = input.segments(from: options.fromOffset)
    }

    @inline(__always)
    func next() -> ReplayStep {
        // The path taken for almost every record.
        if pending.isEmpty, let reader {
            do throws(LogScanError) {
                if let record = try reader.nextRecord() { return .record(record) }
            } catch {
                handle(error)
            }
        }
        return slowNext()
    }

    private func slowNext() -> ReplayStep {
        switch advance(byUnit: false) {
        case .record(let record): return .record(record)
        case .unit: preconditionFailure("unit from a record step")
        case .event(let event): return .event(event)
        case .end: return .end
        }
    }

    enum Step {
        case record(LogRecord)
        case unit(Reader)
        case event(ReplayEvent)
        case end
    }

    /// The next unit (block, batch) of the log, with the same segment order,
    /// events and recovery as `next()`. The unit's records are read through
    /// the returned reader's `unit*` methods, until the next call.
    func nextUnit() -> Step { advance(byUnit: true) }

    /// Leaves the rest of the current segment unread (grep -m, -l): replay
    /// goes on with the next segment.
    func skipRestOfSegment() {
        guard reader != nil else { return }
        continuation = nil
        closeReader()
    }

    private func advance(byUnit: Bool) -> Step {
        while true {
            if !pending.isEmpty { return .event(pending.removeFirst()) }
            if finished { return .end }
            guard let reader else {
                openNextSegment()
                continue
            }
            do throws(LogScanError) {
                if byUnit {
                    if try reader.nextUnit() { return .unit(reader) }
                } else if let record = try reader.nextRecord() {
                    return .record(record)
                }
                if reader.source.windowFaulted {
                    throw ByteSourceAccess.shrankError(reader.source, position: reader.source.size ?? 0)
                }
                continuation = reader.continuation
                closeReader()
            } catch {
                handle(error)
            }
        }
    }

    private func openNextSegment() {
        guard let segment = segments.popFirst() else {
            finished = true
            return
        }
        readerIsLast = segments.isEmpty && input.endsLog
        let opened: Reader
        do throws(LogScanError) {
            opened = try Reader(opening: segment, in: input, options: options)
        } catch {
            // A segment that cannot even be opened as one: in skip-corrupted
            // mode the next is still replayed, unchecked.
            continuation = nil
            handle(error)
            return
        }
        pending.append(.beginSegment(path: segment.path, kind: kind))
        reader = opened
        if let previous = continuation, let gap = opened.continuityDamage(after: previous) {
            let (report, decision) = policy.decide(gap, isLastSegment: readerIsLast, fileSize: nil)
            damaged = true
            pending.append(.damage(report))
            if decision == .stop {
                stopLog()
                return
            }
        }
        if opened.prepare(for: options, segment: segment, warn: { pending.append(.warning($0)) }) == .skipSegment {
            continuation = nil
            closeReader()
        }
    }

    private func closeReader() {
        guard let reader else { return }
        segmentsRead += 1
        bytesDecoded += reader.bytesDecoded
        io.append((reader.source.path, reader.source.report))
        self.reader = nil
    }

    private func stopLog() {
        closeReader()
        finished = true
    }

    /// Turns an error into events and decides how the log goes on.
    private func handle(_ error: LogScanError) {
        var error = error
        // Damage in a file that got shorter while it was read is the
        // truncation showing, not damage (the pages past the new end read as
        // zeros up to the end of their page, then fault).
        if error.isDamage, let reader, let now = reader.source.shrunkSize() {
            error = LogScanError(path: error.path, position: error.position, .shrank(newSize: now))
        }
        guard error.isDamage else {
            failures += 1
            pending.append(.failure(error))
            stopLog()
            return
        }
        var (report, decision) = policy.decide(error, isLastSegment: readerIsLast || reader == nil && segments.isEmpty,
                                               fileSize: reader?.source.size)
        if report.action == .tolerated { tornTails += 1 } else { damaged = true }
        guard decision == .skip else {
            pending.append(.damage(report))
            stopLog()
            return
        }
        guard let reader else {
            // The segment could not be opened: all of it is skipped.
            pending.append(.damage(report))
            return
        }
        do throws(LogScanError) {
            report.end = try reader.resynchronize(after: report.start) ?? reader.source.size ?? report.end
            pending.append(.damage(report))
            continuation = nil
        } catch {
            pending.append(.damage(report))
            failures += 1
            pending.append(.failure(error))
            stopLog()
        }
    }

    func addStatistics(to summary: inout ReplaySummary) {
        summary.segments += segmentsRead
        summary.bytes += bytesDecoded
        summary.damaged = summary.damaged || damaged
        summary.tornTails += tornTails
        summary.failures += failures
        summary.io += io
    }
}

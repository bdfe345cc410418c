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
    // Internal rather than private for the follow extension (CursorFollow.swift).
    var segments: ArraySlice<LogInput.Segment>
    // The two properties the per-record path reads. Unchecked exclusivity:
    // dynamic enforcement (a thread-local access set, entered and left on
    // every read) cost a quarter of `replay --count`; nothing here touches
    // them re-entrantly.
    @exclusivity(unchecked) var reader: Reader? {
        didSet { fastReader = reader.map { Unmanaged.passUnretained($0) } }
    }
    /// `reader` without reference counting, for the per-record path (the
    /// strong `reader` keeps it alive): a retain and a release per record
    /// were a sixth of `replay --count`.
    @exclusivity(unchecked) private var fastReader: Unmanaged<Reader>?
    var readerIsLast = false
    /// What the next segment must continue (nil: unknown or not checked).
    private var continuation: UInt64?
    @exclusivity(unchecked) var pending: [ReplayEvent] = []
    private var finished = false
    /// The token to resume after, until the segment holding it is opened.
    private var resumeToken: ResumeToken?
    /// Follow mode: the segment being read, the watcher, and since when an
    /// incomplete tail has been waited for.
    var currentSegment: LogInput.Segment?
    lazy var watcher: FollowWatcher? = options.follow.map {
        FollowWatcher(directory: input.isDirectory ? input.path : Directory.parent(input.path), options: $0)
    }
    var tornSince: Int64?

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
        pending += input.notes.map(ReplayEvent.warning)
        if let token = options.after {
            resumeToken = token
            if let start = Reader.segmentIndex(resuming: token, in: input.segments) {
                self.segments = input.segments[start...]
            } else {
                self.segments = []
                failures += 1
                pending.append(.failure(ResumeToken.refused(input.path, token, "no segment of this log holds offset \(token.offset) (deleted, or the token is from another log)")))
            }
        }
    }

    @inline(__always)
    func next() -> ReplayStep { next(whenCaughtUp: {}) }

    /// `caughtUp` runs in follow mode each time the replay has read
    /// everything written so far and is about to wait for more (flush output there).
    @inline(__always)
    func next(whenCaughtUp caughtUp: () -> Void) -> ReplayStep {
        // The path taken for almost every record.
        if pending.isEmpty, let reader = fastReader {
            let step: Result<LogRecord?, LogScanError> = reader._withUnsafeGuaranteedRef { reader in
                do throws(LogScanError) { return .success(try reader.nextRecord()) } catch { return .failure(error) }
            }
            switch step {
            case .success(let record?): return .record(record)
            case .success(nil): break
            case .failure(let error): return slowNext(caughtUp, thrown: error)
            }
        }
        return slowNext(caughtUp)
    }

    private func slowNext(_ caughtUp: () -> Void, thrown: LogScanError? = nil) -> ReplayStep {
        switch advance(byUnit: false, caughtUp, thrown: thrown) {
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
    /// events, recovery and following as `next()`. The unit's records are
    /// read through the returned reader's `unit*` methods, until the next call.
    func nextUnit(whenCaughtUp caughtUp: () -> Void = {}) -> Step { advance(byUnit: true, caughtUp) }

    /// Leaves the rest of the current segment unread (grep -m, -l): replay
    /// goes on with the next segment.
    func skipRestOfSegment() {
        guard reader != nil else { return }
        continuation = nil
        closeReader()
    }

    private func advance(byUnit: Bool, _ caughtUp: () -> Void, thrown: LogScanError? = nil) -> Step {
        if let thrown { failed(thrown, caughtUp) }
        while true {
            if !pending.isEmpty { return .event(pending.removeFirst()) }
            if finished { return .end }
            guard let reader else {
                openNextSegment(caughtUp)
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
                if options.follow != nil && segments.isEmpty {
                    switch followAtEnd(reader, torn: nil, caughtUp) {
                    case .retry: continue
                    case .stopped, .timedOut: stopLog(); continue
                    case .failed(let error): throw error
                    }
                }
                continuation = reader.continuation
                closeReader()
            } catch {
                failed(error, caughtUp)
            }
        }
    }

    /// An error from the current reader: damage or failure, or in follow
    /// mode perhaps only the part of the log not written yet.
    private func failed(_ error: LogScanError, _ caughtUp: () -> Void) {
        if options.follow != nil && segments.isEmpty, let reader,
           case .damaged(let reason, _) = error.kind, reason.isTornTail {
            switch followAtEnd(reader, torn: error, caughtUp) {
            case .retry: return
            case .stopped: stopLog()
            case .timedOut: handle(error)
            case .failed(let failure): handle(failure)
            }
            return
        }
        handle(error)
    }

    private func openNextSegment(_ caughtUp: () -> Void) {
        guard let segment = segments.popFirst() else {
            finished = true
            return
        }
        readerIsLast = segments.isEmpty && input.endsLog
        let opened: Reader
        do throws(LogScanError) {
            opened = try Reader(opening: segment, in: input, options: options)
        } catch {
            if options.follow != nil && segments.isEmpty, case .damaged(let reason, _) = error.kind, reason.isTornTail {
                // A segment the writer has just created: its header is not all there yet.
                switch followNewSegment(segment, error: error, caughtUp) {
                case .retry:
                    segments.insert(segment, at: segments.startIndex)
                    return
                case .stopped:
                    finished = true
                    return
                case .timedOut: break
                case .failed(let failure):
                    handle(failure)
                    return
                }
            }
            // A segment that cannot even be opened as one: in skip-corrupted
            // mode the next is still replayed, unchecked.
            continuation = nil
            handle(error)
            return
        }
        pending.append(.beginSegment(path: segment.path, kind: kind))
        reader = opened
        currentSegment = segment
        if let previous = continuation, let gap = opened.continuityDamage(after: previous) {
            let (report, decision) = policy.decide(gap, isLastSegment: readerIsLast, fileSize: nil)
            damaged = true
            pending.append(.damage(report))
            if decision == .stop {
                stopLog()
                return
            }
        }
        if let token = resumeToken {
            resumeToken = nil
            do throws(LogScanError) {
                try opened.resume(after: token, segment: segment)
            } catch {
                handle(error)
            }
            return
        }
        if opened.prepare(for: options, segment: segment, warn: { pending.append(.warning($0)) }) == .skipSegment,
           options.follow == nil || !segments.isEmpty {  // a followed last segment may still get records
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

    func stopLog() {
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

/// Replays logs: resolves each path into segments, reads them in order with
/// the format's reader, applies --from/--from-time/--limit, and decides by
/// recovery mode what damage means. Records go to a ReplaySink.
public struct LogReplayer {
    public var options: ReplayOptions

    public init(options: ReplayOptions = ReplayOptions()) {
        self.options = options
    }

    /// Replays every path in order. Problems with one input are reported to
    /// the sink (`failure`, `damage`) and the next input is still replayed.
    public func run<Sink: ReplaySink & ~Copyable>(_ paths: [String], into sink: inout Sink) -> ReplaySummary {
        var summary = ReplaySummary()
        for (i, path) in paths.enumerated() {
            let input: LogInput
            do {
                input = try LogInput.resolve(path, kind: options.kind)
            } catch {
                summary.failures += 1
                sink.failure(error)
                continue
            }
            // Only the last log is followed: the others are read to their ends.
            var replayer = self
            if i < paths.count - 1 { replayer.options.follow = nil }
            if !replayer.replay(input, into: &sink, summary: &summary) { break }
        }
        return summary
    }

    /// Counts records the way a replay walks them (every block decoded and
    /// checked), through a sink the compiler can inline.
    /// `report` receives damage, failures and warnings (one non-nil argument).
    public func count(_ paths: [String], reportingTo report: @escaping (DamageReport?, LogScanError?, String?) -> Void) -> ReplaySummary {
        var sink = ForwardingCountSink(report: report)
        return run(paths, into: &sink)
    }

    /// Returns false when the replay must stop altogether.
    func replay<Sink: ReplaySink & ~Copyable>(_ input: LogInput, into sink: inout Sink, summary: inout ReplaySummary) -> Bool {
        switch LogReader.cursor(for: input, options: options) {
        case .native(let cursor): return drive(cursor, into: &sink, summary: &summary)
        case .kafka(let cursor): return drive(cursor, into: &sink, summary: &summary)
        case .wal(let cursor): return drive(cursor, into: &sink, summary: &summary)
        case .unsupported(let error):
            summary.failures += 1
            sink.failure(error)
            return true
        }
    }

    /// Pulls records from one log's cursor into the sink until the log ends,
    /// the sink says stop, or --limit is reached.
    private func drive<Reader, Sink: ReplaySink & ~Copyable>(_ cursor: SegmentCursor<Reader>, into sink: inout Sink,
                                                             summary: inout ReplaySummary) -> Bool {
        defer { cursor.addStatistics(to: &summary) }
        while true {
            switch cursor.next(whenCaughtUp: { sink.caughtUp() }) {
            case .record(let record):
                summary.records += 1
                if !sink.record(record) || (options.limit.map { summary.records >= $0 } ?? false) {
                    summary.stoppedEarly = true
                    return false
                }
            case .event(let event):
                sink.handle(event)
            case .end:
                return true
            }
        }
    }
}

extension ReplaySink where Self: ~Copyable {
    mutating func handle(_ event: ReplayEvent) {
        switch event {
        case .beginSegment(let path, let kind): beginSegment(path: path, kind: kind)
        case .damage(let report): damage(report)
        case .warning(let message): warning(message)
        case .failure(let error): failure(error)
        }
    }
}

/// The sink behind `count`: counts, and forwards reports to a closure.
struct ForwardingCountSink: ReplaySink {
    var count = 0
    let report: (DamageReport?, LogScanError?, String?) -> Void

    @inline(__always)
    mutating func record(_ record: LogRecord) -> Bool {
        count += 1
        return true
    }
    mutating func damage(_ damage: DamageReport) { report(damage, nil, nil) }
    mutating func failure(_ error: LogScanError) { report(nil, error, nil) }
    mutating func warning(_ message: String) { report(nil, nil, message) }
}

/// How damage met at one point turns into a report and what happens next.
struct DamagePolicy {
    let mode: RecoveryMode

    enum Decision { case stop, skip }

    /// `isLastSegment`: a torn tail is only a tail in the log's last segment;
    /// anywhere else the bytes after it were lost.
    func decide(_ error: LogScanError, isLastSegment: Bool, fileSize: Int64?) -> (DamageReport, Decision) {
        guard case .damaged(let reason, let detail) = error.kind else { preconditionFailure("not damage") }
        let start = error.position ?? 0
        let end = error.length.map { start + $0 } ?? fileSize ?? start
        var report = DamageReport(path: error.path, start: start, end: end, reason: reason, detail: detail, action: .stopped)
        let tail = reason.isTornTail && isLastSegment
        switch mode {
        case .absolute:
            return (report, .stop)
        case .tolerateTail, .pointInTime:
            if tail { report.action = .tolerated }
            return (report, .stop)
        case .skipCorrupted:
            if tail { report.action = .tolerated; return (report, .stop) }
            report.action = .skipped
            return (report, .skip)
        }
    }
}

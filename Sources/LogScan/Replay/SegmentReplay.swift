/// What replay needs from a format's segment reader. Each format's reader
/// conforms in its `*Replay.swift` file; the formats themselves know nothing
/// of replay.
protocol SegmentRecordReader: AnyObject {
    /// Opens one segment of `log` for reading.
    init(opening segment: LogInput.Segment, in log: LogInput, options: ReplayOptions) throws(LogScanError)

    var source: ByteSource { get }
    /// Bytes of the segment decoded so far (for --stats).
    var bytesDecoded: Int64 { get }

    /// The next record, or nil at the end of the segment. Damage is thrown
    /// as `.damaged` with its position and length.
    func nextRecord() throws(LogScanError) -> LogRecord?

    /// After damage at `position`: continue at the next unit (block, batch)
    /// that validates. Returns where reading resumes, nil when nothing follows.
    func resynchronize(after position: Int64) throws(LogScanError) -> Int64?

    /// Applies --from and --from-time: record filters, and an index seek
    /// where the format has an index. Problems with an index are warnings.
    func prepare(for options: ReplayOptions, segment: LogInput.Segment, warn: (String) -> Void) -> SeekOutcome

    /// Damage when this segment does not continue the previous one of the
    /// same log (`previous` is the previous segment's `continuation`).
    func continuityDamage(after previous: UInt64) -> LogScanError?

    /// What the next segment must continue from, once this one is read to
    /// its end; nil when the format has no such rule.
    var continuation: UInt64? { get }
}

enum SeekOutcome {
    /// Read the segment (from wherever the seek put the reader).
    case read
    /// The index shows that no record of the segment qualifies.
    case skipSegment
}

/// Replay of one log with one format's reader: segment order, the recovery
/// policy, --limit, and the sink. Generic so that each format's loop is
/// specialized: no dynamic dispatch per record.
struct SegmentReplay<Reader: SegmentRecordReader> {
    let options: ReplayOptions
    let input: LogInput
    let kind: LogKind

    /// The segments to open: those wholly before --from are passed over by
    /// name when the format names segments by their first offset.
    var segmentsToRead: ArraySlice<LogInput.Segment> {
        var segments = input.segments[...]
        if let from = options.fromOffset,
           let start = segments.lastIndex(where: { $0.baseOffset != nil && $0.baseOffset! <= from }) {
            segments = segments[start...]
        }
        return segments
    }

    /// Returns false when the whole replay must stop (sink or limit).
    func run<Sink: ReplaySink & ~Copyable>(into sink: inout Sink, summary: inout ReplaySummary) -> Bool {
        let policy = DamagePolicy(mode: options.recovery)
        var continuation: UInt64? = nil
        let segments = segmentsToRead
        for (i, segment) in zip(segments.indices, segments) {
            let isLast = i == input.segments.count - 1
            switch replaySegment(segment, isLast: isLast, continuation: &continuation, policy: policy, sink: &sink, summary: &summary) {
            case .next: continue
            case .stopLog: return true
            case .stopAll: return false
            }
        }
        return true
    }

    enum Outcome { case next, stopLog, stopAll }

    private func replaySegment<Sink: ReplaySink & ~Copyable>(
        _ segment: LogInput.Segment, isLast: Bool, continuation: inout UInt64?,
        policy: DamagePolicy, sink: inout Sink, summary: inout ReplaySummary
    ) -> Outcome {
        let reader: Reader
        do throws(LogScanError) {
            reader = try Reader(opening: segment, in: input, options: options)
        } catch {
            // A segment that cannot even be opened as one: in skip-corrupted
            // mode the next segment is still replayed, unchecked.
            continuation = nil
            return handle(error, isLast: isLast, policy: policy, reader: nil, sink: &sink, summary: &summary)
        }
        defer {
            summary.segments += 1
            summary.bytes += reader.bytesDecoded
            summary.io.append((segment.path, reader.source.report))
        }
        sink.beginSegment(path: segment.path, kind: kind)

        if let previous = continuation, let gap = reader.continuityDamage(after: previous) {
            let (report, decision) = policy.decide(gap, isLastSegment: isLast, fileSize: nil)
            summary.damaged = true
            sink.damage(report)
            if decision == .stop { return .stopLog }
        }
        if reader.prepare(for: options, segment: segment, warn: { sink.warning($0) }) == .skipSegment {
            continuation = nil
            return .next
        }

        while true {
            do throws(LogScanError) {
                while let record = try reader.nextRecord() {
                    summary.records += 1
                    if !sink.record(record) { summary.stoppedEarly = true; return .stopAll }
                    if let limit = options.limit, summary.records >= limit { summary.stoppedEarly = true; return .stopAll }
                }
                if reader.source.windowFaulted {
                    throw ByteSourceAccess.shrankError(reader.source, position: reader.source.size ?? 0)
                }
                continuation = reader.continuation
                return .next
            } catch {
                let outcome = handle(error, isLast: isLast, policy: policy, reader: reader, sink: &sink, summary: &summary)
                if outcome != .next { return outcome }
                // Skipped: the reader resynchronized; go on reading it.
                continuation = nil
            }
        }
    }

    private func handle<Sink: ReplaySink & ~Copyable>(_ error: LogScanError, isLast: Bool, policy: DamagePolicy, reader: Reader?,
                                                      sink: inout Sink, summary: inout ReplaySummary) -> Outcome {
        guard error.isDamage else {
            summary.failures += 1
            sink.failure(error)
            return .stopLog
        }
        var (report, decision) = policy.decide(error, isLastSegment: isLast, fileSize: reader?.source.size)
        if report.action == .tolerated { summary.tornTails += 1 } else { summary.damaged = true }
        guard decision == .skip else {
            sink.damage(report)
            return .stopLog
        }
        guard let reader else {
            // The segment could not be opened: skip all of it.
            sink.damage(report)
            return .next
        }
        do throws(LogScanError) {
            report.end = try reader.resynchronize(after: report.start) ?? reader.source.size ?? report.end
            sink.damage(report)
            return .next
        } catch {
            sink.damage(report)
            summary.failures += 1
            sink.failure(error)
            return .stopLog
        }
    }
}

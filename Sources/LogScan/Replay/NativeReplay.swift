/// Replay of one native log (a directory of segments, one segment, or stdin).
struct NativeReplay {
    let options: ReplayOptions
    let input: LogInput

    func run<Sink: ReplaySink & ~Copyable>(into sink: inout Sink, summary: inout ReplaySummary) -> Bool {
        let policy = DamagePolicy(mode: options.recovery)
        var segments = input.segments[...]
        // --from: segments are named by base sequence, so those wholly
        // before the target are passed over without being opened.
        if let from = options.fromOffset, let start = segments.lastIndex(where: { ($0.baseOffset ?? 0) <= from && $0.baseOffset != nil }) {
            segments = segments[start...]
        }
        var expected: UInt64? = nil
        for (i, segment) in zip(segments.indices, segments) {
            let isLast = i == input.segments.count - 1
            let outcome = replaySegment(segment, isLast: isLast, expected: &expected, policy: policy, sink: &sink, summary: &summary)
            switch outcome {
            case .next: continue
            case .stopLog: return true
            case .stopAll: return false
            }
        }
        return true
    }

    enum Outcome { case next, stopLog, stopAll }

    private func replaySegment<Sink: ReplaySink & ~Copyable>(_ segment: LogInput.Segment, isLast: Bool, expected: inout UInt64?,
                                                 policy: DamagePolicy, sink: inout Sink, summary: inout ReplaySummary) -> Outcome {
        let reader: NativeSegmentReader
        do throws(LogScanError) {
            let file = try OpenFile(path: segment.path)
            reader = try NativeSegmentReader(source: ByteSource(file: file, options: options.io))
        } catch {
            // A segment whose header cannot be read: in skip-corrupted mode
            // the next segment is still replayed, without a continuity check.
            let outcome = handle(error, isLast: isLast, policy: policy, reader: nil, sink: &sink, summary: &summary, fatal: true)
            if outcome == .next { expected = nil }
            return outcome
        }
        defer {
            summary.segments += 1
            summary.bytes += reader.bytesDecoded
            summary.io.append((segment.path, reader.source.report))
        }
        sink.beginSegment(path: segment.path, kind: .native)

        if let expected, reader.header.baseSequence != expected {
            var gap = LogScanError(path: segment.path, position: 0, .damaged(.sequenceGap, detail:
                "segment starts at sequence \(reader.header.baseSequence), the previous one ended before \(expected)"))
            gap.length = 0
            let (report, decision) = policy.decide(gap, isLastSegment: isLast, fileSize: nil)
            summary.damaged = true
            sink.damage(report)
            if decision == .stop { return .stopLog }
        }
        if let from = options.fromOffset {
            reader.minimumSequence = from
            _ = seek(reader, segment: segment, sink: &sink) { index throws(LogScanError) in
                try index.floor(sequence: from).map(SeekTarget.block) ?? .start
            }
        }
        if let fromTime = options.fromTime {
            reader.minimumTimestamp = fromTime
            if options.fromOffset == nil {
                let skip = seek(reader, segment: segment, sink: &sink) { index throws(LogScanError) in
                    // No entry reaches the time: every record of the segment is older.
                    try index.first(reachingTimestamp: fromTime).map(SeekTarget.block) ?? .pastEnd
                }
                if skip {
                    // Passed over on the index alone, so the next segment's
                    // continuity cannot be checked against this one.
                    expected = nil
                    return .next
                }
            }
        }

        while true {
            do throws(LogScanError) {
                while let record = try reader.next() {
                    summary.records += 1
                    if !sink.record(.native(record)) { summary.stoppedEarly = true; return .stopAll }
                    if let limit = options.limit, summary.records >= limit { summary.stoppedEarly = true; return .stopAll }
                }
                if reader.source.windowFaulted {
                    throw ByteSourceAccess.shrankError(reader.source, position: reader.nextBlockPosition)
                }
                expected = reader.expectedSequence
                return .next
            } catch {
                let outcome = handle(error, isLast: isLast, policy: policy, reader: reader, sink: &sink, summary: &summary, fatal: false)
                if outcome != .next { return outcome }
                // Skipped: the reader was resynchronized; continue with it.
                expected = nil
            }
        }
    }

    enum SeekTarget {
        case start
        case block(NativeIndexEntry)
        case pastEnd
    }

    /// Uses the segment's index to start near the target. A missing or
    /// inconsistent index costs a warning and a scan, never wrong output.
    /// Returns true when the index shows that no record of the segment qualifies.
    private func seek<Sink: ReplaySink & ~Copyable>(_ reader: NativeSegmentReader, segment: LogInput.Segment, sink: inout Sink,
                                                    _ lookup: (NativeIndex) throws(LogScanError) -> SeekTarget) -> Bool {
        guard let indexPath = segment.indexPath else {
            if segment.path != "-" && input.isDirectory {
                sink.warning("\(segment.path): no index file; scanning from the start of the segment")
            }
            return false
        }
        do throws(LogScanError) {
            let index = try NativeIndex(path: indexPath, io: IOOptions(mode: options.io.mode == .pread ? .pread : .auto))
            guard index.baseSequence == reader.header.baseSequence else {
                sink.warning("\(indexPath): index is for base sequence \(index.baseSequence), segment starts at \(reader.header.baseSequence); scanning")
                return false
            }
            switch try lookup(index) {
            case .start:
                return false
            case .pastEnd:
                return true
            case .block(let entry):
                if try reader.probeBlock(at: entry.position, sequence: entry.firstSequence) {
                    reader.reposition(toBlockAt: entry.position, sequence: entry.firstSequence)
                } else {
                    sink.warning("\(indexPath): entry for sequence \(entry.firstSequence) points at byte \(entry.position), where that block is not; scanning")
                }
                return false
            }
        } catch {
            sink.warning("\(indexPath): index unusable (\(error)); scanning")
            return false
        }
    }

    private func handle<Sink: ReplaySink & ~Copyable>(_ error: LogScanError, isLast: Bool, policy: DamagePolicy, reader: NativeSegmentReader?,
                                          sink: inout Sink, summary: inout ReplaySummary, fatal: Bool) -> Outcome {
        guard error.isDamage else {
            summary.failures += 1
            sink.failure(error)
            return .stopLog
        }
        var (report, decision) = policy.decide(error, isLastSegment: isLast, fileSize: reader?.source.size)
        if report.action != .tolerated { summary.damaged = true } else { summary.tornTails += 1 }
        if decision == .skip && fatal {
            sink.damage(report)
            return .next
        }
        if decision == .skip, let reader {
            do throws(LogScanError) {
                if let resumed = try reader.resynchronize(after: report.start) {
                    report.end = resumed
                    sink.damage(report)
                    return .next
                }
                report.end = reader.source.size ?? report.end
                sink.damage(report)
                return .next
            } catch {
                sink.damage(report)
                summary.failures += 1
                sink.failure(error)
                return .stopLog
            }
        }
        sink.damage(report)
        return .stopLog
    }
}

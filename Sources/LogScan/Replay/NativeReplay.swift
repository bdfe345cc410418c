/// The native format's part in replay: opening, index seeks, continuity.
extension NativeSegmentReader: SegmentRecordReader {
    convenience init(opening segment: LogInput.Segment, in log: LogInput, options: ReplayOptions) throws(LogScanError) {
        let file = try OpenFile(path: segment.path)
        try self.init(source: ByteSource(file: file, options: options.io))
        probe = options.probe
    }

    @inline(__always)
    func nextRecord() throws(LogScanError) -> LogRecord? {
        guard let record = try next() else { return nil }
        return .native(record)
    }

    /// Native sequence numbers continue across segments without gaps.
    func continuityDamage(after previous: UInt64) -> LogScanError? {
        guard header.baseSequence != previous else { return nil }
        var gap = LogScanError(path: path, position: 0, .damaged(.sequenceGap, detail:
            "segment starts at sequence \(header.baseSequence), the previous one ended before \(previous)"))
        gap.length = 0
        return gap
    }

    var continuation: UInt64? { expectedSequence }

    func nextUnit() throws(LogScanError) -> Bool {
        guard try nextBlock() else { return false }
        consumeBlock()
        return true
    }

    var unitRecordCount: Int { blockRecordCount }
    var unitBytes: UnsafeRawBufferPointer? { blockPayload }
    var unitProbe: UnitProbe { UnitProbe(hits: probeHits, searched: probeSearched) }

    @inline(__always)
    func unitRecord(_ index: Int) -> LogRecord? { blockRecord(index).map(LogRecord.native) }

    func unitRecordIndex(containing offset: Int) -> Int { blockRecordIndex(containing: offset) }
    func unitRecordStart(_ index: Int) -> Int { blockRecordStart(index) }

    func prepare(for options: ReplayOptions, segment: LogInput.Segment, warn: (String) -> Void) -> SeekOutcome {
        if let from = options.fromOffset {
            minimumSequence = from
            _ = seek(segment: segment, warn: warn) { index throws(LogScanError) in
                try index.floor(sequence: from).map(IndexTarget.block) ?? .start
            }
        }
        if let fromTime = options.fromTime {
            minimumTimestamp = fromTime
            if options.fromOffset == nil {
                let skip = seek(segment: segment, warn: warn) { index throws(LogScanError) in
                    try timeTarget(fromTime, in: index)
                }
                if skip { return .skipSegment }
            }
        }
        return .read
    }

    enum IndexTarget {
        case start
        case block(NativeIndexEntry)
        case pastEnd
    }

    /// Where --from-time starts. Skipping blocks on the index's word loses
    /// records if the index under-reports timestamps, so the entry that
    /// justifies the skip (the one before the target, or the last when the
    /// whole segment is passed over) is checked against its block's header.
    private func timeTarget(_ time: Int64, in index: NativeIndex) throws(LogScanError) -> IndexTarget {
        let found = try index.firstIndex(reachingTimestamp: time)
        let witness = (found ?? index.entryCount) - 1
        if witness >= 0 {
            let entry = try index.entry(witness)
            guard let header = try probeHeader(at: entry.position), header.firstSequence == entry.firstSequence,
                  header.maxTimestamp <= entry.maxTimestampSoFar else {
                throw LogScanError(path: index.path, position: Int64(NativeFormat.indexHeaderSize + witness * NativeFormat.indexEntrySize),
                                   .damaged(.badIndex, detail: "entry \(witness) does not agree with the block it names"))
            }
        }
        guard let found else { return .pastEnd }
        return .block(try index.entry(found))
    }

    /// Uses the segment's index to start near the target. A missing or
    /// inconsistent index costs a warning and a scan, never wrong output.
    /// Returns true when the index shows that no record of the segment qualifies.
    private func seek(segment: LogInput.Segment, warn: (String) -> Void,
                      _ lookup: (NativeIndex) throws(LogScanError) -> IndexTarget) -> Bool {
        guard let indexPath = segment.indexPath else {
            if segment.baseOffset != nil {
                warn("\(segment.path): no index file; scanning from the start of the segment")
            }
            return false
        }
        do throws(LogScanError) {
            let index = try NativeIndex(path: indexPath, io: IOOptions(mode: source.options.mode == .pread ? .pread : .auto))
            guard index.baseSequence == header.baseSequence else {
                warn("\(indexPath): index is for base sequence \(index.baseSequence), segment starts at \(header.baseSequence); scanning")
                return false
            }
            switch try lookup(index) {
            case .start:
                return false
            case .pastEnd:
                return true
            case .block(let entry):
                if try probeBlock(at: entry.position, sequence: entry.firstSequence) {
                    reposition(toBlockAt: entry.position, sequence: entry.firstSequence)
                } else {
                    warn("\(indexPath): entry for sequence \(entry.firstSequence) points at byte \(entry.position), where that block is not; scanning")
                }
                return false
            }
        } catch {
            warn("\(indexPath): index unusable (\(error)); scanning")
            return false
        }
    }
}

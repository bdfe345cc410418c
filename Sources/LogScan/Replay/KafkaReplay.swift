/// Kafka's part in replay: opening a segment, --from/--from-time through the
/// `.index`/`.timeindex`, and offset continuity across segments.
extension KafkaSegmentReader: SegmentRecordReader {
    convenience init(opening segment: LogInput.Segment, in log: LogInput, options: ReplayOptions) throws(LogScanError) {
        let file = try OpenFile(path: segment.path)
        self.init(source: try ByteSource(file: file, options: options.io),
                  baseOffset: segment.baseOffset.map { Int64(clamping: $0) })
    }

    @inline(__always)
    func nextRecord() throws(LogScanError) -> LogRecord? {
        guard let record = try next() else { return nil }
        return .kafka(record)
    }

    /// Offsets only increase across segments. Compaction leaves gaps, which
    /// are fine; a segment whose base offset (its name) is below the offset
    /// where the previous one ended goes backwards. Batches are held to it too.
    func continuityDamage(after previous: UInt64) -> LogScanError? {
        let expected = Int64(clamping: previous)
        expectedMinimumOffset = max(expectedMinimumOffset, expected)
        guard let base = segmentBaseOffset, base < expected else { return nil }
        var error = LogScanError(path: path, position: 0, .damaged(.sequenceGap, detail:
            "segment's base offset \(base) is below offset \(expected), where the previous segment ended"))
        error.length = 0
        return error
    }

    /// The offset after the last one read (the next segment starts at or above it).
    var continuation: UInt64? {
        if let last = lastOffsetRead { return UInt64(clamping: last &+ 1) }
        return segmentBaseOffset.map { UInt64(clamping: $0) }
    }

    /// --from OFFSET: records below it are skipped, and the offset index
    /// gives the batch to start at (the greatest entry at or below the
    /// target; its batch and everything after it are read).
    /// --from-time MS: every record with a timestamp of MS or more is
    /// emitted. The time index's greatest entry at or below MS names an
    /// offset whose batch (found through the offset index) no earlier record
    /// can reach MS from; reading starts there. Batches whose maxTimestamp is
    /// below MS are stepped over on their header.
    /// A missing or broken index costs a warning and a scan from the start.
    func prepare(for options: ReplayOptions, segment: LogInput.Segment, warn: (String) -> Void) -> SeekOutcome {
        if let from = options.fromOffset { minimumOffset = Int64(clamping: from) }
        if let fromTime = options.fromTime { minimumTimestamp = fromTime }
        guard let base = segmentBaseOffset else { return .read }
        let io = IOOptions(mode: source.options.mode == .pread ? .pread : .auto)
        let logSize = source.size ?? 0
        let stem = String(segment.path.dropLast(KafkaFormat.segmentExtension.count))

        func offsetIndex() -> KafkaIndex? {
            guard let indexPath = segment.indexPath else {
                warn("\(segment.path): no offset index (\(Directory.baseName(stem))\(KafkaFormat.offsetIndexExtension)); scanning from the start of the segment")
                return nil
            }
            do throws(LogScanError) {
                return try KafkaIndex(path: indexPath, kind: .offset, baseOffset: base, logSize: logSize, io: io)
            } catch {
                warn("\(error); scanning from the start of the segment")
                return nil
            }
        }

        /// Starts at the batch the offset index gives for `target`.
        func seek(toOffset target: Int64, index: KafkaIndex) {
            do throws(LogScanError) {
                guard let (entryOffset, position) = try index.floor(target) else { return }
                // The entry must point at a whole batch whose CRC holds and
                // that starts at or below the entry's offset.
                if let header = try validEntry(at: position), header.magic < 2 || header.baseOffset <= entryOffset {
                    reposition(to: position)
                } else {
                    warn("\(index.path): entry for offset \(entryOffset) points at byte \(position), where no such batch starts; scanning from the start of the segment")
                }
            } catch {
                warn("\(index.path): \(error); scanning from the start of the segment")
            }
        }

        if let from = options.fromOffset {
            // Targets at or below the base offset start at the beginning anyway.
            if Int64(clamping: from) > base, let index = offsetIndex() {
                seek(toOffset: Int64(clamping: from), index: index)
            }
            return .read
        }
        if let fromTime = options.fromTime {
            let timePath = stem + KafkaFormat.timeIndexExtension
            guard Directory.exists(timePath) else {
                warn("\(segment.path): no time index (\(Directory.baseName(timePath))); scanning from the start of the segment")
                return .read
            }
            do throws(LogScanError) {
                let timeIndex = try KafkaIndex(path: timePath, kind: .time, baseOffset: base, logSize: logSize, io: io)
                guard let (_, offset) = try timeIndex.floor(fromTime) else { return .read }
                if offset > base, let index = offsetIndex() { seek(toOffset: offset, index: index) }
            } catch {
                warn("\(error); scanning from the start of the segment")
            }
        }
        return .read
    }

    // MARK: Units for search: one batch each.

    func nextUnit() throws(LogScanError) -> Bool { try nextBatch() }
    var unitRecordCount: Int { batchRecordCount }
    var unitBytes: UnsafeRawBufferPointer? { batchRecordBytes }
    func unitRecord(_ index: Int) -> LogRecord? { batchRecord(index).map(LogRecord.kafka) }
    func unitRecordIndex(containing offset: Int) -> Int { batchRecordIndex(containing: offset) }
    func unitRecordStart(_ index: Int) -> Int { batchRecordStart(index) }
}

// MARK: Resume

extension KafkaRecord: ResumableRecord {
    /// Kafka tokens name the record's offset and its batch's position; the
    /// batch is identified on resume by being whole, its CRC holding, and
    /// its offsets covering the token's (the check field is not used).
    public var resumeToken: ResumeToken {
        ResumeToken(kind: .kafka, offset: UInt64(clamping: offset), unitPosition: batchPosition, check: 0)
    }
}

extension KafkaSegmentReader {
    func resume(after token: ResumeToken, segment: LogInput.Segment) throws(LogScanError) {
        guard token.kind == .kafka else {
            throw ResumeToken.refused(path, token, "it is a \(token.kind.rawValue) token, this is a Kafka log")
        }
        guard let header = try validEntry(at: token.unitPosition),
              header.baseOffset <= Int64(clamping: token.offset), Int64(clamping: token.offset) <= header.lastOffset else {
            throw ResumeToken.refused(path, token, "no batch holding offset \(token.offset) at byte \(token.unitPosition) of \(segment.path); the log was rewritten or the token is from another log")
        }
        reposition(to: token.unitPosition)
        minimumOffset = Int64(clamping: token.offset) &+ 1
    }
}

// MARK: Follow

extension KafkaSegmentReader {
    /// The default hook, and the chunk view dropped first: it points into
    /// windows that `release()` unmaps.
    func refreshForFollow() throws(LogScanError) -> Bool {
        dropView()
        let before = source.size
        guard let now = try source.refreshSize() else { return false }
        source.release()
        return now != before
    }
}

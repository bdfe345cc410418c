/// LevelDB/RocksDB WALs in replay: opening a file (its log number from the
/// name), --from by sequence, sequence continuity across WAL files, one
/// WriteBatch per search unit, resume tokens, follow.
extension WALSegmentReader: SegmentRecordReader {
    convenience init(opening segment: LogInput.Segment, in log: LogInput, options: ReplayOptions) throws(LogScanError) {
        let file = try OpenFile(path: segment.path)
        self.init(source: try ByteSource(file: file, options: options.io), kind: segment.kind,
                  logNumber: WALFormat.logNumber(fileName: Directory.baseName(segment.path)))
    }

    @inline(__always)
    func nextRecord() throws(LogScanError) -> LogRecord? {
        guard let batch = try next() else { return nil }
        return .writeBatch(batch)
    }

    func resynchronize(after position: Int64) throws(LogScanError) -> Int64? {
        resumeAfterDamage()
    }

    /// --from SEQ: batches whose last sequence is below SEQ are passed over.
    /// WALs have no index and no timestamps (--from-time selects nothing).
    func prepare(for options: ReplayOptions, segment: LogInput.Segment, warn: (String) -> Void) -> SeekOutcome {
        if let from = options.fromOffset { minimumSequence = from }
        if options.fromTime != nil {
            warn("\(segment.path): WAL records have no timestamps; --from-time selects none of them")
            return .skipSegment
        }
        return .read
    }

    /// Sequence numbers only increase from one WAL file to the next (the
    /// first batch of a file starts at or above the last sequence of the
    /// previous one). Checked when the first batch is read.
    func continuityDamage(after previous: UInt64) -> LogScanError? {
        expectedMinimumSequence = previous
        return nil
    }

    var continuation: UInt64? { highestSequence ?? expectedMinimumSequence }

    // MARK: Units for search: one batch each, its bytes the batch's rep.

    func nextUnit() throws(LogScanError) -> Bool {
        unit = try next()
        return unit != nil
    }

    var unitRecordCount: Int { unit == nil ? 0 : 1 }
    var unitBytes: UnsafeRawBufferPointer? { unit?.bytes }
    func unitRecord(_ index: Int) -> LogRecord? { unit.map(LogRecord.writeBatch) }
    func unitRecordIndex(containing offset: Int) -> Int { 0 }
    func unitRecordStart(_ index: Int) -> Int { 0 }

    // MARK: Resume and follow

    /// The WAL file whose log number the token names.
    static func segmentIndex(resuming token: ResumeToken, in segments: [LogInput.Segment]) -> Int? {
        if segments.count == 1 { return 0 }
        return segments.firstIndex { WALFormat.logNumber(fileName: Directory.baseName($0.path)) == token.file }
    }

    /// WAL tokens name the batch's first fragment: its header must still be
    /// at the token's position with the token's CRC, in the file with the
    /// token's log number, and hold the token's sequence.
    func resume(after token: ResumeToken, segment: LogInput.Segment) throws(LogScanError) {
        guard token.kind == .leveldb || token.kind == .rocksdb else {
            throw ResumeToken.refused(path, token, "it is a \(token.kind.rawValue) token, this is a \(kind.rawValue) WAL")
        }
        guard token.file == log.logNumber else {
            throw ResumeToken.refused(path, token, "it names WAL file number \(token.file), this is \(log.logNumber) (the file was deleted, or the token is from another log)")
        }
        guard let batch = try skip(batchAt: token.unitPosition, check: token.check), batch.sequence == token.offset else {
            throw ResumeToken.refused(path, token, "no batch with sequence \(token.offset) at byte \(token.unitPosition) of \(segment.path); the log was rewritten or the token is from another log")
        }
    }

    func refreshForFollow() throws(LogScanError) -> Bool {
        let before = source.size
        guard let now = try source.refreshSize() else { return false }
        source.release()
        guard now != before else { return false }
        try restartAfterLastRecord()
        return true
    }
}

extension WriteBatchRecord: ResumableRecord {
    public var resumeToken: ResumeToken {
        ResumeToken(kind: isLevelDB ? .leveldb : .rocksdb, offset: sequence, unitPosition: position, check: check, file: logNumber)
    }
}

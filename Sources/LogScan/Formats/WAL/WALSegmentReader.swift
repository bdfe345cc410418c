/// Reads the WriteBatches of one LevelDB/RocksDB WAL file: the log reader's
/// logical records, each validated as a batch (every op decodable, the
/// count right). What the log reader reports becomes damage, thrown as
/// `.damaged(reason, ...)` with the position; the reader has already moved
/// past it, so reading can go on (`resumeAfterDamage`).
///
/// The batch walk reads the record's bytes right after the log reader has
/// checked their CRC under the SIGBUS guard; if the file shrinks in between,
/// the mapping is patched and the next block read reports it.
public final class WALSegmentReader {
    public let log: WALLogReader
    public var source: ByteSource { log.source }
    public var path: String { log.source.path }
    public let kind: LogKind

    /// Batches whose last sequence is below this are passed over (--from).
    public var minimumSequence: UInt64 = 0
    /// The first batch must not start below this (the previous file's last).
    public var expectedMinimumSequence: UInt64? = nil
    /// The largest sequence read so far.
    public private(set) var highestSequence: UInt64? = nil
    public private(set) var batchesDecoded = 0
    public private(set) var bytesDecoded: Int64 = 0
    /// True once the log has ended (cleanly, torn, or at a stale recycled tail).
    public private(set) var ended = false
    /// The batch search is looking at (replay's unit API).
    var unit: WriteBatchRecord? = nil

    public init(source: ByteSource, kind: LogKind, logNumber: UInt64) {
        self.kind = kind
        log = WALLogReader(source: source, dialect: kind == .leveldb ? .leveldb : .rocksdb, logNumber: logNumber)
    }

    /// The next batch, or nil at the end of the log.
    public func next() throws(LogScanError) -> WriteBatchRecord? {
        while true {
            switch try log.next() {
            case .record(let logical):
                let batch = try decode(logical)
                if batch.lastSequence < minimumSequence { continue }
                return batch
            case .report(let report):
                throw damage(report.reason, at: report.position, length: Int64(report.bytes), report.message)
            case .end(let end):
                ended = true
                switch end.kind {
                case .clean, .staleRecycled:
                    return nil
                case .torn, .recycledDamage:
                    throw damage(.truncated, at: end.position, length: end.length, end.detail)
                }
            }
        }
    }

    @inline(__always)
    private func decode(_ logical: WALLogicalRecord) throws(LogScanError) -> WriteBatchRecord {
        let bytes = logical.bytes
        let leveldb = kind == .leveldb
        if let failure = WriteBatchOps.validate(bytes, leveldb: leveldb) {
            let detail = bytes.count < WALFormat.batchHeaderSize
                ? "log record of \(bytes.count) bytes is too small for a WriteBatch"
                : "WriteBatch of \(bytes.count) bytes, at its byte \(failure.offset): \(failure.message)"
            throw damage(.badRecord, at: logical.position, length: Int64(bytes.count), detail)
        }
        let base = bytes.baseAddress!
        let batch = WriteBatchRecord(position: logical.position, ldbOffset: logical.offset, sequence: base.le64(0),
                                     count: base.le32(8), bytes: bytes, logNumber: log.logNumber,
                                     check: logical.check, isLevelDB: leveldb)
        if let expected = expectedMinimumSequence {
            expectedMinimumSequence = nil
            if batch.sequence < expected {
                throw damage(.sequenceGap, at: logical.position, length: Int64(bytes.count),
                             "first batch has sequence \(batch.sequence), below \(expected) where the previous log ended")
            }
        }
        highestSequence = max(highestSequence ?? 0, batch.lastSequence)
        batchesDecoded += 1
        bytesDecoded += Int64(bytes.count)
        return batch
    }

    /// After damage: the log reader has already dropped what RocksDB drops
    /// (the rest of a block, or the record) and goes on from there. Returns
    /// that position, nil when the log has ended.
    public func resumeAfterDamage() -> Int64? {
        ended ? nil : log.bytesConsumed
    }

    /// Positions the reader just after the batch whose first fragment's
    /// header is at `position` and carries `check`; returns that batch, or
    /// nil when no such batch is there.
    public func skip(batchAt position: Int64, check: UInt32) throws(LogScanError) -> WriteBatchRecord? {
        try log.reposition(to: position)
        guard case .record(let logical) = try log.next(), logical.position == position, logical.check == check else {
            return nil
        }
        let saved = expectedMinimumSequence
        expectedMinimumSequence = nil
        defer { expectedMinimumSequence = saved }
        return try? decode(logical)
    }

    /// Follow mode: starts over just after the last batch handed out.
    public func restartAfterLastRecord() throws(LogScanError) {
        ended = false
        try log.reposition(to: log.lastRecordEnd)
    }

    private func damage(_ reason: DamageReason, at position: Int64, length: Int64?, _ detail: String) -> LogScanError {
        var error = LogScanError(path: path, position: position, .damaged(reason, detail: detail))
        error.length = length
        return error
    }
}

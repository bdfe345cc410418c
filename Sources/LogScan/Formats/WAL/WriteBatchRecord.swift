/// One logical WAL record decoded as a WriteBatch: what replay and search
/// hand out for LevelDB/RocksDB logs. Its bytes are a view (of the mapping
/// for FULL records, of the reader's reassembly or decompression buffer
/// otherwise), valid until the reader advances.
public struct WriteBatchRecord {
    /// File offset of the header of the record's first fragment.
    public var position: Int64
    /// The offset `ldb dump_wal` prints (RocksDB's LastRecordOffset: after a
    /// block trailer, the trailer's start; LevelDB: the same as `position`).
    public var ldbOffset: Int64
    public var sequence: UInt64
    /// The batch header's count, as written (checked against the ops).
    public var count: UInt32
    /// The whole batch: 12-byte header and ops (uncompressed in zstd WALs).
    public var bytes: UnsafeRawBufferPointer
    /// The log number from the file name.
    public var logNumber: UInt64
    /// The stored (masked) CRC of the record's first fragment.
    public var check: UInt32
    public var isLevelDB: Bool

    public var byteSize: Int { bytes.count }

    /// The last sequence number the batch uses (its first when it uses none).
    public var lastSequence: UInt64 { count == 0 ? sequence : sequence &+ UInt64(count) &- 1 }

    /// The operations, in order. The batch was validated when it was read,
    /// so the walk does not fail.
    public var ops: WriteBatchOps { WriteBatchOps(bytes, leveldb: isLevelDB) }

    /// The first operation that has a key: what `LogRecord.key`/`value` show
    /// for a batch (a single Put's key and value, the common case).
    public var firstKeyed: WriteBatchOp? {
        for op in ops where op.key != nil { return op }
        return nil
    }
}

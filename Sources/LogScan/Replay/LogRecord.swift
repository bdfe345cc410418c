/// A record of any format logscan reads, as handed to replay and search.
/// Views into mapped or decoded memory: valid until the reader advances.
public enum LogRecord {
    case native(NativeRecord)
    case kafka(KafkaRecord)
    /// A LevelDB/RocksDB WAL record: one WriteBatch. Its offset is the
    /// batch's sequence; it has no timestamp; key and value are those of
    /// its first operation that has a key (nil when none has).
    case writeBatch(WriteBatchRecord)

    /// Byte offset of the record (or of its block/batch) in its file.
    public var position: Int64 {
        switch self {
        case .native(let r): return r.position
        case .kafka(let r): return r.position
        case .writeBatch(let r): return r.position
        }
    }

    /// The record's sequence number or offset.
    public var offset: UInt64 {
        switch self {
        case .native(let r): return r.sequence
        case .kafka(let r): return UInt64(bitPattern: r.offset)
        case .writeBatch(let r): return r.sequence
        }
    }

    public var timestamp: Int64? {
        switch self {
        case .native(let r): return r.timestamp
        case .kafka(let r): return r.timestamp
        case .writeBatch: return nil
        }
    }

    public var key: UnsafeRawBufferPointer? {
        switch self {
        case .native(let r): return r.key
        case .kafka(let r): return r.key
        case .writeBatch(let r): return r.firstKeyed?.key
        }
    }

    public var value: UnsafeRawBufferPointer? {
        switch self {
        case .native(let r): return r.value
        case .kafka(let r): return r.value
        case .writeBatch(let r): return r.firstKeyed?.value
        }
    }
}

/// Which format a path holds. `auto` decides per file (see `LogDetector`).
public enum LogKind: String, Sendable, CaseIterable {
    case auto, native, leveldb, rocksdb, kafka
}

/// One record of a Kafka segment, as views into the mapping (uncompressed
/// batches) or into the batch's decompression buffer. Valid until the reader
/// advances: copy what you keep.
public struct KafkaRecord {
    /// Byte offset in the segment of the record (uncompressed v2 batches), or
    /// of its batch or message (compressed batches, v0/v1 messages).
    public var position: Int64
    /// Byte offset in the segment of the record's batch (v2) or message (v0/v1).
    public var batchPosition: Int64
    public var offset: Int64
    /// Milliseconds since the epoch as stored (Kafka's "no timestamp" is −1);
    /// nil for v0 messages, which have none.
    public var timestamp: Int64?
    /// nil is a null key; an empty buffer is an empty key.
    public var key: UnsafeRawBufferPointer?
    /// nil is a null value (a tombstone).
    public var value: UnsafeRawBufferPointer?
    public var headers: KafkaHeaders
    public var flags: KafkaBatchFlags

    public var isTransactional: Bool { flags.isTransactional }
    public var isControl: Bool { flags.isControl }
    public var timestampType: KafkaTimestampType? { flags.timestampType }

    /// For a record of a control batch: the version and type its key holds
    /// (the reader checked that the key has them).
    public var control: KafkaControlKey? {
        guard flags.isControl, let key, key.count >= 4, let base = key.baseAddress else { return nil }
        return KafkaControlKey(version: Int16(bitPattern: base.be16(0)), type: Int16(bitPattern: base.be16(2)))
    }
}

/// The key of a control record: what kind of marker it is.
public struct KafkaControlKey: Sendable, Equatable {
    public var version: Int16
    /// 0 abort, 1 commit (transaction markers); 2 and up are KRaft's.
    public var type: Int16

    /// Kafka's name for the type (ControlRecordType), snake_case; nil when unknown.
    public var typeName: String? {
        switch type {
        case 0: return "abort"
        case 1: return "commit"
        case 2: return "leader_change"
        case 3: return "snapshot_header"
        case 4: return "snapshot_footer"
        case 5: return "kraft_version"
        case 6: return "kraft_voters"
        default: return nil
        }
    }
}

/// A record's headers, as a view over their bytes: `count` pairs of
/// (keyLength varint, key, valueLength varint, value). The reader checked
/// every length when it decoded the batch, so iterating cannot fail.
public struct KafkaHeaders: Sequence {
    let base: UnsafeRawPointer?
    public let count: Int

    public struct Header {
        /// UTF-8 by Kafka's rules (not checked).
        public var key: UnsafeRawBufferPointer
        /// nil is a null value.
        public var value: UnsafeRawBufferPointer?
    }

    public struct Iterator: IteratorProtocol {
        var cursor: UnsafeRawPointer?
        var remaining: Int

        public mutating func next() -> Header? {
            guard remaining > 0, let p = cursor else { return nil }
            remaining -= 1
            var i = 0
            let keyLength = Int(KafkaVarint.readUnchecked32(p, &i))
            let key = UnsafeRawBufferPointer(start: p + i, count: keyLength)
            i += keyLength
            let valueLength = Int(KafkaVarint.readUnchecked32(p, &i))
            var value: UnsafeRawBufferPointer? = nil
            if valueLength >= 0 {
                value = UnsafeRawBufferPointer(start: p + i, count: valueLength)
                i += valueLength
            }
            cursor = p + i
            return Header(key: key, value: value)
        }
    }

    public func makeIterator() -> Iterator { Iterator(cursor: base, remaining: count) }
    public var isEmpty: Bool { count == 0 }
}

/// Where a record sits in its batch's (decompressed) records: filled once per
/// batch by the bounds-checked walk, then read without further checks. Offsets
/// are relative to the batch's data, so bytes that change under the mapping
/// can make a record wrong but never make a view leave the batch.
struct KafkaRecordSlot {
    /// Start of the record (its length varint).
    var start: UInt32
    var keyOffset: UInt32
    /// −1 for null.
    var keyLength: Int32
    var valueOffset: UInt32
    var valueLength: Int32
    var headersOffset: UInt32
    var headerCount: UInt32
    var reserved: UInt32 = 0
    /// v2: offsetDelta; v0/v1: the absolute offset (the batch's base is 0).
    var offsetDelta: Int64
    /// v2: timestampDelta; v0/v1: the timestamp itself.
    var timestampDelta: Int64
}

/// One decoded batch (or v0/v1 message) whose records are being handed out.
struct KafkaDecodedBatch {
    var position: Int64
    /// 0 for v0/v1 (slots hold absolute offsets and timestamps).
    var baseOffset: Int64
    var lastOffset: Int64
    var firstTimestamp: Int64
    var maxTimestamp: Int64
    /// Start of the records (in the mapping, or the decompression buffer).
    var data: UnsafeRawPointer
    /// File offset of `data` when the records are stored raw, −1 otherwise
    /// (records then report the batch's position).
    var dataPosition: Int64
    var firstSlot: Int
    var recordCount: Int
    var flags: KafkaBatchFlags
}

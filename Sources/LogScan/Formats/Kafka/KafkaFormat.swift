/// Kafka's on-disk log format, as the broker writes partition segments
/// (`<20-digit base offset>.log`). All integers are **big-endian**.
///
/// A segment is entries laid end to end, with no file header, padding or
/// trailer. Every entry starts with the same 17 bytes, whatever its format
/// version ("magic"), so a reader can frame entries before it knows them:
///
/// | off | size | v2 record batch | v0/v1 message (a "message set" entry) |
/// |----:|----:|---|---|
/// | 0 | 8 | baseOffset | offset (of this message; of the last inner message for a compressed wrapper) |
/// | 8 | 4 | batchLength = size − 12 | messageSize = size − 12 |
/// | 12 | 4 | partitionLeaderEpoch | crc: CRC-32 (IEEE, zlib's) of bytes [16, end) |
/// | 16 | 1 | magic = 2 | magic = 0 or 1 |
///
/// The next entry starts at `position + 12 + length`. A preallocated active
/// segment (`log.preallocate=true`) is zero-filled after its last entry: the
/// first length of 0 ends the entries.
///
/// ## v2 record batch (KIP-98), 61-byte header
///
/// | off | size | field |
/// |----:|----:|---|
/// | 17 | 4 | crc (uint32): **CRC-32C** of bytes [21, end of batch) |
/// | 21 | 2 | attributes: bits 0–2 codec (0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd); bit 3 LogAppendTime; bit 4 transactional; bit 5 control; bit 6 delete horizon set |
/// | 23 | 4 | lastOffsetDelta (int32) |
/// | 27 | 8 | baseTimestamp (firstTimestamp) |
/// | 35 | 8 | maxTimestamp |
/// | 43 | 8 | producerId (−1 = none) |
/// | 51 | 2 | producerEpoch |
/// | 53 | 4 | baseSequence (−1 = none) |
/// | 57 | 4 | recordCount (int32) |
/// | 61 | … | records; compressed as one stream when codec ≠ 0 |
///
/// A record: `length` varint, `attributes` int8 (unused), `timestampDelta`
/// varlong, `offsetDelta` varint, `keyLength` varint + key, `valueLength`
/// varint + value, `headerCount` varint, then per header `keyLength` varint +
/// UTF-8 key, `valueLength` varint + value. Varints are zig-zag (protobuf
/// sint32/sint64); a length of −1 is null. offset = baseOffset + offsetDelta;
/// timestamp = baseTimestamp + timestampDelta, or maxTimestamp for every
/// record when the batch has the LogAppendTime bit. A control batch's records
/// have key = version int16 + type int16 (0 abort, 1 commit, 2– KRaft).
/// Compaction can leave offset gaps and batches with no records; offsets
/// never go backwards.
///
/// ## v0/v1 messages (before Kafka 0.11)
///
/// | off | size | field |
/// |----:|----:|---|
/// | 17 | 1 | attributes: bits 0–2 codec (0 none, 1 gzip, 2 snappy, 3 lz4); bit 3 LogAppendTime (v1) |
/// | 18 | 8 | timestamp (v1 only) |
/// | 18 / 26 | 4 | keyLength (int32, −1 = null), then key |
/// | … | 4 | valueLength (int32, −1 = null), then value |
///
/// A compressed message (a "wrapper") holds in its value a compressed message
/// set of inner, uncompressed messages of the same magic. v1 inner offsets are
/// relative: absolute = wrapper offset − last inner offset + inner offset; v0
/// inner offsets are absolute. With LogAppendTime, every inner message has the
/// wrapper's timestamp. v0 has no timestamps. LZ4 in v0 wrappers carries the
/// frame-header checksum of Kafka 0.8–0.9, computed over the wrong bytes.
public enum KafkaFormat {
    /// offset (8) + length (4): the bytes of an entry outside its length.
    static let logOverhead = 12
    /// Bytes needed to read an entry's magic.
    static let headerUpToMagic = 17
    static let v2HeaderSize = 61
    /// Smallest v2 batchLength: a header with no records.
    static let v2MinBatchLength = v2HeaderSize - logOverhead
    /// crc, magic, attributes, key length, value length.
    static let v0MessageOverhead = 14
    /// v0 plus the timestamp.
    static let v1MessageOverhead = 22
    /// Smallest record: length, attributes, timestamp delta, offset delta,
    /// key length, value length and header count, one byte each.
    static let minRecordBytes = 7

    /// Longest entry logscan accepts. Kafka caps batches with
    /// message.max.bytes (1 MiB by default), and a segment rolls at
    /// segment.bytes (1 GiB by default); a longer length is damage.
    public static let maxBatchBytes = 1 << 30
    /// Largest record a compressed batch may hold, for the inflation bound:
    /// 64 times the producer's default max.request.size.
    public static let maxRecordBytes = 64 << 20
    /// No compressed batch inflates past this, whatever it claims.
    public static let maxInflatedBatchBytes = 256 << 20

    /// How far a compressed batch of `recordCount` records may inflate:
    /// recordCount × maxRecordBytes, capped at maxInflatedBatchBytes.
    static func inflationBound(recordCount: Int) -> Int {
        guard recordCount > 0 else { return 0 }
        return recordCount >= maxInflatedBatchBytes / maxRecordBytes ? maxInflatedBatchBytes : recordCount * maxRecordBytes
    }

    public static let segmentExtension = ".log"
    public static let offsetIndexExtension = ".index"
    public static let timeIndexExtension = ".timeindex"
    /// Digits in a segment's file name (the base offset, zero-padded).
    public static let nameDigits = 20

    // Attribute bits (v2; bits 0-3 mean the same in v0/v1).
    static let codecMask: UInt16 = 0x07
    static let logAppendTimeBit: UInt16 = 0x08
    static let transactionalBit: UInt16 = 0x10
    static let controlBit: UInt16 = 0x20
}

/// A batch's compression codec (attribute bits 0–2).
public enum KafkaCodec: UInt8, Sendable, CustomStringConvertible {
    case none = 0, gzip = 1, snappy = 2, lz4 = 3, zstd = 4

    public var description: String {
        switch self {
        case .none: return "none"
        case .gzip: return "gzip"
        case .snappy: return "snappy"
        case .lz4: return "lz4"
        case .zstd: return "zstd"
        }
    }
}

/// What a record's timestamp means.
public enum KafkaTimestampType: Sendable, Equatable {
    /// Set by the producer.
    case createTime
    /// Set by the broker when it appended the batch (every record of the batch has it).
    case logAppendTime
}

/// The format version and attributes of the batch (v2) or message (v0/v1) a
/// record came from.
public struct KafkaBatchFlags: Sendable, Equatable {
    public var magic: UInt8
    /// Raw attributes; v0/v1 attributes (one byte) use the same low bits.
    public var attributes: UInt16

    /// nil for a codec id Kafka does not define (5–7).
    public var codec: KafkaCodec? { KafkaCodec(rawValue: UInt8(attributes & KafkaFormat.codecMask)) }
    /// nil for v0 messages, which have no timestamps.
    public var timestampType: KafkaTimestampType? {
        magic == 0 ? nil : (attributes & KafkaFormat.logAppendTimeBit != 0 ? .logAppendTime : .createTime)
    }
    public var isTransactional: Bool { magic >= 2 && attributes & KafkaFormat.transactionalBit != 0 }
    public var isControl: Bool { magic >= 2 && attributes & KafkaFormat.controlBit != 0 }
}

/// The header of one v2 batch, or of one v0/v1 message, as read at its position.
public struct KafkaBatchHeader: Sendable, Equatable, BitwiseCopyable {
    public var position: Int64
    /// v2: baseOffset. v0/v1: the message's offset field (a wrapper's is that
    /// of its last inner message).
    public var baseOffset: Int64
    /// Entry length after the first 12 bytes.
    public var length: Int32
    public var magic: UInt8
    /// v2: partitionLeaderEpoch; v0/v1: none (−1).
    public var partitionLeaderEpoch: Int32
    public var crc: UInt32
    public var attributes: UInt16
    public var lastOffsetDelta: Int32
    /// v2: baseTimestamp; v1: the message's timestamp; v0: −1.
    public var firstTimestamp: Int64
    /// v2: maxTimestamp; v1: the message's timestamp; v0: −1.
    public var maxTimestamp: Int64
    public var producerId: Int64
    public var producerEpoch: Int16
    public var baseSequence: Int32
    /// v2: recordCount; v0/v1: 1 (a wrapper's inner count is known after inflating).
    public var recordCount: Int32

    public var size: Int { KafkaFormat.logOverhead + Int(length) }

    static let placeholder = KafkaBatchHeader(
        position: 0, baseOffset: 0, length: 0, magic: 2, partitionLeaderEpoch: 0, crc: 0, attributes: 0, lastOffsetDelta: 0,
        firstTimestamp: 0, maxTimestamp: 0, producerId: -1, producerEpoch: -1, baseSequence: -1, recordCount: 0)
    public var flags: KafkaBatchFlags { KafkaBatchFlags(magic: magic, attributes: attributes) }
    /// The last offset the entry holds (v0/v1: the offset field).
    public var lastOffset: Int64 { magic >= 2 ? baseOffset &+ Int64(lastOffsetDelta) : baseOffset }

    /// Reads the header at `p`, which must hold `KafkaFormat.v2HeaderSize`
    /// bytes for magic 2, and `KafkaFormat.logOverhead + KafkaFormat.v1MessageOverhead`
    /// (or v0's) for legacy messages; the caller has checked the length.
    @inline(__always)
    static func read(_ p: UnsafeRawPointer, at position: Int64) -> KafkaBatchHeader {
        let magic = p.byte(16)
        let baseOffset = Int64(bitPattern: p.be64(0))
        let length = Int32(bitPattern: p.be32(8))
        if magic >= 2 {
            return KafkaBatchHeader(
                position: position, baseOffset: baseOffset, length: length, magic: magic,
                partitionLeaderEpoch: Int32(bitPattern: p.be32(12)), crc: p.be32(17), attributes: p.be16(21),
                lastOffsetDelta: Int32(bitPattern: p.be32(23)), firstTimestamp: Int64(bitPattern: p.be64(27)),
                maxTimestamp: Int64(bitPattern: p.be64(35)), producerId: Int64(bitPattern: p.be64(43)),
                producerEpoch: Int16(bitPattern: p.be16(51)), baseSequence: Int32(bitPattern: p.be32(53)),
                recordCount: Int32(bitPattern: p.be32(57)))
        }
        let timestamp = magic == 1 ? Int64(bitPattern: p.be64(18)) : -1
        return KafkaBatchHeader(
            position: position, baseOffset: baseOffset, length: length, magic: magic, partitionLeaderEpoch: -1,
            crc: p.be32(12), attributes: UInt16(p.byte(17)), lastOffsetDelta: 0, firstTimestamp: timestamp,
            maxTimestamp: timestamp, producerId: -1, producerEpoch: -1, baseSequence: -1, recordCount: 1)
    }

    /// The smallest valid length for an entry of this magic.
    static func minimumLength(magic: UInt8) -> Int {
        switch magic {
        case 0: return KafkaFormat.v0MessageOverhead
        case 1: return KafkaFormat.v1MessageOverhead
        default: return KafkaFormat.v2MinBatchLength
        }
    }

    /// Bytes of the header proper (where a v2 batch's records, or a legacy
    /// message's key length, start).
    static func headerSize(magic: UInt8) -> Int {
        switch magic {
        case 0: return KafkaFormat.logOverhead + 6
        case 1: return KafkaFormat.logOverhead + 14
        default: return KafkaFormat.v2HeaderSize
        }
    }
}

/// What is wrong with the entry at some position, found inside the SIGBUS
/// guard (numbers only: no strings are built there) and turned into a
/// `LogScanError` outside it.
enum KafkaBatchDefect {
    /// Fewer bytes than an entry's first 17 before the end of the file.
    case shortTail(have: Int)
    /// batchLength 0: a preallocated zero tail, or damage (decided outside).
    case zeroLength
    case badLength(Int64, magic: UInt8?)
    case badMagic(UInt8)
    case truncated(have: Int, need: Int)
    case badLastOffsetDelta(Int32, size: Int)
    case offsetBackwards(base: Int64, expected: Int64, size: Int)
    case badChecksum(stored: UInt32, computed: UInt32, size: Int, magic: UInt8)
    case badRecordCount(Int32, dataBytes: Int, size: Int)
    /// `dataOffset`: where the records start relative to the batch, or nil
    /// when they were compressed (the failure's offset is then in the
    /// inflated bytes, and the batch's position is reported).
    case walk(KafkaWalkFailure, dataOffset: Int?, size: Int)
    case unknownCodec(UInt8, magic: UInt8, size: Int)
    case nullWrapperValue(size: Int)
    case badMessageFields(size: Int)

    /// The entry's size when its framing was sound (replay can then resume
    /// right after it); nil when the length itself cannot be trusted.
    var entrySize: Int? {
        switch self {
        case .shortTail, .zeroLength, .badLength, .badMagic, .truncated: return nil
        case .badLastOffsetDelta(_, let size), .offsetBackwards(_, _, let size), .badChecksum(_, _, let size, _),
             .badRecordCount(_, _, let size), .walk(_, _, let size), .unknownCodec(_, _, let size),
             .nullWrapperValue(let size), .badMessageFields(let size):
            return size
        }
    }

    /// The error for this defect in the entry at `position` of `path`.
    /// (Zero lengths and short tails are decided by the reader, which can
    /// look at the rest of the file.)
    func error(path: String, at position: Int64, fileSize: Int64?) -> LogScanError {
        func make(_ reason: DamageReason, _ start: Int64, _ length: Int64?, _ detail: String) -> LogScanError {
            var error = LogScanError(path: path, position: start, .damaged(reason, detail: detail))
            error.length = length
            return error
        }
        let rest = fileSize.map { $0 - position }
        switch self {
        case .shortTail(let have):
            return make(.truncated, position, Int64(have), "entry header cut off: \(have) of \(KafkaFormat.headerUpToMagic) bytes")
        case .zeroLength:
            return make(.badLength, position, rest, "batch length 0 before non-zero bytes")
        case .badLength(let length, let magic):
            let what = magic.map { $0 >= 2 ? "batch length" : "v\($0) message size" } ?? "batch length"
            let minimum = magic.map { KafkaBatchHeader.minimumLength(magic: $0) } ?? 1
            return make(.badLength, position, rest, "\(what) \(length) outside \(minimum)...\(KafkaFormat.maxBatchBytes)")
        case .badMagic(let magic):
            return make(.badMagic, position, rest, "magic \(magic) (Kafka writes 0, 1 or 2)")
        case .truncated(let have, let need):
            return make(.truncated, position, Int64(have), "batch of \(need) bytes, file ends after \(have)")
        case .badLastOffsetDelta(let delta, let size):
            return make(.badRecord, position, Int64(size), "lastOffsetDelta \(delta)")
        case .offsetBackwards(let base, let expected, let size):
            return make(.sequenceGap, position, Int64(size), "batch starts at offset \(base), below \(expected): offsets went backwards")
        case .badChecksum(let stored, let computed, let size, let magic):
            return make(.badChecksum, position, Int64(size),
                        "\(magic >= 2 ? "batch CRC-32C" : "message CRC-32") \(hex(stored)), computed \(hex(computed))")
        case .badRecordCount(let count, let dataBytes, let size):
            return make(.badRecord, position, Int64(size), "record count \(count) for \(dataBytes) bytes of records")
        case .walk(let failure, let dataOffset, let size):
            if let dataOffset {
                let at = position + Int64(dataOffset + failure.offset)
                return make(failure.reason, at, position + Int64(size) - at, failure.detail)
            }
            return make(failure.reason, position, Int64(size), failure.detail + " (at \(failure.offset) of the inflated records)")
        case .unknownCodec(let codec, let magic, let size):
            return make(.decompressionFailed, position, Int64(size), "compression codec \(codec) is not one Kafka defines for magic \(magic)")
        case .nullWrapperValue(let size):
            return make(.badRecord, position, Int64(size), "compressed message without a value")
        case .badMessageFields(let size):
            return make(.badRecord, position, Int64(size), "key and value lengths do not fill the message")
        }
    }
}

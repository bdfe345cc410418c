/// Zig-zag varints as Kafka writes them (ByteUtils.readVarint/readVarlong):
/// at most 5 bytes for an int32, 10 for an int64; bits past the width are
/// dropped, as Java's reader drops them.
enum KafkaVarint {
    @inline(__always)
    static func zigzag32(_ v: UInt32) -> Int32 { Int32(bitPattern: (v >> 1) ^ (0 &- (v & 1))) }
    @inline(__always)
    static func zigzag64(_ v: UInt64) -> Int64 { Int64(bitPattern: (v >> 1) ^ (0 &- (v & 1))) }

    /// The int32 varint at `p[i]`, not reading at or past `end`; nil when cut
    /// off or longer than 5 bytes. Advances `i` past it.
    @inline(__always)
    static func read32(_ p: UnsafeRawPointer, _ i: inout Int, _ end: Int) -> Int32? {
        guard i < end else { return nil }
        let b0 = p.byte(i)
        if b0 < 0x80 { i += 1; return zigzag32(UInt32(b0)) }
        var value = UInt32(b0 & 0x7F)
        var shift: UInt32 = 7
        var j = i + 1
        while true {
            guard j < end, shift <= 28 else { return nil }
            let b = p.byte(j)
            j += 1
            value |= UInt32(b & 0x7F) << shift
            if b < 0x80 { break }
            shift += 7
        }
        i = j
        return zigzag32(value)
    }

    /// The int64 varint ("varlong") at `p[i]`; nil when cut off or longer than 10 bytes.
    @inline(__always)
    static func read64(_ p: UnsafeRawPointer, _ i: inout Int, _ end: Int) -> Int64? {
        guard i < end else { return nil }
        let b0 = p.byte(i)
        if b0 < 0x80 { i += 1; return zigzag64(UInt64(b0)) }
        var value = UInt64(b0 & 0x7F)
        var shift: UInt64 = 7
        var j = i + 1
        while true {
            guard j < end, shift <= 63 else { return nil }
            let b = p.byte(j)
            j += 1
            value |= UInt64(b & 0x7F) << shift
            if b < 0x80 { break }
            shift += 7
        }
        i = j
        return zigzag64(value)
    }

    /// For bytes a walk already checked.
    @inline(__always)
    static func readUnchecked32(_ p: UnsafeRawPointer, _ i: inout Int) -> Int32 {
        var value: UInt32 = 0
        var shift: UInt32 = 0
        while true {
            let b = p.byte(i)
            i += 1
            value |= UInt32(b & 0x7F) << shift
            if b < 0x80 || shift >= 28 { break }
            shift += 7
        }
        return zigzag32(value)
    }
}

/// What can be wrong inside a batch's records, with the offset (relative to
/// the start of the records) of the record where it was found.
struct KafkaWalkFailure: Equatable {
    enum Problem: Equatable {
        case lengthCutOff, badLength, fieldCutOff, badKeyLength, badValueLength, badHeaderCount
        case badHeaderKeyLength, badHeaderValueLength, sizeMismatch, tooFewRecords, trailingBytes
        case controlKeyTooShort, tooManyRecords
        // v0/v1 message sets
        case innerHeaderCutOff, innerBadSize, innerNestedCompression, innerBadMagic, innerBadChecksum, emptyWrapper
    }
    var problem: Problem
    var offset: Int
    var value: Int64 = 0
    var index: Int = 0

    var reason: DamageReason {
        switch problem {
        case .lengthCutOff, .badLength, .innerHeaderCutOff, .innerBadSize: return .badLength
        case .innerBadChecksum: return .badChecksum
        default: return .badRecord
        }
    }

    var detail: String {
        switch problem {
        case .lengthCutOff: return "record \(index): length cut off by the end of the batch"
        case .badLength: return "record \(index): length \(value) outside the batch"
        case .fieldCutOff: return "record \(index): a field runs past the record's end"
        case .badKeyLength: return "record \(index): key length \(value)"
        case .badValueLength: return "record \(index): value length \(value)"
        case .badHeaderCount: return "record \(index): header count \(value)"
        case .badHeaderKeyLength: return "record \(index): header key length \(value)"
        case .badHeaderValueLength: return "record \(index): header value length \(value)"
        case .sizeMismatch: return "record \(index): fields end \(value) bytes from the record's stated end"
        case .tooFewRecords: return "\(index) records, fewer than the batch header's count \(value)"
        case .trailingBytes: return "\(value) bytes after the batch's \(index) records"
        case .controlKeyTooShort: return "record \(index): control record key of \(value) bytes (needs version and type)"
        case .tooManyRecords: return "record count \(value) cannot fit in \(index) bytes of records"
        case .innerHeaderCutOff: return "inner message \(index): header cut off by the end of the message set"
        case .innerBadSize: return "inner message \(index): size \(value)"
        case .innerNestedCompression: return "inner message \(index): compressed inside a compressed message"
        case .innerBadMagic: return "inner message \(index): magic \(value) inside a magic-\(value == 0 ? 1 : 0) wrapper"
        case .innerBadChecksum: return "inner message \(index): CRC-32 mismatch"
        case .emptyWrapper: return "compressed message set holds no messages"
        }
    }
}

enum KafkaRecordWalk {
    /// Walks the `count` bytes of v2 records at `data`, which must hold
    /// exactly `records` records, writing one slot each. Every length is
    /// checked once, here. Runs inside the SIGBUS guard for mapped batches:
    /// raw pointers and locals only.
    @inline(__always)
    static func walkV2(_ data: UnsafeRawPointer, count: Int, records: Int, control: Bool,
                       into slots: UnsafeMutablePointer<KafkaRecordSlot>) -> KafkaWalkFailure? {
        var i = 0
        var n = 0
        while n < records {
            let start = i
            guard let length32 = KafkaVarint.read32(data, &i, count) else {
                return KafkaWalkFailure(problem: .lengthCutOff, offset: start, index: n)
            }
            let length = Int(length32)
            guard length >= 6, length <= count - i else {
                return KafkaWalkFailure(problem: .badLength, offset: start, value: Int64(length), index: n)
            }
            let end = i + length
            i += 1  // attributes: unused
            guard let timestampDelta = KafkaVarint.read64(data, &i, end),
                  let offsetDelta = KafkaVarint.read32(data, &i, end),
                  let keyLength = KafkaVarint.read32(data, &i, end) else {
                return KafkaWalkFailure(problem: .fieldCutOff, offset: start, index: n)
            }
            guard keyLength >= -1, Int(keyLength) <= end - i else {
                return KafkaWalkFailure(problem: .badKeyLength, offset: start, value: Int64(keyLength), index: n)
            }
            if control && keyLength < 4 {
                return KafkaWalkFailure(problem: .controlKeyTooShort, offset: start, value: Int64(keyLength), index: n)
            }
            let keyOffset = i
            if keyLength > 0 { i += Int(keyLength) }
            guard let valueLength = KafkaVarint.read32(data, &i, end) else {
                return KafkaWalkFailure(problem: .fieldCutOff, offset: start, index: n)
            }
            guard valueLength >= -1, Int(valueLength) <= end - i else {
                return KafkaWalkFailure(problem: .badValueLength, offset: start, value: Int64(valueLength), index: n)
            }
            let valueOffset = i
            if valueLength > 0 { i += Int(valueLength) }
            guard let headerCount = KafkaVarint.read32(data, &i, end) else {
                return KafkaWalkFailure(problem: .fieldCutOff, offset: start, index: n)
            }
            // Each header takes at least two bytes (its two lengths).
            guard headerCount >= 0, Int(headerCount) <= (end - i) / 2 else {
                return KafkaWalkFailure(problem: .badHeaderCount, offset: start, value: Int64(headerCount), index: n)
            }
            let headersOffset = i
            var h = 0
            while h < Int(headerCount) {
                guard let hk = KafkaVarint.read32(data, &i, end) else {
                    return KafkaWalkFailure(problem: .fieldCutOff, offset: start, index: n)
                }
                guard hk >= 0, Int(hk) <= end - i else {
                    return KafkaWalkFailure(problem: .badHeaderKeyLength, offset: start, value: Int64(hk), index: n)
                }
                i += Int(hk)
                guard let hv = KafkaVarint.read32(data, &i, end) else {
                    return KafkaWalkFailure(problem: .fieldCutOff, offset: start, index: n)
                }
                guard hv >= -1, Int(hv) <= end - i else {
                    return KafkaWalkFailure(problem: .badHeaderValueLength, offset: start, value: Int64(hv), index: n)
                }
                if hv > 0 { i += Int(hv) }
                h += 1
            }
            guard i == end else {
                return KafkaWalkFailure(problem: .sizeMismatch, offset: start, value: Int64(end - i), index: n)
            }
            slots[n] = KafkaRecordSlot(
                start: UInt32(truncatingIfNeeded: start), keyOffset: UInt32(truncatingIfNeeded: keyOffset), keyLength: keyLength,
                valueOffset: UInt32(truncatingIfNeeded: valueOffset), valueLength: valueLength,
                headersOffset: UInt32(truncatingIfNeeded: headersOffset), headerCount: UInt32(truncatingIfNeeded: headerCount),
                offsetDelta: Int64(offsetDelta), timestampDelta: timestampDelta)
            n += 1
        }
        guard i == count else {
            return KafkaWalkFailure(problem: .trailingBytes, offset: i, value: Int64(count - i), index: n)
        }
        return nil
    }

    /// Checks one v0/v1 message's key and value lengths. `message` points at
    /// its offset field, `size` is 12 + messageSize. Returns the key and
    /// value (offset, length) pairs relative to `message`, or the problem.
    @inline(__always)
    static func legacyFields(_ message: UnsafeRawPointer, size: Int, magic: UInt8)
        -> (keyOffset: Int, keyLength: Int32, valueOffset: Int, valueLength: Int32)? {
        var i = KafkaBatchHeader.headerSize(magic: magic)
        guard size - i >= 8 else { return nil }
        let keyLength = Int32(bitPattern: message.be32(i))
        i += 4
        guard keyLength >= -1, Int(keyLength) <= size - i - 4 else { return nil }
        let keyOffset = i
        if keyLength > 0 { i += Int(keyLength) }
        let valueLength = Int32(bitPattern: message.be32(i))
        i += 4
        // The value fills the message: Kafka's writers never leave bytes after it.
        guard valueLength >= -1, Int(max(valueLength, 0)) == size - i else { return nil }
        return (keyOffset, keyLength, i, valueLength)
    }

    /// Walks an inflated v0/v1 message set (the inner messages of a compressed
    /// wrapper). Offsets and timestamps go into the slots as absolute values:
    /// v1 inner offsets are made absolute from the wrapper's offset; with
    /// LogAppendTime every inner message takes the wrapper's timestamp.
    /// Inner CRCs are checked. Not mapped memory: no guard needed.
    static func walkLegacyInner(_ data: UnsafeRawPointer, count: Int, wrapper: KafkaBatchHeader,
                                into slots: UnsafeMutablePointer<KafkaRecordSlot>, capacity: Int) -> (Int, KafkaWalkFailure?) {
        var i = 0
        var n = 0
        let magic = wrapper.magic
        let minimum = KafkaBatchHeader.minimumLength(magic: magic)
        while i < count {
            guard count - i >= KafkaFormat.logOverhead + minimum else {
                return (n, KafkaWalkFailure(problem: .innerHeaderCutOff, offset: i, index: n))
            }
            let p = data + i
            let size32 = Int32(bitPattern: p.be32(8))
            guard size32 >= Int32(minimum), Int(size32) <= count - i - KafkaFormat.logOverhead else {
                return (n, KafkaWalkFailure(problem: .innerBadSize, offset: i, value: Int64(size32), index: n))
            }
            let size = KafkaFormat.logOverhead + Int(size32)
            let innerMagic = p.byte(16)
            guard innerMagic == magic else {
                return (n, KafkaWalkFailure(problem: .innerBadMagic, offset: i, value: Int64(innerMagic), index: n))
            }
            guard p.byte(17) & UInt8(KafkaFormat.codecMask) == 0 else {
                return (n, KafkaWalkFailure(problem: .innerNestedCompression, offset: i, index: n))
            }
            guard KafkaChecksums.crc32(p + 16, size - 16) == p.be32(12) else {
                return (n, KafkaWalkFailure(problem: .innerBadChecksum, offset: i, index: n))
            }
            guard let fields = legacyFields(p, size: size, magic: magic) else {
                return (n, KafkaWalkFailure(problem: .badKeyLength, offset: i, index: n))
            }
            guard n < capacity else {
                return (n, KafkaWalkFailure(problem: .tooManyRecords, offset: i, value: Int64(n), index: count))
            }
            let timestamp = magic == 0 ? -1
                : (wrapper.attributes & KafkaFormat.logAppendTimeBit != 0 ? wrapper.maxTimestamp : Int64(bitPattern: p.be64(18)))
            slots[n] = KafkaRecordSlot(
                start: UInt32(truncatingIfNeeded: i), keyOffset: UInt32(truncatingIfNeeded: i + fields.keyOffset), keyLength: fields.keyLength,
                valueOffset: UInt32(truncatingIfNeeded: i + fields.valueOffset), valueLength: fields.valueLength,
                headersOffset: 0, headerCount: 0, offsetDelta: Int64(bitPattern: p.be64(0)), timestampDelta: timestamp)
            n += 1
            i += size
        }
        guard n > 0 else { return (0, KafkaWalkFailure(problem: .emptyWrapper, offset: 0)) }
        if magic >= 1 {
            // Relative inner offsets: the wrapper carries the last one's absolute offset.
            let base = wrapper.baseOffset &- slots[n - 1].offsetDelta
            for k in 0..<n { slots[k].offsetDelta = base &+ slots[k].offsetDelta }
        }
        return (n, nil)
    }
}

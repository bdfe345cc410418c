import CLogScanSupport

/// One record of a native segment, as views into the mapping (or into the
/// block's decompression buffer). Valid until the reader advances: copy what
/// you keep.
public struct NativeRecord {
    /// Byte offset in the segment file of the record, or of its block when the
    /// block is compressed (a record inside LZ4 data has no file offset).
    public var position: Int64
    public var sequence: UInt64
    /// Milliseconds since the epoch, nil when the writer gave none.
    public var timestamp: Int64?
    /// nil is a missing key; an empty buffer is an empty key.
    public var key: UnsafeRawBufferPointer?
    /// nil is a missing (null) value.
    public var value: UnsafeRawBufferPointer?
    /// Position of the record's block header, and that header's checksum:
    /// with `sequence`, what a resume token needs to find and check the
    /// record again (see `ResumeToken`).
    public var blockPosition: Int64 = 0
    public var blockChecksum: UInt32 = 0
}

/// Where a record sits inside a decoded block: filled once per block by the
/// bounds-checked walk, then read without further checks. Offsets only, so a
/// file that changes under the mapping can make the bytes wrong but never
/// make a view point outside the block.
struct NativeRecordSlot {
    var offset: UInt32
    var keyLength: UInt32
    var valueLength: UInt32
    var flags: UInt32
}

/// What can be wrong inside a block's raw payload, with the payload offset.
struct NativeWalkFailure: BitwiseCopyable {
    enum Problem: BitwiseCopyable {
        case headerCut, badSize, badKeyLength, badFlags, missingFieldHasBytes, absentTimestampNotZero
        case tooManyRecords, tooFewRecords, maxTimestampWrong
    }
    var problem: Problem
    var offset: Int
    var value: Int

    var reason: DamageReason { problem == .headerCut || problem == .badSize ? .badLength : .badRecord }

    var detail: String {
        switch problem {
        case .headerCut: return "record header cut off by the end of the block"
        case .badSize: return "record size \(value) outside the block"
        case .badKeyLength: return "key length \(value) larger than the record"
        case .badFlags: return "unknown record flags \(hex(UInt32(value)))"
        case .missingFieldHasBytes: return "absent key or value with \(value) bytes"
        case .absentTimestampNotZero: return "record without a timestamp has a non-zero timestamp field"
        case .tooManyRecords: return "more records than the block header's count \(value)"
        case .tooFewRecords: return "\(value) records, fewer than the block header's count"
        case .maxTimestampWrong: return "block header's largest timestamp is not its records' largest (\(value == Int.min ? "none" : String(value)))"
        }
    }
}

enum NativeRecordWalk {
    /// Walks `rawSize` bytes of records at `payload`, writing one slot per
    /// record. Every length is checked against the block once, here. Runs
    /// inside the SIGBUS guard: raw pointers and locals only.
    @inline(__always)
    static func walk(_ payload: UnsafeRawPointer, rawSize: Int, expectedCount: Int, maxTimestamp: Int64,
                     into slots: UnsafeMutablePointer<NativeRecordSlot>) -> NativeWalkFailure? {
        let headerSize = NativeFormat.recordHeaderSize
        var offset = 0
        var index = 0
        // The header's largest timestamp lets readers skip blocks for
        // --from-time: it must be exactly the records' largest.
        var largest = NativeBlockHeader.noTimestamp
        while offset < rawSize {
            guard rawSize - offset >= headerSize else {
                return NativeWalkFailure(problem: .headerCut, offset: offset, value: rawSize - offset)
            }
            // The block was just checksummed, so its first lines are in L1
            // and later ones in L2 at best, and the walk waits on each
            // record's size before it can read the next: ask for the lines
            // a few records ahead (grep -c over 1 GiB: 105 against 117 ms).
            logscan_prefetch(payload + offset + 512)
            let size = Int(payload.le32(offset))
            let keyLength = Int(payload.le32(offset + 4))
            let flagsWord = payload.le32(offset + 8)
            guard size >= headerSize, size <= rawSize - offset else {
                return NativeWalkFailure(problem: .badSize, offset: offset, value: size)
            }
            guard keyLength <= size - headerSize else {
                return NativeWalkFailure(problem: .badKeyLength, offset: offset, value: keyLength)
            }
            guard flagsWord & ~UInt32(NativeFormat.knownRecordFlags) == 0 else {
                return NativeWalkFailure(problem: .badFlags, offset: offset, value: Int(flagsWord))
            }
            let flags = UInt8(truncatingIfNeeded: flagsWord)
            let valueLength = size - headerSize - keyLength
            if (flags & NativeFormat.flagKey == 0 && keyLength != 0) || (flags & NativeFormat.flagValue == 0 && valueLength != 0) {
                return NativeWalkFailure(problem: .missingFieldHasBytes, offset: offset, value: keyLength + valueLength)
            }
            let timestamp = Int64(bitPattern: payload.le64(offset + 12))
            if flags & NativeFormat.flagTimestamp != 0 {
                if timestamp > largest { largest = timestamp }
            } else if timestamp != 0 {
                return NativeWalkFailure(problem: .absentTimestampNotZero, offset: offset, value: 0)
            }
            guard index < expectedCount else {
                return NativeWalkFailure(problem: .tooManyRecords, offset: offset, value: expectedCount)
            }
            slots[index] = NativeRecordSlot(
                offset: UInt32(truncatingIfNeeded: offset), keyLength: UInt32(truncatingIfNeeded: keyLength),
                valueLength: UInt32(truncatingIfNeeded: valueLength), flags: flagsWord)
            offset += size
            index += 1
        }
        guard index == expectedCount else {
            return NativeWalkFailure(problem: .tooFewRecords, offset: offset, value: index)
        }
        guard largest == maxTimestamp else {
            return NativeWalkFailure(problem: .maxTimestampWrong, offset: 0, value: Int(largest))
        }
        return nil
    }
}

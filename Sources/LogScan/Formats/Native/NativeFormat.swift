/// logscan's native segment format, version 1. docs/FORMAT.md has the byte
/// tables; this file is their single source in code. Little-endian throughout.
///
///     segment = SegmentHeader (64 bytes) Block*
///     Block   = BlockHeader (48 bytes) payload (storedSize bytes)
///     payload = Record* (raw), or LZ4 block of Record* (codec 1)
///     Record  = RecordHeader (20 bytes) key value
public enum NativeFormat {
    public static let version: UInt16 = 1

    // MARK: Segment header
    /// "\x89LSG\r\n\x1a\n": the high byte catches 7-bit transfers, CR LF and
    /// LF catch newline translation, 0x1A stops `type` on DOS (as in PNG).
    public static let segmentMagic: [UInt8] = [0x89, 0x4C, 0x53, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
    public static let segmentHeaderSize = 64

    // MARK: Block header
    /// "LSBK" as a little-endian u32.
    public static let blockMagic: UInt32 = 0x4B42_534C
    public static let blockHeaderSize = 48
    /// Upper bound of a block's stored and raw payload: no length field, however
    /// corrupt, makes a reader allocate or map more than this.
    public static let maxBlockPayload = 1 << 28

    // MARK: Record
    public static let recordHeaderSize = 20
    public static let maxRecordSize = maxBlockPayload
    static let flagKey: UInt8 = 1
    static let flagValue: UInt8 = 2
    static let flagTimestamp: UInt8 = 4
    static let knownRecordFlags: UInt8 = 7

    // MARK: Index
    public static let indexMagic: [UInt8] = [0x89, 0x4C, 0x53, 0x58, 0x0D, 0x0A, 0x1A, 0x0A]
    public static let indexHeaderSize = 32
    public static let indexEntrySize = 24

    /// Segment files are named by their base sequence, zero-padded so that
    /// lexical order is sequence order.
    public static let segmentExtension = "seg"
    public static let indexExtension = "idx"

    public static func segmentFileName(baseSequence: UInt64) -> String {
        zeroPadded(baseSequence, width: 20) + "." + segmentExtension
    }

    public static func indexFileName(baseSequence: UInt64) -> String {
        zeroPadded(baseSequence, width: 20) + "." + indexExtension
    }

    public enum Codec: UInt8, Sendable, BitwiseCopyable {
        case none = 0
        case lz4 = 1
    }
}

func zeroPadded(_ value: UInt64, width: Int) -> String {
    let digits = String(value)
    return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
}

/// The 64-byte header at the start of every native segment.
///
/// | off | size | field |
/// |----:|----:|---|
/// | 0 | 8 | magic `89 4C 53 47 0D 0A 1A 0A` |
/// | 8 | 2 | format version (1) |
/// | 10 | 2 | header size (64) |
/// | 12 | 4 | flags (0; readers refuse unknown bits) |
/// | 16 | 4 | page size of the writer's machine |
/// | 20 | 4 | block size the writer aimed for |
/// | 24 | 8 | base sequence: the first record's sequence number |
/// | 32 | 8 | creation time, ms since the epoch |
/// | 40 | 20 | reserved, zero |
/// | 60 | 4 | CRC32C of bytes 0..<60 |
public struct NativeSegmentHeader: Sendable, Equatable {
    public var version: UInt16 = NativeFormat.version
    public var flags: UInt32 = 0
    public var pageSize: UInt32
    public var blockBytes: UInt32
    public var baseSequence: UInt64
    public var createdMillis: Int64

    public init(pageSize: UInt32, blockBytes: UInt32, baseSequence: UInt64, createdMillis: Int64) {
        self.pageSize = pageSize
        self.blockBytes = blockBytes
        self.baseSequence = baseSequence
        self.createdMillis = createdMillis
    }

    public func encoded() -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: NativeFormat.segmentHeaderSize)
        bytes.withUnsafeMutableBytes { raw in
            let p = raw.baseAddress!
            for (i, b) in NativeFormat.segmentMagic.enumerated() { p.storeBytes(of: b, toByteOffset: i, as: UInt8.self) }
            p.storeLE16(version, at: 8)
            p.storeLE16(UInt16(NativeFormat.segmentHeaderSize), at: 10)
            p.storeLE32(flags, at: 12)
            p.storeLE32(pageSize, at: 16)
            p.storeLE32(blockBytes, at: 20)
            p.storeLE64(baseSequence, at: 24)
            p.storeLE64(UInt64(bitPattern: createdMillis), at: 32)
            p.storeLE32(CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[0..<60])), at: 60)
        }
        return bytes
    }

    /// True when `bytes` starts with the segment magic.
    public static func hasMagic(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.count >= 8 && zip(bytes.prefix(8), NativeFormat.segmentMagic).allSatisfy { $0 == $1 }
    }

    /// Parses and checks a header; the error says what is wrong and where.
    static func decode(_ bytes: UnsafeRawBufferPointer, path: String) throws(LogScanError) -> NativeSegmentHeader {
        func damage(_ reason: DamageReason, _ detail: String) -> LogScanError {
            LogScanError(path: path, position: 0, .damaged(reason, detail: detail))
        }
        guard bytes.count >= NativeFormat.segmentHeaderSize else {
            // The writer died creating the segment: nothing, zeros, or the
            // beginning of a header (its magic) is a torn tail. Anything else
            // is not a segment of ours.
            if bytes.isAllZero() {
                throw damage(.zeroTail, "file of \(bytes.count) bytes holds no segment header")
            }
            if bytes.prefix(8).elementsEqual(NativeFormat.segmentMagic.prefix(min(8, bytes.count))) {
                throw damage(.truncated, "segment header cut off at \(bytes.count) of \(NativeFormat.segmentHeaderSize) bytes")
            }
            throw damage(.badMagic, "not a logscan segment")
        }
        guard hasMagic(bytes) else { throw damage(.badMagic, "not a logscan segment") }
        let p = bytes.baseAddress!
        let stored = p.le32(60)
        let computed = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[0..<60]))
        guard stored == computed else {
            throw damage(.badHeaderChecksum, "segment header checksum \(hex(stored)), computed \(hex(computed))")
        }
        let version = p.le16(8)
        guard version == NativeFormat.version else {
            throw LogScanError(path: path, position: 8, .damaged(.unsupportedVersion, detail: "segment format version \(version); this logscan reads version \(NativeFormat.version)"))
        }
        guard p.le16(10) == UInt16(NativeFormat.segmentHeaderSize), p.le32(12) == 0 else {
            throw damage(.badRecord, "segment header size \(p.le16(10)) or flags \(hex(p.le32(12))) not those of version 1")
        }
        // Reserved bytes are zero in version 1: anything else is damage (a
        // version that gives them meaning will have its own number).
        guard UnsafeRawBufferPointer(rebasing: bytes[40..<60]).isAllZero() else {
            throw damage(.badRecord, "reserved bytes 40..<60 of the segment header are not zero")
        }
        var header = NativeSegmentHeader(pageSize: p.le32(16), blockBytes: p.le32(20), baseSequence: p.le64(24),
                                         createdMillis: Int64(bitPattern: p.le64(32)))
        header.version = version
        return header
    }
}

/// The 48-byte header in front of every block.
///
/// | off | size | field |
/// |----:|----:|---|
/// | 0 | 4 | magic "LSBK" |
/// | 4 | 4 | CRC32C of header bytes 8..<48 |
/// | 8 | 4 | CRC32C of the stored payload |
/// | 12 | 4 | stored size (payload bytes in the file) |
/// | 16 | 4 | raw size (payload bytes after decompression) |
/// | 20 | 4 | record count |
/// | 24 | 8 | first sequence number |
/// | 32 | 8 | largest record timestamp (i64 min when none has one) |
/// | 40 | 1 | codec: 0 none, 1 LZ4 block |
/// | 41 | 7 | reserved, zero |
///
/// The header has its own checksum so that a torn tail (a valid header whose
/// payload runs past the end of the file) can be told from a damaged length.
public struct NativeBlockHeader: Sendable, Equatable, BitwiseCopyable {
    public var payloadChecksum: UInt32
    public var storedSize: Int
    public var rawSize: Int
    public var recordCount: Int
    public var firstSequence: UInt64
    public var maxTimestamp: Int64
    public var codec: NativeFormat.Codec

    public static let noTimestamp = Int64.min

    func encode(into p: UnsafeMutableRawPointer) {
        p.storeLE32(NativeFormat.blockMagic, at: 0)
        p.storeLE32(payloadChecksum, at: 8)
        p.storeLE32(UInt32(storedSize), at: 12)
        p.storeLE32(UInt32(rawSize), at: 16)
        p.storeLE32(UInt32(recordCount), at: 20)
        p.storeLE64(firstSequence, at: 24)
        p.storeLE64(UInt64(bitPattern: maxTimestamp), at: 32)
        p.storeBytes(of: codec.rawValue, toByteOffset: 40, as: UInt8.self)
        for i in 41..<48 { p.storeBytes(of: 0 as UInt8, toByteOffset: i, as: UInt8.self) }
        p.storeLE32(CRC32C.checksum(UnsafeRawBufferPointer(start: p + 8, count: 40)), at: 4)
    }

    enum DecodeError: Error, Equatable {
        case badMagic
        case badHeaderChecksum(stored: UInt32, computed: UInt32)
        case badField(String)
    }

    /// Parses the 48 bytes at `p`. Every field is bounded here, so what
    /// follows can trust the sizes it allocates and maps.
    static func decode(_ p: UnsafeRawPointer) -> Result<NativeBlockHeader, DecodeError> {
        guard p.le32(0) == NativeFormat.blockMagic else { return .failure(.badMagic) }
        let stored = p.le32(4)
        let computed = CRC32C.checksum(UnsafeRawBufferPointer(start: p + 8, count: 40))
        guard stored == computed else { return .failure(.badHeaderChecksum(stored: stored, computed: computed)) }
        guard let codec = NativeFormat.Codec(rawValue: p.byte(40)) else {
            return .failure(.badField("unknown codec \(p.byte(40))"))
        }
        guard UnsafeRawBufferPointer(start: p + 41, count: 7).isAllZero() else {
            return .failure(.badField("reserved bytes 41..<48 of the block header are not zero"))
        }
        let storedSize = Int(p.le32(12)), rawSize = Int(p.le32(16)), count = Int(p.le32(20))
        guard storedSize <= NativeFormat.maxBlockPayload, rawSize <= NativeFormat.maxBlockPayload else {
            return .failure(.badField("block size \(max(storedSize, rawSize)) exceeds the format's maximum \(NativeFormat.maxBlockPayload)"))
        }
        guard count >= 1, count <= rawSize / NativeFormat.recordHeaderSize else {
            return .failure(.badField("\(count) records cannot fill \(rawSize) bytes"))
        }
        switch codec {
        case .none:
            guard storedSize == rawSize else { return .failure(.badField("raw block with stored size \(storedSize) != raw size \(rawSize)")) }
        case .lz4:
            guard rawSize <= LZ4Block.maxDecompressedSize(storedCount: storedSize), storedSize > 0 else {
                return .failure(.badField("LZ4 block of \(storedSize) bytes cannot inflate to \(rawSize)"))
            }
        }
        return .success(NativeBlockHeader(payloadChecksum: p.le32(8), storedSize: storedSize, rawSize: rawSize,
                                          recordCount: count, firstSequence: p.le64(24),
                                          maxTimestamp: Int64(bitPattern: p.le64(32)), codec: codec))
    }
}

/// The 20-byte header of a record inside a block's raw payload.
///
/// | off | size | field |
/// |----:|----:|---|
/// | 0 | 4 | record size, this header included (>= 20) |
/// | 4 | 4 | key length |
/// | 8 | 1 | flags: 1 key present, 2 value present, 4 timestamp present |
/// | 9 | 3 | reserved, zero |
/// | 12 | 8 | timestamp, ms since the epoch (0 when absent) |
/// | 20 | key length | key |
/// | ... | rest | value |
enum NativeRecordLayout {
    @inline(__always)
    static func encode(into p: UnsafeMutableRawPointer, key: UnsafeRawBufferPointer?, value: UnsafeRawBufferPointer?, timestamp: Int64?) -> Int {
        let keyCount = key?.count ?? 0, valueCount = value?.count ?? 0
        let size = NativeFormat.recordHeaderSize + keyCount + valueCount
        var flags: UInt8 = 0
        if key != nil { flags |= NativeFormat.flagKey }
        if value != nil { flags |= NativeFormat.flagValue }
        if timestamp != nil { flags |= NativeFormat.flagTimestamp }
        p.storeLE32(UInt32(size), at: 0)
        p.storeLE32(UInt32(keyCount), at: 4)
        p.storeLE32(UInt32(flags), at: 8)  // flags byte + 3 reserved zero bytes
        p.storeLE64(UInt64(bitPattern: timestamp ?? 0), at: 12)
        if let key, keyCount > 0 { (p + 20).copyMemory(from: key.baseAddress!, byteCount: keyCount) }
        if let value, valueCount > 0 { (p + 20 + keyCount).copyMemory(from: value.baseAddress!, byteCount: valueCount) }
        return size
    }
}

func hex(_ value: UInt32) -> String {
    let digits = String(value, radix: 16)
    return "0x" + String(repeating: "0", count: 8 - digits.count) + digits
}

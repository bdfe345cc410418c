/// Reads the logical records of one LevelDB/RocksDB write-ahead log, front
/// to back, with the reading rules of log_reader.cc (ReadRecord and
/// ReadPhysicalRecord), which decide what a reader reports, skips or stops at.
///
/// The state mirrors RocksDB's: `buffer` is what is left of the current
/// 32 KiB block (a view of the ByteSource), `endOfBuffer` the file offset
/// just past it, `eof` set once a block read came back short. FULL records
/// are handed out as views of that block, without a copy (or of the
/// decompressed bytes, in zstd WALs); fragmented ones are reassembled into
/// a reusable buffer. Each physical header is read and its CRC checked in
/// one call under the SIGBUS guard.
///
/// `next()` returns a record, a report (what RocksDB's reporter would be
/// told: reading can go on, the reader has already moved past the damage)
/// or the end, with why it ended.
public final class WALLogReader {
    public let source: ByteSource
    public let dialect: WALDialect
    /// The log number from the file name: recyclable records naming
    /// another log are left over from the file's previous life.
    public let logNumber: UInt64

    // RocksDB's reader state.
    private var buffer: UnsafeRawPointer? = nil
    private var bufferCount = 0
    private var endOfBuffer: Int64 = 0
    private var eof = false
    private var recycled = false
    private var firstRecordRead = false
    private var compressionRecordRead = false
    private var zstd: WALZstdStream? = nil
    /// A codec named by a kSetCompressionType record that cannot be read.
    public private(set) var unreadableCodec: UInt32? = nil

    // The logical record being assembled (ReadRecord's locals, kept here
    // because a report returns in the middle of it).
    private var startingRecord = true
    private var inFragmentedRecord = false
    private var scratch = RawBuffer(capacity: 2 * WALFormat.blockSize)
    private var scratchCount = 0
    private var prospectiveOffset: Int64 = 0
    private var prospectivePosition: Int64 = 0
    private var prospectiveCheck: UInt32 = 0
    private var pending: [WALReport] = []
    private var pendingEnd: WALEnd? = nil

    /// Physical records read, bytes of the file consumed so far.
    public private(set) var physicalRecords = 0
    public var bytesConsumed: Int64 { endOfBuffer - Int64(bufferCount) }

    public init(source: ByteSource, dialect: WALDialect, logNumber: UInt64) {
        self.source = source
        self.dialect = dialect
        self.logNumber = logNumber
    }

    /// Starts over at `position` (a record's first fragment, or where a
    /// previous read stopped). Blocks are aligned to 32 KiB from the file's
    /// start, so any position can be resumed from.
    public func reposition(to position: Int64) throws(LogScanError) {
        resetState(at: 0)
        if position > 0 {
            // What the record at offset 0 decides holds for the whole file:
            // recycled mode (a recyclable type there) and zstd (type 9).
            let first = try readPhysicalRecord()
            if first.kind == .setCompression, first.payload.count >= 4,
               try copyLE32(first.payload, at: 0) == WALFormat.zstdCompression {
                try startZstd(at: 0)
                compressionRecordRead = true
            }
            if first.kind == .full || first.kind == .first || first.kind == .setCompression { firstRecordRead = true }
            resetState(at: position)
        }
    }

    private func resetState(at position: Int64) {
        let blockStart = position / Int64(WALFormat.blockSize) * Int64(WALFormat.blockSize)
        buffer = nil
        bufferCount = 0
        endOfBuffer = blockStart
        eof = false
        startingRecord = true
        inFragmentedRecord = false
        scratchCount = 0
        pending.removeAll()
        pendingEnd = nil
        deferred = nil
        skipTo = position
        lastRecordEnd = position
    }

    /// Just past the last record handed out: where reading resumes after
    /// the writer appended more (follow mode).
    public private(set) var lastRecordEnd: Int64 = 0

    private func startZstd(at position: Int64) throws(LogScanError) {
        if zstd == nil {
            guard let stream = WALZstdStream() else {
                throw LogScanError(path: source.path, position: position, .unsupported("zstd-compressed WAL: libzstd could not start a decompressor"))
            }
            zstd = stream
        }
        zstd!.reset()
    }

    private var skipTo: Int64 = 0

    public var isRecycled: Bool { recycled }

    // MARK: Logical records

    @inline(__always)
    public func next() throws(LogScanError) -> WALEvent {
        if !pending.isEmpty { return .report(pending.removeFirst()) }
        if let record = deferred {
            deferred = nil
            return .record(record)
        }
        if let end = pendingEnd { return .end(end) }
        if startingRecord {
            startingRecord = false
            inFragmentedRecord = false
            scratchCount = 0
            zstd?.reset()
        }
        return try readRecord()
    }

    private func report(_ reason: DamageReason, _ message: String, at position: Int64, bytes: Int) {
        pending.append(WALReport(message: message, reason: reason, position: position, bytes: bytes))
    }

    /// Returns the first queued report, or ends with `end` when none is queued.
    private func finish(_ end: WALEnd) -> WALEvent {
        startingRecord = true
        pendingEnd = end  // sticky: the log has ended
        if pending.isEmpty { return .end(end) }
        return .report(pending.removeFirst())
    }

    private func readRecord() throws(LogScanError) -> WALEvent {
        while true {
            if !pending.isEmpty { return .report(pending.removeFirst()) }
            let physicalOffset = endOfBuffer - Int64(bufferCount)
            let fragment = try readPhysicalRecord()
            switch fragment.kind {
            case .full:
                if inFragmentedRecord && scratchCount > 0 {
                    report(.missingLastFragment, "partial record without end(1)", at: prospectivePosition, bytes: scratchCount)
                }
                let offset = dialect == .leveldb ? fragment.position : physicalOffset
                firstRecordRead = true
                lastRecordEnd = bytesConsumed
                startingRecord = true
                let record = WALLogicalRecord(bytes: fragment.payload, offset: offset, position: fragment.position,
                                              check: fragment.storedCRC, fragments: 1)
                if !pending.isEmpty {
                    // Reports first; the record is handed out after them. Its
                    // bytes stay valid: nothing is read until then.
                    return deferRecord(record)
                }
                return .record(record)
            case .first:
                if inFragmentedRecord && scratchCount > 0 {
                    report(.missingLastFragment, "partial record without end(2)", at: prospectivePosition, bytes: scratchCount)
                }
                prospectiveOffset = dialect == .leveldb ? fragment.position : physicalOffset
                prospectivePosition = fragment.position
                prospectiveCheck = fragment.storedCRC
                scratchCount = 0
                try append(fragment.payload, at: fragment.position)
                inFragmentedRecord = true
            case .middle:
                if !inFragmentedRecord {
                    report(.missingFirstFragment, "missing start of fragmented record(1)", at: fragment.position, bytes: fragment.payload.count)
                } else {
                    try append(fragment.payload, at: fragment.position)
                }
            case .last:
                if !inFragmentedRecord {
                    report(.missingFirstFragment, "missing start of fragmented record(2)", at: fragment.position, bytes: fragment.payload.count)
                } else {
                    try append(fragment.payload, at: fragment.position)
                    firstRecordRead = true
                    lastRecordEnd = bytesConsumed
                    startingRecord = true
                    let record = WALLogicalRecord(bytes: UnsafeRawBufferPointer(start: scratch.pointer, count: scratchCount),
                                                  offset: prospectiveOffset, position: prospectivePosition,
                                                  check: prospectiveCheck, fragments: 2)
                    if !pending.isEmpty { return deferRecord(record) }
                    return .record(record)
                }
            case .badHeader, .eof:
                // A header or payload cut off by the end of the file, or a
                // record begun and never finished: the writer stopped there.
                if fragment.kind == .badHeader || inFragmentedRecord {
                    let start = inFragmentedRecord ? prospectivePosition : fragment.position
                    let detail = inFragmentedRecord ? "a fragmented record is not finished at the end of the file"
                        : "\(fragment.dropped) bytes of a record at the end of the file"
                    return finish(WALEnd(kind: .torn, position: start, length: endOfBuffer - start, detail: detail))
                }
                return finish(WALEnd(kind: .clean, position: fragment.position, length: 0, detail: ""))
            case .oldRecord:
                return finish(WALEnd(kind: .staleRecycled, position: fragment.position, length: endOfBuffer - fragment.position,
                                     detail: "record of another log (recycled file): the log ends here"))
            case .decompressionFailed:
                report(.decompressionFailed, "zstd fragment does not decompress", at: fragment.position, bytes: fragment.dropped)
                if inFragmentedRecord {
                    report(.missingLastFragment, "error in middle of record", at: prospectivePosition, bytes: scratchCount)
                    inFragmentedRecord = false
                    scratchCount = 0
                }
            case .badRecord:
                if inFragmentedRecord {
                    report(.missingLastFragment, "error in middle of record", at: prospectivePosition, bytes: scratchCount)
                    inFragmentedRecord = false
                    scratchCount = 0
                }
            case .badRecordLength, .badChecksum:
                if fragment.kind == .badRecordLength && eof {
                    let start = inFragmentedRecord ? prospectivePosition : fragment.position
                    return finish(WALEnd(kind: .torn, position: start, length: endOfBuffer - start,
                                         detail: "record length runs past the end of the file"))
                }
                if recycled {
                    // A recycled file's damage is where its new life ends (RocksDB,
                    // kTolerateCorruptedTailRecords).
                    let start = inFragmentedRecord ? prospectivePosition : fragment.position
                    return finish(WALEnd(kind: .recycledDamage, position: start, length: endOfBuffer - start,
                                         detail: fragment.kind == .badChecksum ? "checksum mismatch in a recycled log: taken as its end, as RocksDB does"
                                             : "bad record length in a recycled log: taken as its end, as RocksDB does"))
                }
                if fragment.kind == .badRecordLength {
                    report(.badLength, "bad record length", at: fragment.position, bytes: fragment.dropped)
                } else {
                    report(.badChecksum, "checksum mismatch", at: fragment.position, bytes: fragment.dropped)
                }
                if inFragmentedRecord {
                    report(.missingLastFragment, "error in middle of record", at: prospectivePosition, bytes: scratchCount)
                    inFragmentedRecord = false
                    scratchCount = 0
                }
            case .setCompression:
                if compressionRecordRead {
                    report(.badRecord, "read multiple SetCompressionType records", at: fragment.position, bytes: fragment.payload.count)
                }
                if firstRecordRead {
                    report(.badRecord, "SetCompressionType not the first record", at: fragment.position, bytes: fragment.payload.count)
                }
                prospectiveOffset = physicalOffset
                scratchCount = 0
                let codec = fragment.payload.count >= 4 ? try copyLE32(fragment.payload, at: fragment.position) : nil
                if let codec, codec == WALFormat.zstdCompression {
                    compressionRecordRead = true
                    try startZstd(at: fragment.position)
                } else if let codec, codec == 0 {
                    compressionRecordRead = true  // "no compression": nothing to do
                } else {
                    if dialect != .ldb783 {
                        unreadableCodec = codec ?? UInt32.max
                        throw LogScanError(path: source.path, position: fragment.position, .unsupported(
                            "WAL compressed with codec \(codec.map(String.init) ?? "(unreadable record)"); only zstd-compressed WALs are read"))
                    }
                    report(.badRecord, "could not decode SetCompressionType record", at: fragment.position, bytes: fragment.payload.count)
                }
            case .skipped:
                break
            case .unknown(let code):
                report(.unknownRecordType, "unknown record type \(code)", at: fragment.position,
                       bytes: fragment.payload.count + (inFragmentedRecord ? scratchCount : 0))
                inFragmentedRecord = false
                scratchCount = 0
            }
        }
    }

    /// A record found after reports: they go out first, then the record
    /// (its bytes stay valid, since nothing is read in between).
    private var deferred: WALLogicalRecord? = nil
    private func deferRecord(_ record: WALLogicalRecord) -> WALEvent {
        deferred = record
        return .report(pending.removeFirst())
    }

    private func append(_ payload: UnsafeRawBufferPointer, at position: Int64) throws(LogScanError) {
        guard payload.count > 0 else { return }
        scratch.reserve(scratchCount + payload.count, preserving: scratchCount)
        var copy = GuardedCopy(from: payload.baseAddress!, to: scratch.pointer + scratchCount, count: payload.count)
        let fault = withSigbusGuard(&copy) { raw in
            let copy = guardedContext(raw, as: GuardedCopy.self).pointee
            copy.to.copyMemory(from: copy.from, byteCount: copy.count)
        }
        if fault != nil { throw ByteSourceAccess.shrankError(source, position: position) }
        scratchCount += payload.count
    }

    private func copyLE32(_ payload: UnsafeRawBufferPointer, at position: Int64) throws(LogScanError) -> UInt32 {
        var raw = [UInt8](repeating: 0, count: 4)
        _ = try ByteSourceAccess.copyGuarded(UnsafeRawBufferPointer(rebasing: payload[0..<4]), into: &raw, source: source, position: position)
        return raw.withUnsafeBytes { $0.baseAddress!.le32(0) }
    }

    // MARK: Physical records

    struct Fragment {
        enum Kind: Equatable {
            case full, first, middle, last
            case eof, badHeader, oldRecord, badRecord, badRecordLength, badChecksum, decompressionFailed
            case setCompression
            /// Read and passed over without a word (safe-ignore types, metadata).
            case skipped
            /// Reported as "unknown record type N" (N as RocksDB prints it).
            case unknown(UInt32)
        }
        var kind: Kind
        var payload = UnsafeRawBufferPointer(start: nil, count: 0)
        /// File offset of the physical record's header.
        var position: Int64
        var storedCRC: UInt32 = 0
        /// Bytes dropped, for reports.
        var dropped = 0
    }

    /// One header, read and checked under the SIGBUS guard.
    private struct Probe: BitwiseCopyable {
        var base: UnsafeRawPointer
        var available: Int
        var recyclableTypes: Bool
        var header: (UInt64, UInt64) = (0, 0)  // the header's first 11 bytes (16 copied)
        var headerSize = WALFormat.headerSize
        var length = 0
        var type: UInt8 = 0
        var crcComputed = false
        var crc: UInt32 = 0
    }

    /// Makes at least `count` bytes available in `buffer` if the block
    /// has them (RocksDB's ReadMore when the buffer runs short).
    private enum More { case ok, eof, badHeader(Int) }

    private func readMore() throws(LogScanError) -> More {
        if !eof {
            if source.windowFaulted {
                throw ByteSourceAccess.shrankError(source, position: endOfBuffer)
            }
            // Last read was a full block: whatever is left is a trailer.
            let start = endOfBuffer
            let view = try source.bytes(at: start, count: WALFormat.blockSize)
            buffer = view.baseAddress
            bufferCount = view.count
            endOfBuffer = start + Int64(view.count)
            if view.count < WALFormat.blockSize { eof = true }
            if skipTo > start {
                // Resuming inside this block.
                let skip = Int(min(skipTo - start, Int64(bufferCount)))
                buffer = buffer.map { $0 + skip }
                bufferCount -= skip
                skipTo = 0
            }
            return .ok
        }
        if bufferCount > 0 {
            let dropped = bufferCount
            bufferCount = 0
            return .badHeader(dropped)
        }
        return .eof
    }

    private func readPhysicalRecord() throws(LogScanError) -> Fragment {
        let recyclableTypes = dialect != .leveldb
        while true {
            if bufferCount < WALFormat.headerSize {
                switch try readMore() {
                case .ok: continue
                case .eof: return Fragment(kind: .eof, position: endOfBuffer)
                case .badHeader(let dropped): return Fragment(kind: .badHeader, position: endOfBuffer - Int64(dropped), dropped: dropped)
                }
            }
            let position = endOfBuffer - Int64(bufferCount)
            var probe = Probe(base: buffer!, available: bufferCount, recyclableTypes: recyclableTypes)
            let fault = withSigbusGuard(&probe) { raw in
                let p = guardedContext(raw, as: Probe.self)
                let base = p.pointee.base
                let available = p.pointee.available
                withUnsafeMutableBytes(of: &p.pointee.header) { h in
                    h.baseAddress!.copyMemory(from: base, byteCount: min(available, WALFormat.recyclableHeaderSize))
                }
                let type = base.load(fromByteOffset: 6, as: UInt8.self)
                let length = Int(base.le16(4))
                p.pointee.type = type
                p.pointee.length = length
                let headerSize = p.pointee.recyclableTypes && type >= WALFormat.recyclableFullType && type <= WALFormat.recyclableLastType
                    ? WALFormat.recyclableHeaderSize : WALFormat.headerSize
                p.pointee.headerSize = headerSize
                guard headerSize + length <= available, !(type == 0 && length == 0) else { return }
                p.pointee.crc = CRC32C.checksum(UnsafeRawBufferPointer(start: base + 6, count: length + headerSize - 6))
                p.pointee.crcComputed = true
            }
            if fault != nil { throw ByteSourceAccess.shrankError(source, position: position) }
            let (stored, logNumberInHeader): (UInt32, UInt32) = withUnsafeBytes(of: probe.header) { h in
                (h.baseAddress!.le32(0), h.baseAddress!.le32(7))
            }
            let type = probe.type, length = probe.length, headerSize = probe.headerSize
            if headerSize == WALFormat.recyclableHeaderSize {
                // RocksDB decides recycled mode by the record at offset 0 alone,
                // so a recycled zstd WAL (type 9 first) is not in it. Reading
                // as RocksDB does today, any recyclable record decides it.
                if position == 0 || dialect == .rocksdb { recycled = true }
                if bufferCount < WALFormat.recyclableHeaderSize {
                    switch try readMore() {
                    case .ok: continue
                    case .eof: return Fragment(kind: .eof, position: endOfBuffer)
                    case .badHeader(let dropped): return Fragment(kind: .badHeader, position: endOfBuffer - Int64(dropped), dropped: dropped)
                    }
                }
                if UInt64(logNumberInHeader) != logNumber {
                    return Fragment(kind: .oldRecord, position: position)
                }
            }
            if headerSize + length > bufferCount {
                let dropped = bufferCount
                bufferCount = 0
                if !eof {
                    return Fragment(kind: .badRecordLength, position: position, dropped: dropped)
                }
                // The file ends inside this record: a torn write.
                if dropped > 0 { return Fragment(kind: .badHeader, position: position, dropped: dropped) }
                return Fragment(kind: .eof, position: position)
            }
            if type == 0 && length == 0 {
                // Preallocated or zero-filled space: the rest of the block is skipped.
                bufferCount = 0
                return Fragment(kind: .badRecord, position: position)
            }
            physicalRecords += 1
            if CRC32C.mask(probe.crc) != stored {
                let dropped = bufferCount
                bufferCount = 0
                return Fragment(kind: .badChecksum, position: position, dropped: dropped)
            }
            let payload = UnsafeRawBufferPointer(start: buffer! + headerSize, count: length)
            buffer = buffer! + (headerSize + length)
            bufferCount -= headerSize + length

            var fragment = Fragment(kind: kind(of: type), payload: payload, position: position, storedCRC: stored)
            // Compressed: every fragment payload (7.8.3: every record but
            // type 9; today's RocksDB leaves its metadata records alone).
            let compressed: Bool
            if dialect == .ldb783 {
                compressed = type != WALFormat.setCompressionType
            } else {
                switch fragment.kind {
                case .full, .first, .middle, .last: compressed = true
                default: compressed = false
                }
            }
            if let zstd, compressed {
                switch zstd.decompress(payload) {
                case .ok: fragment.payload = zstd.bytes
                case .failed:
                    // 7.8.3 drops it as a bad record without a word; logscan says so.
                    bufferCount = 0
                    return Fragment(kind: dialect == .ldb783 ? .badRecord : .decompressionFailed, position: position)
                case .fault: throw ByteSourceAccess.shrankError(source, position: position)
                }
            }
            return fragment
        }
    }

    /// What a CRC-valid record of `type` is, by dialect.
    private func kind(of type: UInt8) -> Fragment.Kind {
        switch dialect {
        case .leveldb:
            switch type {
            case 1: return .full
            case 2: return .first
            case 3: return .middle
            case 4: return .last
            default: return .unknown(UInt32(type))
            }
        case .rocksdb, .ldb783:
            switch type {
            case 1, 5: return .full
            case 2, 6: return .first
            case 3, 7: return .middle
            case 4, 8: return .last
            case 9: return .setCompression
            default: break
            }
            if dialect == .rocksdb {
                if type == WALFormat.timestampSizeType || type == WALFormat.recyclableTimestampSizeType
                    || type & WALFormat.safeIgnoreMask != 0 { return .skipped }
                return .unknown(UInt32(type))
            }
            // 7.8.3 returns the type byte in the number space of its own
            // status codes (kEof = 10 ... kBadRecordChecksum = 15), and
            // prints the byte sign-extended.
            switch type {
            case 10, 12: return .eof
            case 11: return .badRecord
            case 13: return .oldRecord
            case 14: return .badRecordLength
            case 15: return .badChecksum
            default: return .unknown(UInt32(bitPattern: Int32(Int8(bitPattern: type))))
            }
        }
    }
}

/// One logical record: the WriteBatch bytes (a view, valid until the reader
/// is called again) and where it came from.
public struct WALLogicalRecord {
    public var bytes: UnsafeRawBufferPointer
    /// RocksDB's LastRecordOffset(): the first fragment's offset, except
    /// that after a block trailer it is the trailer's (LevelDB: always the header's).
    public var offset: Int64
    /// The first fragment's header position.
    public var position: Int64
    /// That fragment's stored (masked) CRC.
    public var check: UInt32
    public var fragments: Int

    /// The WriteBatch header's sequence and count (records of 12 bytes or more).
    public var batchSequence: UInt64 { bytes.baseAddress!.le64(0) }
    public var batchCount: UInt32 { bytes.baseAddress!.le32(8) }
}

/// What RocksDB's reader would report: its message (after "Corruption: ")
/// and the bytes it dropped.
public struct WALReport: Sendable {
    public var message: String
    public var reason: DamageReason
    public var position: Int64
    public var bytes: Int
}

/// Why reading a log ended.
public struct WALEnd: Sendable {
    public enum Kind: Sendable {
        /// At the end of the data (a zero-filled tail included).
        case clean
        /// A record cut off by the end of the file: a torn write.
        case torn
        /// A recyclable record of the file's previous life.
        case staleRecycled
        /// Damage in a recycled log, which RocksDB takes as its end.
        case recycledDamage
    }
    public var kind: Kind
    public var position: Int64
    public var length: Int64
    public var detail: String
}

public enum WALEvent {
    case record(WALLogicalRecord)
    case report(WALReport)
    case end(WALEnd)
}

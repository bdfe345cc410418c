#if canImport(Glibc)
import Glibc
#endif
import CLogScanSupport

/// Reads the blocks and records of one native segment, front to back, from a
/// ByteSource. Block by block: the header is checked, the payload's CRC32C
/// verified, LZ4 blocks inflated, and the records walked once into a table,
/// all inside the SIGBUS guard; records are then handed out from the table.
///
/// Damage is thrown as `LogScanError` with `.damaged(reason, ...)` and the
/// byte position; the replay layer decides, by recovery mode, what it means.
/// `resynchronize()` moves past damage to the next valid block header.
public final class NativeSegmentReader {
    public let source: ByteSource
    public let header: NativeSegmentHeader
    public var path: String { source.path }

    // Properties read per record are marked `@exclusivity(unchecked)`:
    // dynamic exclusivity checks on class properties cost more than the
    // record walk itself, and only this reader's own methods touch them.

    /// Filters applied at block granularity before any decoding: blocks
    /// wholly below `minimumSequence`, or whose largest timestamp is below
    /// `minimumTimestamp`, are stepped over using their header alone.
    @exclusivity(unchecked) public var minimumSequence: UInt64 = 0
    @exclusivity(unchecked) public var minimumTimestamp: Int64? = nil

    /// Where the next block header is expected.
    public private(set) var nextBlockPosition: Int64
    /// The sequence number the next block must start with.
    public private(set) var expectedSequence: UInt64
    /// Position and header of the block whose records are being handed out.
    @exclusivity(unchecked) public private(set) var blockPosition: Int64 = 0
    public private(set) var blockHeader: NativeBlockHeader?
    /// The header checksum of that block (bytes 4..<8 of its header).
    @exclusivity(unchecked) public private(set) var blockHeaderChecksum: UInt32 = 0
    /// Blocks decoded and records handed out so far.
    public private(set) var blocksDecoded = 0
    public private(set) var bytesDecoded: Int64 = 0

    @exclusivity(unchecked) private var payload: UnsafeRawPointer?
    /// The current block, unpacked for the per-record path.
    @exclusivity(unchecked) private var slotBase: UnsafeMutablePointer<NativeRecordSlot>?
    @exclusivity(unchecked) private var blockFirstSequence: UInt64 = 0
    /// File offset of the raw payload, or -1 for an LZ4 block (records then
    /// report the block's position).
    @exclusivity(unchecked) private var rawPayloadPosition: Int64 = -1
    private var slots = RawBuffer()
    private var inflated = RawBuffer()

    /// A literal to look for while each raw block's checksum is computed: one
    /// pass over the bytes instead of a checksum pass and a search pass
    /// (`logscan grep` sets it). What was found is in `probeHits`.
    public var probe: LiteralFinder?
    /// Offsets (in `blockPayload`) where `probe` occurs in the current block,
    /// ascending, complete below `probeSearched`; the bytes from there on
    /// were not searched. Empty with `probeSearched` 0 when the block was
    /// not probed (no probe, an LZ4 block, a CPU without the fused path).
    public var probeHits: UnsafeBufferPointer<UInt32> { UnsafeBufferPointer(start: hitBuffer.typed(UInt32.self), count: hitCount) }
    public private(set) var probeSearched = 0
    private var hitBuffer = RawBuffer(capacity: NativeSegmentReader.hitCapacity * MemoryLayout<UInt32>.stride)
    private var hitCount = 0
    /// Enough for a typical block; a block with more occurrences has the rest
    /// searched afterwards, from `probeSearched`.
    private static let hitCapacity = 1024
    @exclusivity(unchecked) private var slotCount = 0
    @exclusivity(unchecked) private var cursor = 0

    /// Opens a segment whose header starts at byte 0 of `source`.
    public init(source: ByteSource) throws(LogScanError) {
        self.source = source
        let view = try source.bytes(at: 0, count: NativeFormat.segmentHeaderSize)
        var copy = [UInt8](repeating: 0, count: NativeFormat.segmentHeaderSize)
        let copied = try ByteSourceAccess.copyGuarded(view, into: &copy, source: source, position: 0)
        header = try copy.withTypedThrowingBytes { (raw) throws(LogScanError) in
            try NativeSegmentHeader.decode(UnsafeRawBufferPointer(rebasing: raw[0..<copied]), path: source.path)
        }
        nextBlockPosition = Int64(NativeFormat.segmentHeaderSize)
        expectedSequence = header.baseSequence
    }

    /// Positions the reader at the block header at `position`, which must
    /// start with `sequence` (both from the index). Nothing is checked until
    /// the block is read.
    public func reposition(toBlockAt position: Int64, sequence: UInt64) {
        nextBlockPosition = position
        expectedSequence = sequence
        slotCount = 0
        cursor = 0
    }

    /// True when a valid block header starting with `sequence` is at
    /// `position`: the check before trusting an index entry.
    public func probeBlock(at position: Int64, sequence: UInt64) throws(LogScanError) -> Bool {
        try probeHeader(at: position)?.firstSequence == sequence
    }

    /// The valid block header at `position`, or nil when there is none.
    public func probeHeader(at position: Int64) throws(LogScanError) -> NativeBlockHeader? {
        guard position >= Int64(NativeFormat.segmentHeaderSize) else { return nil }
        let view = try source.bytes(at: position, count: NativeFormat.blockHeaderSize)
        var raw = [UInt8](repeating: 0, count: NativeFormat.blockHeaderSize)
        guard try ByteSourceAccess.copyGuarded(view, into: &raw, source: source, position: position) == raw.count else { return nil }
        guard case .success(let header) = raw.withUnsafeBytes({ NativeBlockHeader.decode($0.baseAddress!) }) else { return nil }
        return header
    }

    /// The next record, or nil at the end of the segment.
    @inline(__always)
    public func next() throws(LogScanError) -> NativeRecord? {
        while true {
            if cursor < slotCount {
                let slot = slotBase.unsafelyUnwrapped[cursor]
                let index = cursor
                cursor += 1
                let sequence = blockFirstSequence &+ UInt64(index)
                if sequence < minimumSequence { continue }
                let base = payload.unsafelyUnwrapped + Int(slot.offset)
                // The walk checked that every record has its 20-byte header.
                let timestamp = Int64(bitPattern: base.le64(12))
                let hasTimestamp = slot.flags & UInt32(NativeFormat.flagTimestamp) != 0
                if let minimumTimestamp, !hasTimestamp || timestamp < minimumTimestamp { continue }
                return record(slot, at: base, sequence: sequence, timestamp: hasTimestamp ? timestamp : nil)
            }
            guard try nextBlock() else { return nil }
        }
    }

    @inline(__always)
    private func record(_ slot: NativeRecordSlot, at base: UnsafeRawPointer, sequence: UInt64, timestamp: Int64?) -> NativeRecord {
        let keyStart = base + NativeFormat.recordHeaderSize
        let position = rawPayloadPosition >= 0 ? rawPayloadPosition + Int64(slot.offset) : blockPosition
        return NativeRecord(
            position: position, sequence: sequence, timestamp: timestamp,
            key: slot.flags & UInt32(NativeFormat.flagKey) != 0 ? UnsafeRawBufferPointer(start: keyStart, count: Int(slot.keyLength)) : nil,
            value: slot.flags & UInt32(NativeFormat.flagValue) != 0
                ? UnsafeRawBufferPointer(start: keyStart + Int(slot.keyLength), count: Int(slot.valueLength)) : nil,
            blockPosition: blockPosition, blockChecksum: blockHeaderChecksum)
    }

    /// Records of the current block not yet handed out, ignoring filters.
    public var remainingInBlock: Int { slotCount - cursor }

    // MARK: Block-level access (search)

    /// Records in the current block.
    public var blockRecordCount: Int { slotCount }

    /// The current block's raw (decompressed) payload: every record of it.
    public var blockPayload: UnsafeRawBufferPointer? {
        guard let payload, let header = blockHeader, slotCount > 0 else { return nil }
        return UnsafeRawBufferPointer(start: payload, count: header.rawSize)
    }

    /// Record `index` of the current block, or nil when --from/--from-time
    /// (minimumSequence, minimumTimestamp) leave it out.
    @inline(__always)
    public func blockRecord(_ index: Int) -> NativeRecord? {
        precondition(index >= 0 && index < slotCount)
        let slot = slotBase.unsafelyUnwrapped[index]
        let sequence = blockFirstSequence &+ UInt64(index)
        if sequence < minimumSequence { return nil }
        let base = payload.unsafelyUnwrapped + Int(slot.offset)
        let timestamp = Int64(bitPattern: base.le64(12))
        let hasTimestamp = slot.flags & UInt32(NativeFormat.flagTimestamp) != 0
        if let minimumTimestamp, !hasTimestamp || timestamp < minimumTimestamp { return nil }
        return record(slot, at: base, sequence: sequence, timestamp: hasTimestamp ? timestamp : nil)
    }

    /// The index of the record of the current block whose bytes include
    /// `offset` (an offset in `blockPayload`).
    public func blockRecordIndex(containing offset: Int) -> Int {
        let slots = slotBase.unsafelyUnwrapped
        var low = 0, high = slotCount  // the last slot starting at or before offset
        while high - low > 1 {
            let mid = (low + high) / 2
            if Int(slots[mid].offset) <= offset { low = mid } else { high = mid }
        }
        return low
    }

    /// Where record `index` of the current block starts in `blockPayload`.
    public func blockRecordStart(_ index: Int) -> Int { Int(slotBase.unsafelyUnwrapped[index].offset) }

    /// Marks the current block's records as handed out (block-level readers
    /// took them), so that `next()` goes on with the following block.
    public func consumeBlock() { cursor = slotCount }

    /// Decodes the next block that passes the filters. False at the end of
    /// the segment.
    public func nextBlock() throws(LogScanError) -> Bool {
        slotCount = 0
        cursor = 0
        // The records just handed out were read outside the guard; if the
        // file shrank under them, say so before going on.
        if source.windowFaulted {
            throw ByteSourceAccess.shrankError(source, position: nextBlockPosition)
        }
        while true {
            let position = nextBlockPosition
            let headerView = try source.bytes(at: position, count: NativeFormat.blockHeaderSize)
            if headerView.count == 0 { return false }
            var raw = [UInt8](repeating: 0, count: NativeFormat.blockHeaderSize)
            let got = try ByteSourceAccess.copyGuarded(headerView, into: &raw, source: source, position: position)
            if got < NativeFormat.blockHeaderSize {
                let isZero = raw[0..<got].allSatisfy { $0 == 0 }
                throw damage(isZero ? .zeroTail : .truncated, at: position, length: Int64(got),
                             isZero ? "\(got) zero bytes after the last block" : "block header cut off: \(got) of \(NativeFormat.blockHeaderSize) bytes")
            }
            let decoded = raw.withUnsafeBytes { NativeBlockHeader.decode($0.baseAddress!) }
            let header: NativeBlockHeader
            switch decoded {
            case .success(let h): header = h
            case .failure(let failure):
                if try ByteSourceAccess.isZero(source, from: position) {
                    let length = (source.size ?? position) - position
                    throw damage(.zeroTail, at: position, length: length, "\(length) zero bytes after the last block")
                }
                switch failure {
                case .badMagic:
                    throw damage(.badMagic, at: position, length: nil, "no block header (magic \(hex(raw.withUnsafeBytes { $0.baseAddress!.le32(0) })))")
                case .badHeaderChecksum(let stored, let computed):
                    throw damage(.badHeaderChecksum, at: position, length: nil, "block header checksum \(hex(stored)), computed \(hex(computed))")
                case .badField(let what):
                    throw damage(.badLength, at: position, length: nil, what)
                }
            }
            guard header.firstSequence == expectedSequence else {
                throw damage(.sequenceGap, at: position, length: nil,
                             "block starts at sequence \(header.firstSequence), expected \(expectedSequence)")
            }
            let payloadPosition = position + Int64(NativeFormat.blockHeaderSize)
            let end = payloadPosition + Int64(header.storedSize)

            // Whole block filtered out: step over it on the header alone.
            let lastSequence = header.firstSequence &+ UInt64(header.recordCount)
            if lastSequence <= minimumSequence || (minimumTimestamp.map { header.maxTimestamp < $0 } ?? false) {
                if let size = source.size, end > size {
                    throw damage(.truncated, at: position, length: size - position,
                                 "block of \(NativeFormat.blockHeaderSize + header.storedSize) bytes, file ends after \(size - position)")
                }
                nextBlockPosition = end
                expectedSequence = lastSequence
                continue
            }

            let view = try source.bytes(at: payloadPosition, count: header.storedSize)
            if view.count < header.storedSize {
                throw damage(.truncated, at: position, length: Int64(NativeFormat.blockHeaderSize + view.count),
                             "block of \(NativeFormat.blockHeaderSize + header.storedSize) bytes, file ends after \(NativeFormat.blockHeaderSize + view.count)")
            }
            try decode(header, payload: view, at: position)
            blockPosition = position
            blockHeader = header
            blockHeaderChecksum = raw.withUnsafeBytes { $0.baseAddress!.le32(4) }
            blockFirstSequence = header.firstSequence
            rawPayloadPosition = header.codec == .none ? payloadPosition : -1
            nextBlockPosition = end
            expectedSequence = lastSequence
            blocksDecoded += 1
            bytesDecoded += Int64(NativeFormat.blockHeaderSize + header.storedSize)
            cursor = 0
            return true
        }
    }

    private enum DecodeOutcome: BitwiseCopyable {
        case ok
        case badChecksum(computed: UInt32)
        case decompressionFailed
        case walk(NativeWalkFailure)
    }

    /// Everything the guarded decode touches: plain values and pointers.
    private struct DecodeContext: BitwiseCopyable {
        var header: NativeBlockHeader
        var stored: UnsafeRawBufferPointer
        var inflateTo: UnsafeMutableRawBufferPointer
        var slots: UnsafeMutablePointer<NativeRecordSlot>
        var probe: UnsafePointer<logscan_literal>?
        var hits: UnsafeMutableBufferPointer<UInt32>
        var hitCount = 0
        var searched = 0
        var outcome: DecodeOutcome = .ok
    }

    private func decode(_ header: NativeBlockHeader, payload stored: UnsafeRawBufferPointer, at position: Int64) throws(LogScanError) {
        slots.reserve(header.recordCount * MemoryLayout<NativeRecordSlot>.stride)
        if header.codec == .lz4 { inflated.reserve(header.rawSize) }
        let slotTable = slots.typed(NativeRecordSlot.self)
        let inflateTo = UnsafeMutableRawBufferPointer(start: inflated.pointer, count: header.rawSize)
        let hits = UnsafeMutableBufferPointer(start: hitBuffer.typed(UInt32.self), count: NativeSegmentReader.hitCapacity)
        var context = DecodeContext(header: header, stored: stored, inflateTo: inflateTo, slots: slotTable,
                                    probe: header.codec == .none ? probe?.literal : nil, hits: hits)
        let fault = withSigbusGuard(&context) { raw in
            let context = guardedContext(raw, as: DecodeContext.self)
            let header = context.pointee.header, stored = context.pointee.stored, inflateTo = context.pointee.inflateTo
            let computed: UInt32
            if let literal = context.pointee.probe {
                let probed = CRC32C.checksum(stored, probing: literal, hits: context.pointee.hits)
                computed = probed.crc
                context.pointee.hitCount = probed.found
                context.pointee.searched = probed.searched
            } else {
                computed = CRC32C.checksum(stored)
            }
            guard computed == header.payloadChecksum else { context.pointee.outcome = .badChecksum(computed: computed); return }
            var payload = stored.baseAddress ?? UnsafeRawPointer(inflateTo.baseAddress!)
            if header.codec == .lz4 {
                guard LZ4Block.decompress(stored, into: inflateTo) != nil else { context.pointee.outcome = .decompressionFailed; return }
                payload = UnsafeRawPointer(inflateTo.baseAddress!)
            }
            if let failure = NativeRecordWalk.walk(payload, rawSize: header.rawSize, expectedCount: header.recordCount,
                                                   maxTimestamp: header.maxTimestamp, into: context.pointee.slots) {
                context.pointee.outcome = .walk(failure)
            }
        }
        let outcome = context.outcome
        hitCount = context.hitCount
        probeSearched = context.searched
        if fault != nil { throw ByteSourceAccess.shrankError(source, position: position) }
        let blockLength = Int64(NativeFormat.blockHeaderSize + header.storedSize)
        switch outcome {
        case .ok: break
        case .badChecksum(let computed):
            throw damage(.badChecksum, at: position, length: blockLength,
                         "block payload checksum \(hex(header.payloadChecksum)), computed \(hex(computed))")
        case .decompressionFailed:
            throw damage(.decompressionFailed, at: position, length: blockLength,
                         "LZ4 block of \(header.storedSize) bytes does not inflate to \(header.rawSize)")
        case .walk(let failure):
            // Raw blocks name the record's byte; either way the damage runs
            // to the end of the block, since none of it is replayed.
            let at = header.codec == .none ? position + Int64(NativeFormat.blockHeaderSize + failure.offset) : position
            throw damage(failure.reason, at: at, length: position + blockLength - at,
                         failure.detail + (header.codec == .lz4 ? " (at \(failure.offset) in the inflated block)" : ""))
        }
        payload = header.codec == .lz4 ? UnsafeRawPointer(inflated.pointer) : stored.baseAddress
        slotBase = slotTable
        slotCount = header.recordCount
    }

    /// After damage at `position`, finds the next block header at or after
    /// `position + 1` whose own checksum holds, and continues there. Returns
    /// the position found, or nil when no valid header follows.
    public func resynchronize(after position: Int64) throws(LogScanError) -> Int64? {
        guard let found = try NativeBlockScanner.findHeader(in: source, from: position + 1) else {
            slotCount = 0
            cursor = 0
            nextBlockPosition = source.size ?? position
            return nil
        }
        nextBlockPosition = found.position
        expectedSequence = found.header.firstSequence
        slotCount = 0
        cursor = 0
        return found.position
    }

    private func damage(_ reason: DamageReason, at position: Int64, length: Int64?, _ detail: String) -> LogScanError {
        var error = LogScanError(path: source.path, position: position, .damaged(reason, detail: detail))
        error.length = length
        return error
    }
}

/// Finding block headers by their magic and header checksum, for recovery.
enum NativeBlockScanner {
    struct HeaderSearch: BitwiseCopyable {
        var base: UnsafeRawPointer
        var limit: Int
        var magic: UInt32
        var offset = 0
        var header: NativeBlockHeader? = nil
    }

    static func findHeader(in source: ByteSource, from start: Int64) throws(LogScanError) -> (position: Int64, header: NativeBlockHeader)? {
        let chunk = 1 << 20
        var position = start
        let magic = NativeFormat.blockMagic
        while true {
            let view = try source.bytes(at: position, count: chunk + NativeFormat.blockHeaderSize)
            if view.count < NativeFormat.blockHeaderSize { return nil }
            let limit = view.count - NativeFormat.blockHeaderSize
            var search = HeaderSearch(base: view.baseAddress!, limit: limit, magic: magic)
            let fault = withSigbusGuard(&search) { raw in
                let search = guardedContext(raw, as: HeaderSearch.self)
                let base = search.pointee.base
                var i = 0
                while i <= search.pointee.limit {
                    if base.le32(i) == search.pointee.magic, case .success(let header) = NativeBlockHeader.decode(base + i) {
                        search.pointee.offset = i
                        search.pointee.header = header
                        return
                    }
                    i += 1
                }
            }
            if fault != nil { throw ByteSourceAccess.shrankError(source, position: position) }
            if let header = search.header { return (position + Int64(search.offset), header) }
            position += Int64(limit + 1)
        }
    }
}

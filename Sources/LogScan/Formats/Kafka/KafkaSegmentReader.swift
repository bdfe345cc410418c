/// Reads the batches and records of one Kafka segment (`.log`), front to
/// back, from a ByteSource.
///
/// Two paths fill the same tables (decoded batches, record slots), from
/// which records are then handed out as views:
/// * Uncompressed v2 batches, the hot path, are decoded a chunk (up to 1 MiB)
///   at a time: one view and one SIGBUS guard for many batches. In the guard
///   each batch is framed, its CRC32C verified and its records walked into
///   slots; records point into the mapping.
/// * Compressed batches, v0/v1 messages and batches larger than a chunk go
///   one at a time: CRC verified and the compressed bytes copied out under
///   the guard, then inflated (bounded) and walked outside it.
///
/// Damage is thrown as `.damaged(reason, …)` with the entry's position; a
/// chunk stops before a damaged batch and the damage is found again, and
/// thrown, when the next chunk starts there. `resynchronize()` moves past it.
public final class KafkaSegmentReader {
    public let source: ByteSource
    public var path: String { source.path }
    /// The base offset in the file name (`<20 digits>.log`), when it has one.
    public let segmentBaseOffset: Int64?

    /// Record filters. Batches wholly below `minimumOffset`, or whose
    /// maxTimestamp is below `minimumTimestamp`, are stepped over on their
    /// header alone.
    @exclusivity(unchecked) public var minimumOffset: Int64 = .min
    @exclusivity(unchecked) public var minimumTimestamp: Int64? = nil

    /// Where the next entry is expected.
    public private(set) var nextBatchPosition: Int64 = 0
    /// Offsets must not go below this (offsets only increase; gaps are fine).
    var expectedMinimumOffset: Int64
    /// Last offset of the last entry read or stepped over.
    public private(set) var lastOffsetRead: Int64?
    public private(set) var batchesDecoded = 0
    public private(set) var bytesDecoded: Int64 = 0

    /// Bytes viewed at a time by the chunk path (smaller in tests).
    static let defaultChunkBytes = 1 << 20
    var chunkBytes = KafkaSegmentReader.defaultChunkBytes
    static let chunkBatches = 4096
    static let chunkSlots = 16384

    // Properties read per record are marked `@exclusivity(unchecked)`, as in
    // NativeSegmentReader: the dynamic checks on them took ~30% of a Kafka
    // replay (`replay --count`), and only this reader's own methods touch them.
    @exclusivity(unchecked) private var batchTable = RawBuffer(capacity: KafkaSegmentReader.chunkBatches * MemoryLayout<KafkaDecodedBatch>.stride)
    @exclusivity(unchecked) private var slotTable = RawBuffer(capacity: KafkaSegmentReader.chunkSlots * MemoryLayout<KafkaRecordSlot>.stride)
    private var slotCapacity = KafkaSegmentReader.chunkSlots
    /// Compressed bytes copied out of the mapping.
    private var staging = RawBuffer()
    private lazy var decompressor = KafkaDecompressor()

    @exclusivity(unchecked) private var batchCount = 0
    @exclusivity(unchecked) private var batchCursor = 0
    /// The batch whose records are being handed out.
    @exclusivity(unchecked) private var batch = KafkaDecodedBatch(position: 0, baseOffset: 0, lastOffset: 0, firstTimestamp: 0, maxTimestamp: 0,
                                          data: UnsafeRawPointer(bitPattern: 1)!, dataPosition: -1, firstSlot: 0,
                                          recordCount: 0, flags: KafkaBatchFlags(magic: 2, attributes: 0))
    @exclusivity(unchecked) private var slotCursor = 0
    @exclusivity(unchecked) private var slotEnd = 0
    /// The chunk path's current view of the source, and where it starts.
    private var view = UnsafeRawBufferPointer(start: nil, count: 0)
    private var viewPosition: Int64 = 0
    private var viewAtEOF = false
    /// Where replay can resume after the last damaged entry whose framing was sound.
    private var damagedEntry: (position: Int64, next: Int64)?

    /// Opens a segment. `baseOffset` is the one its file name gives.
    public init(source: ByteSource, baseOffset: Int64?) {
        self.source = source
        segmentBaseOffset = baseOffset
        expectedMinimumOffset = max(0, baseOffset ?? 0)
    }

    /// Continues at the entry at `position` (from an index). Nothing is
    /// checked until it is read.
    public func reposition(to position: Int64) {
        dropView()
        nextBatchPosition = position
        batchCount = 0
        batchCursor = 0
        slotCursor = 0
        slotEnd = 0
    }

    // MARK: Records

    /// The next record, or nil at the end of the segment.
    @inline(__always)
    public func next() throws(LogScanError) -> KafkaRecord? {
        while true {
            if slotCursor < slotEnd {
                let slot = slotTable.typed(KafkaRecordSlot.self)[slotCursor]
                slotCursor += 1
                let offset = batch.baseOffset &+ slot.offsetDelta
                if offset < minimumOffset { continue }
                let timestamp = batch.flags.attributes & KafkaFormat.logAppendTimeBit != 0
                    ? batch.maxTimestamp : batch.firstTimestamp &+ slot.timestampDelta
                if let minimumTimestamp, batch.flags.magic == 0 || timestamp < minimumTimestamp { continue }
                return record(slot, offset: offset, timestamp: timestamp)
            }
            if batchCursor < batchCount {
                enterBatch(batchCursor)
                batchCursor += 1
                continue
            }
            guard try decodeNext() else { return nil }
        }
    }

    @inline(__always)
    private func record(_ slot: KafkaRecordSlot, offset: Int64, timestamp: Int64) -> KafkaRecord {
        let data = batch.data
        return KafkaRecord(
            position: batch.dataPosition >= 0 ? batch.dataPosition + Int64(slot.start) : batch.position,
            batchPosition: batch.position, offset: offset,
            timestamp: batch.flags.magic == 0 ? nil : timestamp,
            key: slot.keyLength >= 0 ? UnsafeRawBufferPointer(start: data + Int(slot.keyOffset), count: Int(slot.keyLength)) : nil,
            value: slot.valueLength >= 0 ? UnsafeRawBufferPointer(start: data + Int(slot.valueOffset), count: Int(slot.valueLength)) : nil,
            headers: KafkaHeaders(base: slot.headerCount > 0 ? data + Int(slot.headersOffset) : nil, count: Int(slot.headerCount)),
            flags: batch.flags)
    }

    private func enterBatch(_ index: Int) {
        batch = batchTable.typed(KafkaDecodedBatch.self)[index]
        slotCursor = batch.firstSlot
        slotEnd = batch.firstSlot + batch.recordCount
    }

    /// Position of the batch whose records are being handed out.
    public var currentBatchPosition: Int64 { batch.position }

    // MARK: Batch-level access (search)

    /// Moves to the next decoded batch (its records are then read by index,
    /// not by `next()`); false at the end of the segment.
    public func nextBatch() throws(LogScanError) -> Bool {
        while true {
            if batchCursor < batchCount {
                enterBatch(batchCursor)
                batchCursor += 1
                slotCursor = slotEnd
                return true
            }
            guard try decodeNext() else { return false }
        }
    }

    /// Records in the current batch.
    public var batchRecordCount: Int { batch.recordCount }

    /// The current v2 batch's records as one stretch of bytes (mapped or
    /// inflated); nil for v0/v1 messages, whose records are not contiguous.
    public var batchRecordBytes: UnsafeRawBufferPointer? {
        guard batch.flags.magic >= 2, batch.recordCount > 0 else { return nil }
        let last = slotTable.typed(KafkaRecordSlot.self)[batch.firstSlot + batch.recordCount - 1]
        // The walk checked every record's length varint and that the record fits.
        var i = Int(last.start)
        let length = Int(KafkaVarint.readUnchecked32(batch.data, &i))
        return UnsafeRawBufferPointer(start: batch.data, count: i + length)
    }

    /// Record `index` of the current batch, or nil when the filters leave it out.
    public func batchRecord(_ index: Int) -> KafkaRecord? {
        let slot = slotTable.typed(KafkaRecordSlot.self)[batch.firstSlot + index]
        let offset = batch.baseOffset &+ slot.offsetDelta
        if offset < minimumOffset { return nil }
        let timestamp = batch.flags.attributes & KafkaFormat.logAppendTimeBit != 0
            ? batch.maxTimestamp : batch.firstTimestamp &+ slot.timestampDelta
        if let minimumTimestamp, batch.flags.magic == 0 || timestamp < minimumTimestamp { return nil }
        return record(slot, offset: offset, timestamp: timestamp)
    }

    /// Where record `index` of the current batch starts in `batchRecordBytes`.
    public func batchRecordStart(_ index: Int) -> Int {
        Int(slotTable.typed(KafkaRecordSlot.self)[batch.firstSlot + index].start)
    }

    /// The index of the record of the current batch whose bytes include `offset`.
    public func batchRecordIndex(containing offset: Int) -> Int {
        let slots = slotTable.typed(KafkaRecordSlot.self) + batch.firstSlot
        var low = 0, high = batch.recordCount
        while high - low > 1 {
            let mid = (low + high) / 2
            if Int(slots[mid].start) <= offset { low = mid } else { high = mid }
        }
        return low
    }

    // MARK: Decoding

    /// Decodes the next chunk or entry that has records passing the filters.
    /// False at the end of the segment.
    private func decodeNext() throws(LogScanError) -> Bool {
        batchCount = 0
        batchCursor = 0
        slotCursor = 0
        slotEnd = 0
        while true {
            let position = nextBatchPosition
            // Walk on in the current view while it lasts: no new bytes() call
            // (which, on the pread path, would move the buffer) per batch.
            if view.count == 0 || position < viewPosition || position >= viewPosition + Int64(view.count) {
                try fetchView(at: position)
                if view.count == 0 { return false }
            }
            let offset = Int(position - viewPosition)
            let remaining = view.count - offset
            var walk = KafkaChunkWalk(
                slots: slotTable.typed(KafkaRecordSlot.self), slotCapacity: slotCapacity,
                batches: batchTable.typed(KafkaDecodedBatch.self), batchCapacity: Self.chunkBatches,
                viewPosition: position, minimumOffset: minimumOffset, minimumTimestamp: minimumTimestamp ?? .min,
                expectedMinimum: expectedMinimumOffset, lastOffset: lastOffsetRead)
            let base = view.baseAddress! + offset
            let atEOF = viewAtEOF
            var call = KafkaChunkWalk.Call(walk: walk, base: base, count: remaining, atEOF: atEOF)
            let fault = withSigbusGuard(&call) { raw in
                let c = guardedContext(raw, as: KafkaChunkWalk.Call.self)
                c.pointee.walk.run(c.pointee.base, c.pointee.count, atEOF: c.pointee.atEOF)
            }
            if fault != nil { throw ByteSourceAccess.shrankError(source, position: position) }
            walk = call.walk

            nextBatchPosition = position + Int64(walk.consumed)
            expectedMinimumOffset = walk.expectedMinimum
            lastOffsetRead = walk.lastOffset
            batchesDecoded += walk.batchCount
            bytesDecoded += Int64(walk.bytesDecoded)
            if walk.batchCount > 0 {
                // Anything after these batches (damage included) is met again next time.
                batchCount = walk.batchCount
                return true
            }
            switch walk.outcome {
            case .atEnd:
                return false
            case .more:
                if walk.consumed > 0 { continue }
                // The entry runs past the view: a fresh view starting at it,
                // or the single path when it is larger than any view.
                if offset > 0 { try fetchView(at: position); continue }
                dropView()
                if try decodeSingle(at: position, in: nil) { return true }
            case .needSlots(let count):
                growSlots(count)
                continue
            case .single(let size):
                let entry = UnsafeRawBufferPointer(start: view.baseAddress! + offset + walk.consumed, count: size)
                if try decodeSingle(at: nextBatchPosition, in: entry) { return true }
            case .defect(let defect):
                throw error(for: defect, at: nextBatchPosition)
            }
        }
    }

    private func fetchView(at position: Int64) throws(LogScanError) {
        // Shorter than a chunk when the source can spare a copy that way;
        // a batch the view cuts off is then read on its own (decodeSingle).
        (view, viewAtEOF) = try source.view(at: position, upTo: chunkBytes, atLeast: KafkaFormat.v2HeaderSize)
        viewPosition = position
    }

    /// Before any other use of the source: its next bytes() call ends the view.
    func dropView() {
        view = UnsafeRawBufferPointer(start: nil, count: 0)
    }

    private func growSlots(_ count: Int) {
        guard count > slotCapacity else { return }
        slotTable.reserve(count * MemoryLayout<KafkaRecordSlot>.stride)
        slotCapacity = slotTable.capacity / MemoryLayout<KafkaRecordSlot>.stride
    }

    /// One entry the chunk path leaves to us (its framing up to the length
    /// and magic was checked there). True when it produced a batch to hand
    /// out; false when the filters stepped over it.
    private func decodeSingle(at position: Int64, in entry: UnsafeRawBufferPointer?) throws(LogScanError) -> Bool {
        if entry == nil { dropView() }
        let headView: UnsafeRawBufferPointer
        if let entry { headView = entry } else { headView = try source.bytes(at: position, count: KafkaFormat.v2HeaderSize) }
        let headBytes = headView.count
        var read = HeaderRead(bytes: headView, position: position)
        let fault = withSigbusGuard(&read) { raw in
            let c = guardedContext(raw, as: HeaderRead.self)
            let p = c.pointee.bytes.baseAddress!, headBytes = c.pointee.bytes.count
            guard headBytes >= KafkaFormat.headerUpToMagic, headBytes >= KafkaBatchHeader.headerSize(magic: min(p.byte(16), 2)) else { return }
            c.pointee.header = KafkaBatchHeader.read(p, at: c.pointee.position)
        }
        if fault != nil { throw ByteSourceAccess.shrankError(source, position: position) }
        guard let header = read.header else { throw error(for: .shortTail(have: headBytes), at: position) }
        let size = header.size
        let magic = header.magic

        if magic >= 2 {
            guard header.lastOffsetDelta >= 0 else { throw error(for: .badLastOffsetDelta(header.lastOffsetDelta, size: size), at: position) }
        }
        guard header.baseOffset >= expectedMinimumOffset else {
            throw error(for: .offsetBackwards(base: header.baseOffset, expected: expectedMinimumOffset, size: size), at: position)
        }
        let lastOffset = header.lastOffset
        // A compressed v0/v1 wrapper's timestamp is only as good as its
        // writer: filter its inner messages one by one instead.
        let timeFilterable = magic >= 2 || header.attributes & KafkaFormat.codecMask == 0
        if lastOffset < minimumOffset || (timeFilterable && minimumTimestamp.map { header.maxTimestamp < $0 } ?? false) {
            if let fileSize = source.size, position + Int64(size) > fileSize {
                throw error(for: .truncated(have: Int(fileSize - position), need: size), at: position)
            }
            stepOver(to: position + Int64(size), lastOffset: lastOffset)
            return false
        }

        // Never ask for more than the file holds: the length is not trusted yet.
        if let fileSize = source.size, position + Int64(size) > fileSize {
            throw error(for: .truncated(have: Int(fileSize - position), need: size), at: position)
        }
        let view: UnsafeRawBufferPointer
        if let entry { view = entry } else { view = try source.bytes(at: position, count: size) }
        guard view.count == size else { throw error(for: .truncated(have: view.count, need: size), at: position) }
        guard let codec = header.flags.codec, magic >= 2 || codec != .zstd else {
            throw error(for: .unknownCodec(UInt8(header.attributes & KafkaFormat.codecMask), magic: magic, size: size), at: position)
        }
        let decoded: KafkaDecodedBatch
        if magic >= 2 {
            decoded = try decodeV2(header, view: view, codec: codec)
        } else {
            decoded = try decodeLegacy(header, view: view, codec: codec)
        }
        batchTable.typed(KafkaDecodedBatch.self)[0] = decoded
        batchCount = 1
        stepOver(to: position + Int64(size), lastOffset: lastOffset)
        batchesDecoded += 1
        bytesDecoded += Int64(size)
        return true
    }

    private func stepOver(to next: Int64, lastOffset: Int64) {
        nextBatchPosition = next
        expectedMinimumOffset = lastOffset &+ 1
        lastOffsetRead = lastOffset
    }

    private func decodeV2(_ header: KafkaBatchHeader, view: UnsafeRawBufferPointer, codec: KafkaCodec) throws(LogScanError) -> KafkaDecodedBatch {
        let position = header.position
        let size = header.size
        let dataBytes = size - KafkaFormat.v2HeaderSize
        let count = Int(header.recordCount)
        let control = header.flags.isControl
        var decoded = KafkaDecodedBatch(
            position: position, baseOffset: header.baseOffset, lastOffset: header.lastOffset,
            firstTimestamp: header.firstTimestamp, maxTimestamp: header.maxTimestamp,
            data: view.baseAddress! + KafkaFormat.v2HeaderSize, dataPosition: position + Int64(KafkaFormat.v2HeaderSize),
            firstSlot: 0, recordCount: count, flags: header.flags)

        if codec == .none {
            guard count >= 0, count <= dataBytes / KafkaFormat.minRecordBytes else {
                throw error(for: .badRecordCount(header.recordCount, dataBytes: dataBytes, size: size), at: position)
            }
            growSlots(count)
            var check = V2BodyCheck(batch: view.baseAddress!, size: size, crc: header.crc, dataBytes: dataBytes, records: count,
                                    control: control, slots: slotTable.typed(KafkaRecordSlot.self), stage: nil)
            let fault = withSigbusGuard(&check) { raw in guardedContext(raw, as: V2BodyCheck.self).pointee.run() }
            if fault != nil { throw ByteSourceAccess.shrankError(source, position: position) }
            if let defect = check.defect { throw error(for: defect, at: position) }
            return decoded
        }

        // Compressed: check and copy under the guard, inflate outside it.
        staging.reserve(dataBytes)
        let stage = staging.pointer
        var check = V2BodyCheck(batch: view.baseAddress!, size: size, crc: header.crc, dataBytes: dataBytes, records: count,
                                control: control, slots: nil, stage: stage)
        let fault = withSigbusGuard(&check) { raw in guardedContext(raw, as: V2BodyCheck.self).pointee.run() }
        if fault != nil { throw ByteSourceAccess.shrankError(source, position: position) }
        if let defect = check.defect { throw error(for: defect, at: position) }
        guard count >= 0 else { throw error(for: .badRecordCount(header.recordCount, dataBytes: dataBytes, size: size), at: position) }
        // Like Kafka's reader, a batch that counts no records is not inflated.
        if count == 0 { return decoded }

        let inflatedBytes: Int
        do throws(KafkaInflateFailure) {
            inflatedBytes = try decompressor.inflate(codec, UnsafeRawBufferPointer(start: stage, count: dataBytes),
                                                     bound: KafkaFormat.inflationBound(recordCount: count))
        } catch {
            throw inflateError(error, codec: codec, size: size, at: position)
        }
        guard count <= inflatedBytes / KafkaFormat.minRecordBytes else {
            throw error(for: .badRecordCount(header.recordCount, dataBytes: inflatedBytes, size: size), at: position)
        }
        growSlots(count)
        let data = UnsafeRawPointer(decompressor.output.pointer)
        if let failure = KafkaRecordWalk.walkV2(data, count: inflatedBytes, records: count, control: control,
                                                into: slotTable.typed(KafkaRecordSlot.self)) {
            throw error(for: .walk(failure, dataOffset: nil, size: size), at: position)
        }
        decoded.data = data
        decoded.dataPosition = -1
        return decoded
    }

    private func decodeLegacy(_ header: KafkaBatchHeader, view: UnsafeRawBufferPointer, codec: KafkaCodec) throws(LogScanError) -> KafkaDecodedBatch {
        let position = header.position
        let size = header.size
        let magic = header.magic
        var decoded = KafkaDecodedBatch(
            position: position, baseOffset: 0, lastOffset: header.baseOffset, firstTimestamp: 0,
            maxTimestamp: header.maxTimestamp, data: view.baseAddress!, dataPosition: -1,
            firstSlot: 0, recordCount: 1, flags: header.flags)
        if codec != .none { staging.reserve(size) }
        var check = LegacyCheck(message: view.baseAddress!, size: size, crc: header.crc, magic: magic,
                                stage: codec != .none ? staging.pointer : nil)
        let fault = withSigbusGuard(&check) { raw in guardedContext(raw, as: LegacyCheck.self).pointee.run() }
        if fault != nil { throw ByteSourceAccess.shrankError(source, position: position) }
        if let defect = check.defect { throw error(for: defect, at: position) }
        let f = check.fields!

        if codec == .none {
            slotTable.typed(KafkaRecordSlot.self)[0] = KafkaRecordSlot(
                start: 0, keyOffset: UInt32(f.keyOffset), keyLength: f.keyLength, valueOffset: UInt32(f.valueOffset),
                valueLength: f.valueLength, headersOffset: 0, headerCount: 0, offsetDelta: header.baseOffset,
                timestampDelta: header.firstTimestamp)
            return decoded
        }
        let inflatedBytes: Int
        do throws(KafkaInflateFailure) {
            inflatedBytes = try decompressor.inflate(codec, UnsafeRawBufferPointer(start: staging.pointer, count: Int(f.valueLength)),
                                                     bound: KafkaFormat.maxInflatedBatchBytes, legacyLZ4: magic == 0)
        } catch {
            throw inflateError(error, codec: codec, size: size, at: position)
        }
        let capacity = inflatedBytes / (KafkaFormat.logOverhead + KafkaBatchHeader.minimumLength(magic: magic)) + 1
        growSlots(capacity)
        let data = UnsafeRawPointer(decompressor.output.pointer)
        let (count, failure) = KafkaRecordWalk.walkLegacyInner(data, count: inflatedBytes, wrapper: header,
                                                              into: slotTable.typed(KafkaRecordSlot.self), capacity: capacity)
        if let failure { throw error(for: .walk(failure, dataOffset: nil, size: size), at: position) }
        decoded.data = data
        decoded.recordCount = count
        return decoded
    }

    // MARK: Damage

    private func error(for defect: KafkaBatchDefect, at position: Int64) -> LogScanError {
        dropView()
        if let size = defect.entrySize { damagedEntry = (position, position + Int64(size)) } else { damagedEntry = nil }
        switch defect {
        case .zeroLength, .shortTail:
            // A preallocated segment is zero-filled after its last batch.
            if (try? ByteSourceAccess.isZero(source, from: position)) == true {
                let length = (source.size ?? position) - position
                var error = LogScanError(path: path, position: position,
                                         .damaged(.zeroTail, detail: "\(length) zero bytes after the last batch"))
                error.length = length
                return error
            }
        default:
            break
        }
        return defect.error(path: path, at: position, fileSize: source.size)
    }

    /// A compressed entry whose framing and CRC held but whose data did not
    /// inflate. (Not a `KafkaBatchDefect`: those are plain values, made
    /// under the SIGBUS guard; this one carries the decoder's message.)
    private func inflateError(_ failure: KafkaInflateFailure, codec: KafkaCodec, size: Int, at position: Int64) -> LogScanError {
        damagedEntry = (position, position + Int64(size))
        var error = LogScanError(path: path, position: position, .damaged(.decompressionFailed, detail: "\(codec) batch: \(failure.detail)"))
        error.length = Int64(size)
        return error
    }

    /// After damage at `position`: continues at the next entry that is
    /// whole and whose CRC holds. That is right after the damaged entry when
    /// its framing was sound; otherwise the bytes are searched. Returns where
    /// reading resumes, nil when nothing valid follows.
    public func resynchronize(after position: Int64) throws(LogScanError) -> Int64? {
        reposition(to: position)
        if let damaged = damagedEntry, damaged.position == position {
            damagedEntry = nil
            if let size = source.size, damaged.next >= size {
                nextBatchPosition = size
                return nil
            }
            if try validEntry(at: damaged.next) != nil {
                nextBatchPosition = damaged.next
                return damaged.next
            }
        }
        guard let found = try KafkaEntryScanner.findEntry(in: self, from: position + 1) else {
            nextBatchPosition = source.size ?? position
            return nil
        }
        nextBatchPosition = found
        return found
    }

    /// The header of the entry at `position` when a whole entry is there and
    /// its CRC holds (the check before trusting an index entry or a place
    /// found by searching); nil otherwise.
    public func validEntry(at position: Int64, maxSize: Int = Int.max) throws(LogScanError) -> KafkaBatchHeader? {
        guard position >= 0 else { return nil }
        dropView()
        let head = try source.bytes(at: position, count: KafkaFormat.v2HeaderSize)
        var read = HeaderRead(bytes: head, position: position)
        var fault = withSigbusGuard(&read) { raw in
            let c = guardedContext(raw, as: HeaderRead.self)
            let headBytes = c.pointee.bytes.count
            guard headBytes >= KafkaFormat.headerUpToMagic else { return }
            let p = c.pointee.bytes.baseAddress!
            let magic = p.byte(16)
            let length = Int(Int32(bitPattern: p.be32(8)))
            guard magic <= 2, length >= KafkaBatchHeader.minimumLength(magic: magic), length <= KafkaFormat.maxBatchBytes,
                  headBytes >= KafkaBatchHeader.headerSize(magic: magic) else { return }
            c.pointee.header = KafkaBatchHeader.read(p, at: c.pointee.position)
        }
        if fault != nil { throw ByteSourceAccess.shrankError(source, position: position) }
        guard let found = read.header, found.size <= maxSize else { return nil }
        if let fileSize = source.size, position + Int64(found.size) > fileSize { return nil }
        let view = try source.bytes(at: position, count: found.size)
        guard view.count == found.size else { return nil }
        var check = EntryChecksum(entry: view.baseAddress!, size: found.size, crc: found.crc, magic: found.magic)
        fault = withSigbusGuard(&check) { raw in
            let c = guardedContext(raw, as: EntryChecksum.self)
            let p = c.pointee.entry, size = c.pointee.size
            c.pointee.valid = c.pointee.magic >= 2
                ? CRC32C.checksum(UnsafeRawBufferPointer(start: p + 21, count: size - 21)) == c.pointee.crc
                : KafkaChecksums.crc32(p + 16, size - 16) == c.pointee.crc
        }
        if fault != nil { throw ByteSourceAccess.shrankError(source, position: position) }
        return check.valid ? found : nil
    }
}

/// Finding entries by their framing and CRC, for recovery after damage
/// whose length could not be trusted.
enum KafkaEntryScanner {
    static func findEntry(in reader: KafkaSegmentReader, from start: Int64) throws(LogScanError) -> Int64? {
        let source = reader.source
        let chunk = 1 << 20
        var position = start
        while true {
            let view = try source.bytes(at: position, count: chunk + KafkaFormat.headerUpToMagic)
            if view.count < KafkaFormat.logOverhead + KafkaFormat.v0MessageOverhead { return nil }
            let fileSize = source.size ?? Int64.max
            let limit = view.count - KafkaFormat.headerUpToMagic
            let viewPosition = position
            // Cheap checks first (magic, a length that fits); the CRC decides.
            var scan = CandidateScan(bytes: view.baseAddress!, limit: limit, viewPosition: viewPosition, fileSize: fileSize)
            let fault = withSigbusGuard(&scan) { raw in guardedContext(raw, as: CandidateScan.self).pointee.run() }
            if fault != nil { throw ByteSourceAccess.shrankError(source, position: position) }
            let candidate = scan.candidate
            guard candidate >= 0 else {
                position += Int64(limit + 1)
                continue
            }
            let at = position + Int64(candidate)
            if try reader.validEntry(at: at) != nil { return at }
            position = at + 1
        }
    }
}

/// The chunk path's walk: frames uncompressed v2 batches in one view, checks
/// each CRC and walks its records, until the view ends, a batch needs the
/// single path, the tables are full, or a batch is damaged. Runs inside the
/// SIGBUS guard: it writes only through the table pointers and to itself.
struct KafkaChunkWalk {
    /// One guarded run: the walk and its arguments, as one plain value.
    struct Call {
        var walk: KafkaChunkWalk
        let base: UnsafeRawPointer
        let count: Int
        let atEOF: Bool
    }

    enum Outcome {
        /// The view holds no further whole batch: read on from `consumed`.
        case more
        /// End of the segment.
        case atEnd
        /// The entry at `consumed` (of this size, whole in the view) is compressed or v0/v1.
        case single(Int)
        /// The batch at `consumed` needs this many record slots.
        case needSlots(Int)
        case defect(KafkaBatchDefect)
    }

    let slots: UnsafeMutablePointer<KafkaRecordSlot>
    let slotCapacity: Int
    let batches: UnsafeMutablePointer<KafkaDecodedBatch>
    let batchCapacity: Int
    let viewPosition: Int64
    let minimumOffset: Int64
    let minimumTimestamp: Int64
    var expectedMinimum: Int64
    var lastOffset: Int64?

    var consumed = 0
    var batchCount = 0
    var slotCount = 0
    var bytesDecoded = 0
    var outcome = Outcome.more

    @inline(__always)
    mutating func run(_ base: UnsafeRawPointer, _ count: Int, atEOF: Bool) {
        while true {
            let remaining = count - consumed
            if remaining == 0 { outcome = atEOF ? .atEnd : .more; return }
            let p = base + consumed
            if remaining < KafkaFormat.headerUpToMagic {
                outcome = atEOF ? .defect(.shortTail(have: remaining)) : .more
                return
            }
            let length32 = Int32(bitPattern: p.be32(8))
            if length32 == 0 { outcome = .defect(.zeroLength); return }
            let magic = p.byte(16)
            guard length32 > 0, Int(length32) <= KafkaFormat.maxBatchBytes else {
                outcome = .defect(.badLength(Int64(length32), magic: magic <= 2 ? magic : nil))
                return
            }
            guard magic <= 2 else { outcome = .defect(.badMagic(magic)); return }
            let length = Int(length32)
            guard length >= KafkaBatchHeader.minimumLength(magic: magic) else {
                outcome = .defect(.badLength(Int64(length), magic: magic))
                return
            }
            let size = KafkaFormat.logOverhead + length
            if size > remaining {
                outcome = atEOF ? .defect(.truncated(have: remaining, need: size)) : .more
                return
            }
            let attributes = p.be16(21)
            if magic != 2 || attributes & KafkaFormat.codecMask != 0 {
                outcome = .single(size)
                return
            }
            let baseOffset = Int64(bitPattern: p.be64(0))
            let lastDelta = Int32(bitPattern: p.be32(23))
            guard lastDelta >= 0 else { outcome = .defect(.badLastOffsetDelta(lastDelta, size: size)); return }
            guard baseOffset >= expectedMinimum else {
                outcome = .defect(.offsetBackwards(base: baseOffset, expected: expectedMinimum, size: size))
                return
            }
            let last = baseOffset &+ Int64(lastDelta)
            let maxTimestamp = Int64(bitPattern: p.be64(35))
            if last < minimumOffset || maxTimestamp < minimumTimestamp {
                // Stepped over on the header alone.
                expectedMinimum = last &+ 1
                lastOffset = last
                consumed += size
                continue
            }
            let stored = p.be32(17)
            let computed = CRC32C.checksum(UnsafeRawBufferPointer(start: p + 21, count: size - 21))
            guard computed == stored else {
                outcome = .defect(.badChecksum(stored: stored, computed: computed, size: size, magic: 2))
                return
            }
            let records32 = Int32(bitPattern: p.be32(57))
            let dataBytes = size - KafkaFormat.v2HeaderSize
            guard records32 >= 0, Int(records32) <= dataBytes / KafkaFormat.minRecordBytes else {
                outcome = .defect(.badRecordCount(records32, dataBytes: dataBytes, size: size))
                return
            }
            let records = Int(records32)
            if slotCount + records > slotCapacity || batchCount == batchCapacity {
                outcome = batchCount == 0 ? .needSlots(records) : .more
                return
            }
            let flags = KafkaBatchFlags(magic: 2, attributes: attributes)
            if let failure = KafkaRecordWalk.walkV2(p + KafkaFormat.v2HeaderSize, count: dataBytes, records: records,
                                                    control: flags.isControl, into: slots + slotCount) {
                outcome = .defect(.walk(failure, dataOffset: KafkaFormat.v2HeaderSize, size: size))
                return
            }
            let position = viewPosition + Int64(consumed)
            batches[batchCount] = KafkaDecodedBatch(
                position: position, baseOffset: baseOffset, lastOffset: last,
                firstTimestamp: Int64(bitPattern: p.be64(27)), maxTimestamp: maxTimestamp,
                data: p + KafkaFormat.v2HeaderSize, dataPosition: position + Int64(KafkaFormat.v2HeaderSize),
                firstSlot: slotCount, recordCount: records, flags: flags)
            batchCount += 1
            slotCount += records
            bytesDecoded += size
            expectedMinimum = last &+ 1
            lastOffset = last
            consumed += size
        }
    }
}

// MARK: Guarded steps
//
// What the reader does to mapped bytes that can vanish under it, each as a
// plain value run by `withSigbusGuard` (Support/SigbusGuard.swift): on a
// fault the body's frames are skipped, so a body holds no references and
// writes only into its own context and into memory the reader owns.

/// Reads a batch header, when the bytes hold one.
private struct HeaderRead {
    let bytes: UnsafeRawBufferPointer
    let position: Int64
    var header: KafkaBatchHeader? = nil
}

/// A v2 batch's CRC, then either the walk over its uncompressed records
/// (into `slots`) or a copy of its compressed data (into `stage`).
private struct V2BodyCheck {
    let batch: UnsafeRawPointer
    let size: Int
    let crc: UInt32
    let dataBytes: Int
    let records: Int
    let control: Bool
    let slots: UnsafeMutablePointer<KafkaRecordSlot>?
    let stage: UnsafeMutableRawPointer?
    var defect: KafkaBatchDefect? = nil

    mutating func run() {
        let computed = CRC32C.checksum(UnsafeRawBufferPointer(start: batch + 21, count: size - 21))
        guard computed == crc else {
            defect = .badChecksum(stored: crc, computed: computed, size: size, magic: 2)
            return
        }
        if let stage {
            stage.copyMemory(from: batch + KafkaFormat.v2HeaderSize, byteCount: dataBytes)
        } else if let failure = KafkaRecordWalk.walkV2(batch + KafkaFormat.v2HeaderSize, count: dataBytes, records: records,
                                                        control: control, into: slots!) {
            defect = .walk(failure, dataOffset: KafkaFormat.v2HeaderSize, size: size)
        }
    }
}

/// A v0/v1 message's CRC and fields; a compressed wrapper's value is copied
/// into `stage`.
private struct LegacyCheck {
    let message: UnsafeRawPointer
    let size: Int
    let crc: UInt32
    let magic: UInt8
    let stage: UnsafeMutableRawPointer?
    var fields: (keyOffset: Int, keyLength: Int32, valueOffset: Int, valueLength: Int32)? = nil
    var defect: KafkaBatchDefect? = nil

    mutating func run() {
        let computed = KafkaChecksums.crc32(message + 16, size - 16)
        guard computed == crc else {
            defect = .badChecksum(stored: crc, computed: computed, size: size, magic: magic)
            return
        }
        fields = KafkaRecordWalk.legacyFields(message, size: size, magic: magic)
        guard let f = fields else { defect = .badMessageFields(size: size); return }
        if let stage {
            guard f.valueLength >= 0 else { defect = .nullWrapperValue(size: size); return }
            stage.copyMemory(from: message + f.valueOffset, byteCount: Int(f.valueLength))
        }
    }
}

/// Whether a whole entry's CRC holds.
private struct EntryChecksum {
    let entry: UnsafeRawPointer
    let size: Int
    let crc: UInt32
    let magic: UInt8
    var valid = false
}

/// The first place in a view where an entry could start: a known magic and
/// a length that fits in the file.
private struct CandidateScan {
    let bytes: UnsafeRawPointer
    let limit: Int
    let viewPosition: Int64
    let fileSize: Int64
    var candidate = -1

    mutating func run() {
        var i = 0
        while i <= limit {
            let magic = bytes.byte(i + 16)
            if magic <= 2 {
                let length = Int64(Int32(bitPattern: bytes.be32(i + 8)))
                if length >= Int64(KafkaBatchHeader.minimumLength(magic: magic)),
                   length <= Int64(KafkaFormat.maxBatchBytes),
                   viewPosition + Int64(i) + 12 + length <= fileSize {
                    candidate = i
                    return
                }
            }
            i += 1
        }
    }
}

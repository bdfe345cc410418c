#if canImport(Glibc)
import Glibc
#endif

/// A native segment read header by header: blocks are found and checked
/// (magic, header CRC, bounds, sequence continuity) without decoding their
/// payloads, which is what `stat` and the index tools need. The first and
/// last blocks are decoded for the first and last records' timestamps.
struct NativeSegmentSurvey {
    struct Block: Equatable {
        var position: Int64
        var header: NativeBlockHeader
    }

    let segment: LogInput.Segment
    let header: NativeSegmentHeader
    let size: Int64
    let blocks: [Block]
    let validEnd: Int64
    let damage: LogScanError?
    private let reader: NativeSegmentReader

    init(segment: LogInput.Segment) throws(LogScanError) {
        self.segment = segment
        reader = try NativeSegmentReader(source: ByteSource(file: OpenFile(path: segment.path), options: IOOptions(), purpose: .lookup))
        header = reader.header
        let source = reader.source
        size = source.size ?? 0
        var blocks: [Block] = []
        var position = Int64(NativeFormat.segmentHeaderSize)
        var expected = header.baseSequence
        var damage: LogScanError?
        func damaged(_ reason: DamageReason, _ detail: String, length: Int64? = nil) -> LogScanError {
            var error = LogScanError(path: segment.path, position: position, .damaged(reason, detail: detail))
            error.length = length ?? (source.size ?? position) - position
            return error
        }
        var raw = [UInt8](repeating: 0, count: NativeFormat.blockHeaderSize)
        while position < size {
            let view = try source.bytes(at: position, count: NativeFormat.blockHeaderSize)
            let got = try ByteSourceAccess.copyGuarded(view, into: &raw, source: source, position: position)
            if got < NativeFormat.blockHeaderSize {
                let zero = raw[0..<got].allSatisfy { $0 == 0 }
                damage = damaged(zero ? .zeroTail : .truncated, zero ? "\(got) zero bytes after the last block" : "block header cut off: \(got) of \(NativeFormat.blockHeaderSize) bytes")
                break
            }
            guard case .success(let block) = raw.withUnsafeBytes({ NativeBlockHeader.decode($0.baseAddress!) }) else {
                if try ByteSourceAccess.isZero(source, from: position) {
                    damage = damaged(.zeroTail, "zero bytes after the last block")
                } else {
                    damage = damaged(.badHeaderChecksum, "no valid block header")
                }
                break
            }
            guard block.firstSequence == expected else {
                damage = damaged(.sequenceGap, "block starts at sequence \(block.firstSequence), expected \(expected)")
                break
            }
            let end = position + Int64(NativeFormat.blockHeaderSize + block.storedSize)
            guard end <= size else {
                damage = damaged(.truncated, "block of \(end - position) bytes, file ends after \(size - position)")
                break
            }
            blocks.append(Block(position: position, header: block))
            expected = block.firstSequence + UInt64(block.recordCount)
            position = end
        }
        self.blocks = blocks
        validEnd = position
        self.damage = damage
    }

    /// The index entries the writer makes for these blocks.
    var expectedIndexEntries: [NativeIndexEntry] {
        var maxSoFar = NativeBlockHeader.noTimestamp
        return blocks.map { block in
            maxSoFar = max(maxSoFar, block.header.maxTimestamp)
            return NativeIndexEntry(firstSequence: block.header.firstSequence, position: block.position, maxTimestampSoFar: maxSoFar)
        }
    }

    func stat() throws(LogScanError) -> SegmentStat {
        let records = blocks.reduce(0) { $0 + $1.header.recordCount }
        var stat = SegmentStat(
            path: segment.path, kind: .native, sizeBytes: size, records: records, units: blocks.count,
            firstOffset: records > 0 ? header.baseSequence : nil,
            lastOffset: records > 0 ? header.baseSequence + UInt64(records) - 1 : nil,
            storedPayloadBytes: blocks.reduce(0) { $0 + Int64($1.header.storedSize) },
            rawPayloadBytes: blocks.reduce(0) { $0 + Int64($1.header.rawSize) },
            validEnd: validEnd, damage: damage, index: .notApplicable)
        stat.index = (try? NativeSegmentIndexer(survey: self).check()) ?? .missing
        if let first = blocks.first, let last = blocks.last {
            // A payload that does not decode is damage the survey did not
            // look for; the timestamps then stay unknown.
            do throws(LogScanError) {
                stat.firstTimestamp = try blockRecords(first).first?.timestamp
                stat.lastTimestamp = try blockRecords(last).last?.timestamp
            } catch {
                if stat.damage == nil { stat.damage = error }
            }
        }
        return stat
    }

    /// The (sequence, timestamp) of every record of one block.
    private func blockRecords(_ block: Block) throws(LogScanError) -> [(sequence: UInt64, timestamp: Int64?)] {
        reader.reposition(toBlockAt: block.position, sequence: block.header.firstSequence)
        guard try reader.nextBlock() else { return [] }
        var out: [(UInt64, Int64?)] = []
        while reader.remainingInBlock > 0, let record = try reader.next() {
            out.append((record.sequence, record.timestamp))
        }
        return out
    }
}

/// Native `.idx` files: checked against, and rebuilt from, the segment's blocks.
struct NativeSegmentIndexer: SegmentIndexer {
    let survey: NativeSegmentSurvey
    let indexPath: String

    init(segment: LogInput.Segment) throws(LogScanError) {
        try self.init(survey: NativeSegmentSurvey(segment: segment))
    }

    init(survey: NativeSegmentSurvey) throws(LogScanError) {
        self.survey = survey
        let path = survey.segment.path
        if let index = survey.segment.indexPath {
            indexPath = index
        } else if path.hasSuffix("." + NativeFormat.segmentExtension) {
            indexPath = String(path.dropLast(NativeFormat.segmentExtension.count)) + NativeFormat.indexExtension
        } else {
            throw LogScanError(path: path, .usage("cannot name the index of a segment whose file name does not end in .\(NativeFormat.segmentExtension)"))
        }
    }

    func check() throws(LogScanError) -> IndexHealth {
        guard Directory.exists(indexPath) else { return .missing }
        let expected = survey.expectedIndexEntries
        let index: NativeIndex
        let entries: [NativeIndexEntry]
        do throws(LogScanError) {
            index = try NativeIndex(path: indexPath, io: IOOptions(mode: .pread))
            entries = try index.allEntries()
        } catch {
            if case .damaged(_, let detail) = error.kind { return .damaged(detail) }
            throw error
        }
        guard index.baseSequence == survey.header.baseSequence else {
            return .damaged("index is for base sequence \(index.baseSequence), the segment's is \(survey.header.baseSequence)")
        }
        for (i, entry) in entries.enumerated() {
            guard i < expected.count else {
                // The writer indexes a block once it has written it; after a
                // crash the block may be torn while its entry survived. An
                // entry naming exactly where a torn tail starts is that case.
                if i == entries.count - 1, entry.position == survey.validEnd, let damage = survey.damage,
                   case .damaged(let reason, _) = damage.kind, reason.isTornTail {
                    return .ok(entries: entries.count)
                }
                return .damaged("entry \(i) (sequence \(entry.firstSequence) at byte \(entry.position)) is past the segment's last valid block")
            }
            let want = expected[i]
            guard entry == want else {
                return .damaged("entry \(i) says sequence \(entry.firstSequence) at byte \(entry.position), max timestamp \(entry.maxTimestampSoFar); the block there is sequence \(want.firstSequence) at byte \(want.position), max timestamp \(want.maxTimestampSoFar)")
            }
        }
        return entries.count < expected.count ? .incomplete(entries: entries.count, expected: expected.count) : .ok(entries: entries.count)
    }

    /// Refuses while a writer holds the log (it appends to the index it has
    /// open, and would go on writing into the replaced file).
    func rebuild() throws(LogScanError) -> Int {
        let directory = Directory.parent(survey.segment.path)
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw LogScanError(path: directory, .system(operation: "open", errno: errno)) }
        defer { close(fd) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            if errno == EWOULDBLOCK { throw LogScanError(path: directory, .usage("a writer has this log open; rebuild its indexes after it closes")) }
            throw LogScanError(path: directory, .system(operation: "flock", errno: errno))
        }
        defer { flock(fd, LOCK_UN) }
        let entries = survey.expectedIndexEntries
        var bytes = NativeIndex.encodeHeader(baseSequence: survey.header.baseSequence)
        for entry in entries { NativeIndex.encode(entry, into: &bytes) }
        try WritableFile.replaceAtomically(indexPath, with: bytes)
        return entries.count
    }
}

import Testing
@testable import LogScan

/// Every damage class the native format distinguishes, each made by hand on
/// a small log, with the error the reader must give and what replay emits
/// around it under each recovery mode.
@Suite struct NativeDamageTests {
    /// A one-segment log of 10 blocks x 10 records, and where its blocks are.
    struct Fixture {
        let dir = TemporaryDirectory()
        var segment: String
        var written: [OwnedRecord]
        var blocks: [(position: Int64, header: NativeBlockHeader)] = []

        init(codec: NativeFormat.Codec = .none) throws {
            var rng = SplitMix64(seed: 99)
            let records = (0..<100).map { i in
                OwnedRecord(offset: 0, timestamp: Int64(i), key: Array("k\(i)".utf8), value: compressible(90, &rng))
            }
            // 10 records of ~120 bytes fill a 1200-byte block.
            written = try writeLog(dir.path, records, options: NativeWriterOptions(compression: codec, blockBytes: 1100))
            segment = try NativeLogDirectory.segments(in: dir.path)[0].path
            let reader = try NativeSegmentReader(source: ByteSource(file: OpenFile(path: segment), options: IOOptions()))
            while try reader.nextBlock() { blocks.append((reader.blockPosition, reader.blockHeader!)) }
        }

        var bytes: [UInt8] {
            get { readFile(segment) }
            nonmutating set { writeFile(segment, newValue) }
        }

        /// Records in blocks before block `i`.
        func before(block i: Int) -> [OwnedRecord] { Array(written.prefix(blocks[..<i].reduce(0) { $0 + $1.header.recordCount })) }

        /// Re-signs block `i`'s header (and payload) CRCs after an edit.
        func resign(block i: Int, payload: Bool = true) {
            var b = bytes
            let p = Int(blocks[i].position)
            let stored = Int(b.withUnsafeBytes { $0.baseAddress!.le32(p + 12) })
            if payload {
                let crc = b.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[(p + 48)..<(p + 48 + stored)])) }
                b.withUnsafeMutableBytes { $0.baseAddress!.storeLE32(crc, at: p + 8) }
            }
            let headerCRC = b.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[(p + 8)..<(p + 48)])) }
            b.withUnsafeMutableBytes { $0.baseAddress!.storeLE32(headerCRC, at: p + 4) }
            bytes = b
        }

        func set32(_ value: UInt32, at offset: Int) {
            var b = bytes
            b.withUnsafeMutableBytes { $0.baseAddress!.storeLE32(value, at: offset) }
            bytes = b
        }
    }

    /// Replays under `mode` and checks the emitted prefix and the one report.
    func expectDamage(_ f: Fixture, mode: RecoveryMode = .pointInTime, reason: DamageReason, at position: Int64,
                      emitted: [OwnedRecord], tolerated: Bool = false, sourceLocation: SourceLocation = #_sourceLocation) {
        let (sink, summary) = replay(f.dir.path, ReplayOptions(recovery: mode))
        #expect(sink.records.count == emitted.count, sourceLocation: sourceLocation)
        #expect(zip(sink.records, emitted).allSatisfy { $0.sameContent($1) }, sourceLocation: sourceLocation)
        #expect(sink.damage.count == 1, "\(sink.damage)", sourceLocation: sourceLocation)
        #expect(sink.damage.first?.reason == reason, "\(sink.damage)", sourceLocation: sourceLocation)
        #expect(sink.damage.first?.start == position, "\(sink.damage)", sourceLocation: sourceLocation)
        #expect(summary.damaged == !tolerated, sourceLocation: sourceLocation)
        #expect(sink.failures.isEmpty, sourceLocation: sourceLocation)
    }

    @Test func tornTailInsideBlock() throws {
        let f = try Fixture()
        let last = f.blocks.last!, n = f.blocks.count - 1
        f.bytes = Array(f.bytes.prefix(Int(last.position) + 48 + 100))
        expectDamage(f, reason: .truncated, at: last.position, emitted: f.before(block: n), tolerated: true)
        expectDamage(f, mode: .tolerateTail, reason: .truncated, at: last.position, emitted: f.before(block: n), tolerated: true)
        expectDamage(f, mode: .absolute, reason: .truncated, at: last.position, emitted: f.before(block: n))
    }

    @Test func tornTailInsideBlockHeader() throws {
        let f = try Fixture()
        let last = f.blocks.last!
        f.bytes = Array(f.bytes.prefix(Int(last.position) + 30))
        expectDamage(f, reason: .truncated, at: last.position, emitted: f.before(block: f.blocks.count - 1), tolerated: true)
    }

    @Test func zeroFilledTail() throws {
        let f = try Fixture()
        f.bytes = f.bytes + [UInt8](repeating: 0, count: 10_000)
        let end = f.blocks.last!.position + Int64(48 + f.blocks.last!.header.storedSize)
        expectDamage(f, reason: .zeroTail, at: end, emitted: f.written, tolerated: true)
        expectDamage(f, mode: .absolute, reason: .zeroTail, at: end, emitted: f.written)
    }

    @Test func badPayloadChecksumMidFile() throws {
        let f = try Fixture()
        var b = f.bytes
        b[Int(f.blocks[4].position) + 48 + 50] ^= 0x01
        f.bytes = b
        expectDamage(f, reason: .badChecksum, at: f.blocks[4].position, emitted: f.before(block: 4))
        // skip-corrupted salvages every other block.
        let (sink, summary) = replay(f.dir.path, ReplayOptions(recovery: .skipCorrupted))
        let lost = Set(f.blocks[4].header.firstSequence..<(f.blocks[4].header.firstSequence + UInt64(f.blocks[4].header.recordCount)))
        #expect(sink.records.map(\.offset) == f.written.map(\.offset).filter { !lost.contains($0) })
        #expect(summary.damaged)
        #expect(sink.damage.first?.action == .skipped)
        #expect(sink.damage.first?.end == f.blocks[5].position)
    }

    @Test func badBlockHeaderChecksum() throws {
        let f = try Fixture()
        var b = f.bytes
        b[Int(f.blocks[3].position) + 20] ^= 0x40  // record count
        f.bytes = b
        expectDamage(f, reason: .badHeaderChecksum, at: f.blocks[3].position, emitted: f.before(block: 3))
        expectDamage(f, mode: .tolerateTail, reason: .badHeaderChecksum, at: f.blocks[3].position, emitted: f.before(block: 3))
    }

    @Test func badBlockMagicMidFile() throws {
        let f = try Fixture()
        f.set32(0xDEAD_BEEF, at: Int(f.blocks[6].position))
        expectDamage(f, reason: .badMagic, at: f.blocks[6].position, emitted: f.before(block: 6))
    }

    @Test func recordSizeWrongWithValidChecksums() throws {
        let f = try Fixture()
        let recordAt = Int(f.blocks[2].position) + 48
        f.set32(5000, at: recordAt)  // past the block's end
        f.resign(block: 2)
        expectDamage(f, reason: .badLength, at: Int64(recordAt), emitted: f.before(block: 2))
        f.set32(7, at: recordAt)  // smaller than a record header
        f.resign(block: 2)
        expectDamage(f, reason: .badLength, at: Int64(recordAt), emitted: f.before(block: 2))
    }

    @Test func recordCountMismatchWithValidChecksums() throws {
        let f = try Fixture()
        let p = Int(f.blocks[5].position)
        let count = f.blocks[5].header.recordCount
        f.set32(UInt32(count - 1), at: p + 20)
        f.resign(block: 5, payload: false)
        // Block 5's records are all 113 bytes long; the last is one too many.
        expectDamage(f, reason: .badRecord, at: Int64(p + 48 + (count - 1) * 113), emitted: f.before(block: 5))
    }

    @Test func lengthOverTheFormatBound() throws {
        let f = try Fixture()
        let p = Int(f.blocks[1].position)
        f.set32(UInt32(NativeFormat.maxBlockPayload + 1), at: p + 12)
        f.set32(UInt32(NativeFormat.maxBlockPayload + 1), at: p + 16)
        f.resign(block: 1, payload: false)
        expectDamage(f, reason: .badLength, at: Int64(p), emitted: f.before(block: 1))
        f.set32(0xFFFF_FFFF, at: p + 12)
        f.resign(block: 1, payload: false)
        expectDamage(f, reason: .badLength, at: Int64(p), emitted: f.before(block: 1))
    }

    @Test func sequenceGapInsideSegment() throws {
        let f = try Fixture()
        let p = Int(f.blocks[7].position)
        var b = f.bytes
        b.withUnsafeMutableBytes { $0.baseAddress!.storeLE64(1000, at: p + 24) }
        f.bytes = b
        f.resign(block: 7, payload: false)
        expectDamage(f, reason: .sequenceGap, at: Int64(p), emitted: f.before(block: 7))
    }

    @Test func lz4ThatDoesNotInflate() throws {
        let f = try Fixture(codec: .lz4)
        #expect(f.blocks[3].header.codec == .lz4)
        let p = Int(f.blocks[3].position)
        var b = f.bytes
        // The first token claims 15+ literals, and the length bytes after it
        // extend that far past the end of the block.
        for i in 0..<8 { b[p + 48 + i] = 0xFF }
        f.bytes = b
        f.resign(block: 3)
        expectDamage(f, reason: .decompressionFailed, at: Int64(p), emitted: f.before(block: 3))
    }

    @Test func lz4RawSizeLie() throws {
        let f = try Fixture(codec: .lz4)
        let p = Int(f.blocks[2].position)
        f.set32(UInt32(f.blocks[2].header.rawSize + 1), at: p + 16)
        f.resign(block: 2, payload: false)
        expectDamage(f, reason: .decompressionFailed, at: Int64(p), emitted: f.before(block: 2))
    }

    @Test func segmentHeaderDamage() throws {
        let f = try Fixture()
        let original = f.bytes
        var b = original
        b[0] = 0x88
        f.bytes = b
        expectDamage(f, reason: .badMagic, at: 0, emitted: [])
        b = original
        b[30] ^= 1
        f.bytes = b
        expectDamage(f, reason: .badHeaderChecksum, at: 0, emitted: [])
        b = original
        b.withUnsafeMutableBytes { raw in
            raw.baseAddress!.storeLE16(2, at: 8)
            raw.baseAddress!.storeLE32(CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[0..<60])), at: 60)
        }
        f.bytes = b
        expectDamage(f, reason: .unsupportedVersion, at: 8, emitted: [])
        f.bytes = Array(original.prefix(40))
        expectDamage(f, reason: .truncated, at: 0, emitted: [], tolerated: true)
    }

    @Test func missingSegmentIsASequenceGapAndTornNonLastSegmentIsDamage() throws {
        let dir = TemporaryDirectory()
        let written = try writeLog(dir.path, randomRecords(300, maxValue: 100, seed: 31),
                                   options: NativeWriterOptions(segmentBytes: 8 << 10, blockBytes: 1024))
        let segments = try NativeLogDirectory.segments(in: dir.path)
        #expect(segments.count >= 4)
        // A torn tail in a segment that is not the last: data was lost.
        let second = segments[1]
        let size = readFile(second.path).count
        writeFile(second.path, Array(readFile(second.path).prefix(size - 10)))
        var (sink, summary) = replay(dir.path)
        #expect(summary.damaged)
        #expect(sink.damage.first?.reason == .truncated && sink.damage.first?.action == .stopped)
        // A missing segment: the next one does not continue the sequence.
        unlink(second.path)
        (sink, summary) = replay(dir.path)
        #expect(summary.damaged)
        #expect(sink.damage.first?.reason == .sequenceGap)
        #expect(sink.records.count == Int(segments[1].baseSequence))
        // skip-corrupted goes on after the gap.
        (sink, summary) = replay(dir.path, ReplayOptions(recovery: .skipCorrupted))
        #expect(sink.records.count == written.count - Int(segments[2].baseSequence - segments[1].baseSequence))
    }

    /// Truncated at every byte: a replay emits exactly the records of the
    /// complete blocks before the cut, and calls it a torn tail.
    @Test(arguments: [NativeFormat.Codec.none, .lz4])
    func truncationAtEveryOffsetGivesAPrefix(codec: NativeFormat.Codec) throws {
        let f = try Fixture(codec: codec)
        let original = f.bytes
        let blockEnds = f.blocks.map { Int($0.position) + 48 + $0.header.storedSize }
        for cut in stride(from: 0, through: original.count, by: 1) {
            f.bytes = Array(original.prefix(cut))
            let (sink, summary) = replay(f.segment)
            let complete = blockEnds.filter { $0 <= cut }.count
            let expected = f.before(block: complete)
            #expect(sink.records.count == expected.count, "cut at \(cut)")
            #expect(!summary.damaged, "cut at \(cut): \(sink.damage)")
            if cut != original.count && cut != 64 && !blockEnds.contains(cut) {
                #expect(sink.damage.first?.action == .tolerated, "cut at \(cut)")
            }
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif

import Foundation
import Testing
@testable import LogScan

/// Every damage class on Kafka segments: the committed damaged copies (with
/// kafka-python's reading of them), and copies of the clean fixtures damaged
/// here. Each with the DamageReason and position expected, and what replay
/// emits around it under the recovery modes.
@Suite struct KafkaDamageTests {
    static let damaged = KafkaFixtures.root + "/damaged"
    static let reference = KafkaFixtures.partitionRecords(KafkaFixtures.root + "/reference")
    static var batches: [[String: Any]] { KafkaFixtures.jsonLines(KafkaFixtures.root + "/reference/batches.jsonl") }

    /// (position, size, records) of a clean segment's batches.
    static func batches(of segment: String) -> [(position: Int64, size: Int, records: Int, compression: String)] {
        batches.filter { $0["segment"] as! String == segment }.map {
            (KafkaFixtures.int($0["position"])!, Int(KafkaFixtures.int($0["size"])!), Int(KafkaFixtures.int($0["records_count"])!), $0["compression"] as! String)
        }
    }

    static func records(of segment: String) -> [KafkaOwned] { reference.filter { $0.segment == segment }.map(\.record) }

    /// A single-segment copy to damage.
    struct Segment {
        let dir = TemporaryDirectory()
        let path: String
        let name: String
        let batches: [(position: Int64, size: Int, records: Int, compression: String)]
        let records: [KafkaOwned]

        init(_ name: String = "00000000000000000042.log") {
            self.name = name
            path = copyFixture(KafkaFixtures.clean + "/" + name, into: dir)
            batches = KafkaDamageTests.batches(of: name)
            records = KafkaDamageTests.records(of: name)
        }

        var bytes: [UInt8] {
            get { readFile(path) }
            nonmutating set { writeFile(path, newValue) }
        }

        func records(inBatchesBefore i: Int) -> [KafkaOwned] { records.filter { $0.batchPosition < batches[i].position } }
        func records(except i: Int) -> [KafkaOwned] { records.filter { $0.batchPosition != batches[i].position } }

        func set32(_ value: UInt32, at offset: Int) {
            var b = bytes
            b.withUnsafeMutableBytes { $0.storeBytes(of: value.bigEndian, toByteOffset: offset, as: UInt32.self) }
            bytes = b
        }

        /// Recomputes batch `i`'s CRC32C (bytes 21 to its end) after an edit.
        func resign(_ i: Int) {
            var b = bytes
            let p = Int(batches[i].position), end = p + batches[i].size
            let crc = b.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[(p + 21)..<end])) }
            b.withUnsafeMutableBytes { $0.storeBytes(of: crc.bigEndian, toByteOffset: p + 17, as: UInt32.self) }
            bytes = b
        }
    }

    /// Replays `path` under `mode` and checks the records and the one report.
    @discardableResult
    func expectDamage(_ path: String, mode: RecoveryMode = .pointInTime, reason: DamageReason, at position: Int64,
                      emitted: [KafkaOwned], tolerated: Bool = false, action: DamageReport.Action? = nil,
                      sourceLocation: SourceLocation = #_sourceLocation) -> KafkaSink {
        let (sink, summary) = kafkaReplay(path, ReplayOptions(kind: .kafka, recovery: mode))
        expectSame(sink.records, emitted, "\(mode)", sourceLocation: sourceLocation)
        #expect(sink.damage.count == 1, "\(sink.damage)", sourceLocation: sourceLocation)
        #expect(sink.damage.first?.reason == reason, "\(sink.damage)", sourceLocation: sourceLocation)
        #expect(sink.damage.first?.start == position, "\(sink.damage)", sourceLocation: sourceLocation)
        if let action { #expect(sink.damage.first?.action == action, "\(sink.damage)", sourceLocation: sourceLocation) }
        #expect(summary.damaged == !tolerated, sourceLocation: sourceLocation)
        #expect(sink.failures.isEmpty, "\(sink.failures)", sourceLocation: sourceLocation)
        return sink
    }

    // MARK: The committed damaged copies, against kafka-python

    @Test func tornFixture() {
        let path = Self.damaged + "/torn/logscan-events-0/00000000000000000122.log"
        let kp = KafkaFixtures.records(path + ".records.jsonl")
        #expect(kp.count == 13)
        expectDamage(path, reason: .truncated, at: 7298, emitted: kp, tolerated: true, action: .tolerated)
        expectDamage(path, mode: .tolerateTail, reason: .truncated, at: 7298, emitted: kp, tolerated: true)
        expectDamage(path, mode: .skipCorrupted, reason: .truncated, at: 7298, emitted: kp, tolerated: true)
        expectDamage(path, mode: .absolute, reason: .truncated, at: 7298, emitted: kp, action: .stopped)
    }

    @Test func corruptChecksumFixture() {
        let path = Self.damaged + "/corrupt/logscan-events-0/00000000000000000122.log"
        let kp = KafkaFixtures.records(path + ".records.jsonl")
        // kafka-python reports the CRC mismatch but still lists the batch's
        // records; logscan drops the batch.
        let batches = Self.batches(of: "00000000000000000122.log")
        let bad = batches.firstIndex { $0.position == 5446 }!
        let before = kp.filter { $0.batchPosition < 5446 }
        for mode in [RecoveryMode.pointInTime, .tolerateTail, .absolute] {
            expectDamage(path, mode: mode, reason: .badChecksum, at: 5446, emitted: before, action: .stopped)
        }
        let sink = expectDamage(path, mode: .skipCorrupted, reason: .badChecksum, at: 5446,
                                emitted: kp.filter { $0.batchPosition != 5446 }, action: .skipped)
        #expect(sink.damage.first?.end == batches[bad + 1].position)
    }

    @Test func corruptLZ4Fixture() {
        let path = Self.damaged + "/corrupt-lz4/logscan-events-0/00000000000000000122.log"
        let kp = KafkaFixtures.records(path + ".records.jsonl")
        #expect(kp.count == 12)
        expectDamage(path, reason: .badChecksum, at: 2895, emitted: kp.filter { $0.batchPosition < 2895 })
        // kafka-python skipped that batch too: skip-corrupted gives exactly its records.
        expectDamage(path, mode: .skipCorrupted, reason: .badChecksum, at: 2895, emitted: kp, action: .skipped)
    }

    /// The same flip with the CRC re-signed: now the LZ4 frame itself fails.
    @Test func lz4ThatDoesNotInflate() {
        let s = Segment("00000000000000000122.log")
        let i = s.batches.firstIndex { $0.position == 2895 }!
        #expect(s.batches[i].compression == "lz4")
        var b = s.bytes
        b[3436] ^= 0xFF
        s.bytes = b
        s.resign(i)
        let sink = expectDamage(s.path, reason: .decompressionFailed, at: 2895, emitted: s.records(inBatchesBefore: i))
        #expect(sink.damage.first?.detail.contains("lz4 batch") == true, "\(sink.damage)")
        expectDamage(s.path, mode: .skipCorrupted, reason: .decompressionFailed, at: 2895, emitted: s.records(except: i))
    }

    // MARK: Framing

    @Test func negativeBatchLength() {
        let s = Segment()
        let i = 3
        s.set32(UInt32(bitPattern: -5), at: Int(s.batches[i].position) + 8)
        expectDamage(s.path, reason: .badLength, at: s.batches[i].position, emitted: s.records(inBatchesBefore: i))
        expectDamage(s.path, mode: .tolerateTail, reason: .badLength, at: s.batches[i].position, emitted: s.records(inBatchesBefore: i))
        // skip-corrupted searches for the next batch whose CRC holds.
        let sink = expectDamage(s.path, mode: .skipCorrupted, reason: .badLength, at: s.batches[i].position, emitted: s.records(except: i))
        #expect(sink.damage.first?.end == s.batches[i + 1].position)
    }

    @Test func hugeBatchLength() {
        for length in [UInt32(0x7FFF_0000), UInt32(KafkaFormat.maxBatchBytes + 1)] {
            let s = Segment()
            s.set32(length, at: Int(s.batches[5].position) + 8)
            let sink = expectDamage(s.path, reason: .badLength, at: s.batches[5].position, emitted: s.records(inBatchesBefore: 5))
            #expect(sink.damage.first?.detail.contains("batch length \(length)") == true)
            expectDamage(s.path, mode: .skipCorrupted, reason: .badLength, at: s.batches[5].position, emitted: s.records(except: 5))
        }
    }

    /// A length that still fits the file but is wrong: the CRC catches it.
    @Test func wrongButPlausibleBatchLength() {
        let s = Segment()
        let p = Int(s.batches[2].position)
        s.set32(UInt32(s.batches[2].size - 12 + 50), at: p + 8)
        expectDamage(s.path, reason: .badChecksum, at: Int64(p), emitted: s.records(inBatchesBefore: 2))
        expectDamage(s.path, mode: .skipCorrupted, reason: .badChecksum, at: Int64(p), emitted: s.records(except: 2))
    }

    @Test func badMagic() {
        let s = Segment()
        var b = s.bytes
        b[Int(s.batches[4].position) + 16] = 7
        s.bytes = b
        expectDamage(s.path, reason: .badMagic, at: s.batches[4].position, emitted: s.records(inBatchesBefore: 4))
        expectDamage(s.path, mode: .skipCorrupted, reason: .badMagic, at: s.batches[4].position, emitted: s.records(except: 4))
    }

    /// A preallocated segment is zero-filled after its last batch: batchLength 0 ends it.
    @Test func zeroFilledTail() {
        let s = Segment("00000000000000000122.log")
        let end = Int64(s.bytes.count)
        s.bytes = s.bytes + [UInt8](repeating: 0, count: 100_000)
        expectDamage(s.path, reason: .zeroTail, at: end, emitted: s.records, tolerated: true, action: .tolerated)
        expectDamage(s.path, mode: .skipCorrupted, reason: .zeroTail, at: end, emitted: s.records, tolerated: true)
        expectDamage(s.path, mode: .absolute, reason: .zeroTail, at: end, emitted: s.records)
        // Fewer zero bytes than a header: still a zero tail; other bytes: a torn header.
        let short = Segment("00000000000000000122.log")
        short.bytes = short.bytes + [0, 0, 0, 0, 0]
        expectDamage(short.path, reason: .zeroTail, at: end, emitted: short.records, tolerated: true)
        short.bytes = Array(short.bytes.dropLast(5)) + [0, 0, 0, 1, 0x11]
        expectDamage(short.path, reason: .truncated, at: end, emitted: short.records, tolerated: true)
    }

    /// batchLength 0 with data after it is not a tail.
    @Test func zeroLengthMidFile() {
        let s = Segment()
        s.set32(0, at: Int(s.batches[6].position) + 8)
        expectDamage(s.path, reason: .badLength, at: s.batches[6].position, emitted: s.records(inBatchesBefore: 6))
    }

    // MARK: Offsets

    @Test func offsetGoingBackwardsInsideASegment() {
        let s = Segment()
        // baseOffset is outside the CRC (the broker stamps it): no re-signing.
        var b = s.bytes
        b.withUnsafeMutableBytes { $0.storeBytes(of: UInt64(1).bigEndian, toByteOffset: Int(s.batches[3].position), as: UInt64.self) }
        s.bytes = b
        let sink = expectDamage(s.path, reason: .sequenceGap, at: s.batches[3].position, emitted: s.records(inBatchesBefore: 3))
        #expect(sink.damage.first?.detail.contains("went backwards") == true)
        expectDamage(s.path, mode: .skipCorrupted, reason: .sequenceGap, at: s.batches[3].position, emitted: s.records(except: 3))
    }

    @Test func segmentsGoingBackwardsAndGaps() {
        let dir = TemporaryDirectory()
        let partition = copyFixture(KafkaFixtures.clean, into: dir)
        // A gap (segment 42..75 gone, as retention or compaction can leave): not damage.
        for ext in ["log", "index", "timeindex"] { unlink(partition + "/00000000000000000042.\(ext)") }
        var (sink, summary) = kafkaReplay(partition)
        expectSame(sink.records, Self.reference.map(\.record).filter { $0.offset < 42 || $0.offset >= 76 }, "gap")
        #expect(!summary.damaged && sink.damage.isEmpty)
        // A segment named below where the previous one ended: offsets go backwards.
        rename(partition + "/00000000000000000022.log", partition + "/00000000000000000010.log")
        (sink, summary) = kafkaReplay(partition)
        #expect(summary.damaged)
        #expect(sink.damage.first?.reason == .sequenceGap && sink.damage.first?.start == 0)
        #expect(sink.damage.first?.path.hasSuffix("00000000000000000010.log") == true)
        expectSame(sink.records, Self.records(of: "00000000000000000000.log"), "stops at the segment")
    }

    @Test func tornSegmentThatIsNotTheLast() {
        let dir = TemporaryDirectory()
        let partition = copyFixture(KafkaFixtures.clean, into: dir)
        let path = partition + "/00000000000000000092.log"
        writeFile(path, Array(readFile(path).dropLast(10)))
        let (sink, summary) = kafkaReplay(partition)
        #expect(summary.damaged)
        #expect(sink.damage.first?.reason == .truncated && sink.damage.first?.action == .stopped)
    }

    // MARK: Records (CRC re-signed, so the record walk finds the problem)

    @Test func recordLengthWrongWithValidChecksum() {
        let s = Segment()
        let i = s.batches.firstIndex { $0.compression == "none" && $0.records >= 2 }!
        let recordAt = Int(s.batches[i].position) + 61
        var b = s.bytes
        b[recordAt] = 0x01  // zig-zag -1
        s.bytes = b
        s.resign(i)
        expectDamage(s.path, reason: .badLength, at: Int64(recordAt), emitted: s.records(inBatchesBefore: i))
        expectDamage(s.path, mode: .skipCorrupted, reason: .badLength, at: Int64(recordAt), emitted: s.records(except: i))
    }

    @Test func recordCountWrongWithValidChecksum() {
        let s = Segment()
        let i = s.batches.firstIndex { $0.compression == "none" && $0.records >= 2 }!
        let p = Int(s.batches[i].position)
        s.set32(UInt32(s.batches[i].records - 1), at: p + 57)
        s.resign(i)
        let (sink, summary) = kafkaReplay(s.path, ReplayOptions(kind: .kafka))
        expectSame(sink.records, s.records(inBatchesBefore: i), "before")
        #expect(summary.damaged && sink.damage.count == 1)
        // Reported at the record after the last one counted, inside the batch.
        let report = sink.damage.first
        #expect(report?.reason == .badRecord, "\(sink.damage)")
        #expect(report.map { $0.start > Int64(p + 61) && $0.end == Int64(p + s.batches[i].size) } == true, "\(sink.damage)")
        #expect(report?.detail.contains("bytes after the batch's") == true, "\(sink.damage)")
    }

    @Test func compressedRecordCountBeyondWhatInflates() {
        let s = Segment()
        let i = s.batches.firstIndex { $0.compression == "lz4" }!
        s.set32(0x4000_0000, at: Int(s.batches[i].position) + 57)
        s.resign(i)
        let sink = expectDamage(s.path, reason: .badRecord, at: s.batches[i].position, emitted: s.records(inBatchesBefore: i))
        #expect(sink.damage.first?.detail.contains("record count 1073741824") == true, "\(sink.damage)")
    }

    @Test func unknownCodec() {
        let s = Segment()
        let i = 1
        var b = s.bytes
        b[Int(s.batches[i].position) + 22] = (b[Int(s.batches[i].position) + 22] & ~7) | 6
        s.bytes = b
        s.resign(i)
        let sink = expectDamage(s.path, reason: .decompressionFailed, at: s.batches[i].position, emitted: s.records(inBatchesBefore: i))
        #expect(sink.damage.first?.detail.contains("codec 6") == true)
    }

    /// Cut at every byte: a replay emits exactly the records of the whole
    /// batches before the cut, and calls the rest a torn tail.
    @Test func truncationAtEveryOffsetGivesAPrefix() {
        let s = Segment("00000000000000000122.log")
        let original = s.bytes
        let ends = s.batches.map { Int($0.position) + $0.size }
        for cut in 0...original.count {
            s.bytes = Array(original.prefix(cut))
            let (sink, summary) = kafkaReplay(s.path, ReplayOptions(kind: .kafka))
            let whole = ends.filter { $0 <= cut }.count
            let expected = whole == 0 ? [] : s.records(inBatchesBefore: whole - 1) + s.records.filter { $0.batchPosition == s.batches[whole - 1].position }
            #expect(sink.records.count == expected.count, "cut at \(cut)")
            #expect(!summary.damaged, "cut at \(cut): \(sink.damage)")
            if cut != original.count && !ends.contains(cut) && cut != 0 {
                #expect(sink.damage.first?.action == .tolerated, "cut at \(cut)")
            }
        }
    }

    // MARK: Decompression bounds

    /// Every compressed batch of codecs.log inflates to n bytes with a bound
    /// of n, and fails with a bound of n - 1: the bound holds for every codec.
    @Test func inflationIsBounded() throws {
        let path = KafkaFixtures.root + "/extra/codecs.log"
        let bytes = readFile(path)
        let reader = KafkaSegmentReader(source: try ByteSource(file: OpenFile(path: path), options: IOOptions()), baseOffset: nil)
        var position: Int64 = 0
        var codecs: Set<String> = []
        while let header = try reader.validEntry(at: position) {
            defer { position += Int64(header.size) }
            guard let codec = header.flags.codec, codec != .none else { continue }
            codecs.insert(codec.description)
            let payload = Array(bytes[(Int(position) + 61)..<(Int(position) + header.size)])
            let n = try payload.withUnsafeBytes { try KafkaDecompressor().inflate(codec, $0, bound: 1 << 30) }
            #expect(try payload.withUnsafeBytes { try KafkaDecompressor().inflate(codec, $0, bound: n) } == n)
            #expect(throws: KafkaInflateFailure.self, "\(codec)") {
                try payload.withUnsafeBytes { try KafkaDecompressor().inflate(codec, $0, bound: n - 1) }
            }
            // Cut short: an error, never garbage.
            #expect(throws: KafkaInflateFailure.self, "\(codec) cut") {
                try payload.withUnsafeBytes { try KafkaDecompressor().inflate(codec, UnsafeRawBufferPointer(rebasing: $0.prefix(payload.count / 2)), bound: 1 << 30) }
            }
        }
        #expect(codecs == ["gzip", "snappy", "lz4", "zstd"])
        #expect(KafkaFormat.inflationBound(recordCount: 1) == KafkaFormat.maxRecordBytes)
        #expect(KafkaFormat.inflationBound(recordCount: 1 << 20) == KafkaFormat.maxInflatedBatchBytes)
        #expect(KafkaFormat.inflationBound(recordCount: 0) == 0)
    }
}

#if canImport(Glibc)
import Glibc
#endif

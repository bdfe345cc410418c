import Foundation
import Testing
@testable import LogScan

/// --from and --from-time on the clean and live partitions, against what the
/// reference records imply, and the fallbacks when an index is missing or broken.
@Suite struct KafkaSeekTests {
    static let reference = KafkaFixtures.partitionRecords(KafkaFixtures.root + "/reference").map(\.record)

    @Test(arguments: [KafkaFixtures.clean, KafkaFixtures.live])
    func fromEveryOffset(_ dir: String) {
        for from in Int64(0)...140 {
            let (sink, summary) = kafkaReplay(dir, ReplayOptions(fromOffset: UInt64(from)))
            expectSame(sink.records, Self.reference.filter { $0.offset >= from }, "\(dir) --from \(from)")
            #expect(sink.warnings.isEmpty && !summary.damaged && summary.failures == 0, "\(sink.warnings)")
        }
    }

    /// --from-time returns every record at or after the time, not only from
    /// the first one: timestamps go backwards within the partition.
    @Test(arguments: [KafkaFixtures.clean, KafkaFixtures.live])
    func fromTimeReturnsEveryRecordAtOrAfter(_ dir: String) {
        let stamps = Set(Self.reference.compactMap(\.timestamp))
        var targets = Set<Int64>([0, .min, .max, 1_900_000_000_000])
        for t in stamps { targets.insert(t); targets.insert(t - 1); targets.insert(t + 1) }
        for t in targets.sorted() {
            let (sink, summary) = kafkaReplay(dir, ReplayOptions(fromTime: t))
            expectSame(sink.records, Self.reference.filter { ($0.timestamp ?? .min) >= t }, "\(dir) --from-time \(t)")
            #expect(sink.warnings.isEmpty && !summary.damaged, "\(sink.warnings)")
        }
    }

    @Test func fromAndFromTimeTogether() {
        let t = Self.reference[60].timestamp!
        let (sink, _) = kafkaReplay(KafkaFixtures.clean, ReplayOptions(fromOffset: 50, fromTime: t))
        expectSame(sink.records, Self.reference.filter { $0.offset >= 50 && $0.timestamp! >= t }, "both")
    }

    @Test func seeksAreIndexLookupsNotScans() {
        // Segment 122's index has (133, 5446): --from 134 reads from there.
        let (sink, summary) = kafkaReplay(KafkaFixtures.clean, ReplayOptions(fromOffset: 134))
        #expect(sink.segments.map { Directory.baseName($0) } == ["00000000000000000122.log"], "earlier segments are not opened")
        #expect(summary.bytes <= 7699 - 5446, "decoding starts at the indexed batch: \(summary.bytes)")
        #expect(sink.records.first?.offset == 134)
        // --from-time through the time index: segment 42 entry (1700000003512, 69) -> batch at 8683.
        let (late, lateSummary) = kafkaReplay(KafkaFixtures.clean + "/00000000000000000042.log", ReplayOptions(fromTime: 1_700_000_003_600))
        #expect(lateSummary.bytes <= 14704 - 8683, "\(lateSummary.bytes)")
        expectSame(late.records, Self.reference.filter { $0.offset >= 42 && $0.offset < 76 && $0.timestamp! >= 1_700_000_003_600 }, "time seek")
    }

    @Test func limitCountsFromTheTarget() {
        let (sink, _) = kafkaReplay(KafkaFixtures.clean, ReplayOptions(fromOffset: 30, limit: 5))
        #expect(sink.records.map(\.offset) == [30, 31, 32, 33, 34])
    }

    // MARK: Broken and missing indexes: a warning and a scan, never wrong output

    /// Writes `bytes` over a copy's file and checks that --from and
    /// --from-time still give the reference, with a warning matching `warning`
    /// and no damage, in every recovery mode.
    func expectFallback(_ name: String, warning: String, offsetWarns: Bool = true, timeWarns: Bool = true,
                        sourceLocation: SourceLocation = #_sourceLocation, _ edit: (String) -> Void) {
        let dir = TemporaryDirectory()
        let partition = copyFixture(KafkaFixtures.clean, into: dir)
        edit(partition + "/" + name)
        for mode in RecoveryMode.allCases {
            for options in [ReplayOptions(fromOffset: 18, recovery: mode), ReplayOptions(fromTime: 1_700_000_002_400, recovery: mode)] {
                let (sink, summary) = kafkaReplay(partition, options)
                let expected = Self.reference.filter { $0.offset >= (options.fromOffset.map(Int64.init) ?? 0) && $0.timestamp! >= (options.fromTime ?? .min) }
                expectSame(sink.records, expected, "\(name) \(mode)", sourceLocation: sourceLocation)
                #expect(!summary.damaged && summary.failures == 0 && sink.damage.isEmpty, sourceLocation: sourceLocation)
                if options.fromOffset != nil ? offsetWarns : timeWarns {
                    #expect(sink.warnings.contains { $0.contains(warning) }, "\(sink.warnings)", sourceLocation: sourceLocation)
                }
            }
        }
    }

    @Test func unsortedIndex() {
        // Entries (7, 5263), (17, 10233) swapped.
        expectFallback("00000000000000000000.index", warning: "bad index: entry 1: offset 7 not above the previous entry's 17") { path in
            let b = readFile(path)
            writeFile(path, Array(b[8..<16] + b[0..<8]))
        }
    }

    @Test func indexPointingPastTheEnd() {
        expectFallback("00000000000000000000.index", warning: "position 99999 outside the log's 13674 bytes") { path in
            var b = readFile(path)
            b.withUnsafeMutableBytes { $0.storeBytes(of: UInt32(99999).bigEndian, toByteOffset: 12, as: UInt32.self) }
            writeFile(path, b)
        }
    }

    @Test func indexPointingInsideABatch() {
        expectFallback("00000000000000000000.index", warning: "where no such batch starts", timeWarns: false) { path in
            var b = readFile(path)
            b.withUnsafeMutableBytes { $0.storeBytes(of: UInt32(10240).bigEndian, toByteOffset: 12, as: UInt32.self) }
            writeFile(path, b)
        }
    }

    @Test func indexSizeNotAMultipleOfItsEntries() {
        expectFallback("00000000000000000000.index", warning: "not a multiple of its 8-byte entries") { path in
            writeFile(path, readFile(path) + [1, 2, 3])
        }
        expectFallback("00000000000000000000.timeindex", warning: "not a multiple of its 12-byte entries", offsetWarns: false) { path in
            writeFile(path, readFile(path) + [1, 2, 3])
        }
    }

    @Test func timeIndexGoingBackwards() {
        expectFallback("00000000000000000000.timeindex", warning: "not above the previous entry's", offsetWarns: false) { path in
            var b = readFile(path)
            b.withUnsafeMutableBytes { $0.storeBytes(of: UInt64(5).bigEndian, toByteOffset: 12, as: UInt64.self) }
            writeFile(path, b)
        }
    }

    @Test func missingIndexes() {
        expectFallback("00000000000000000000.index", warning: "no offset index") { unlink($0) }
        let dir = TemporaryDirectory()
        let partition = copyFixture(KafkaFixtures.clean, into: dir)
        unlink(partition + "/00000000000000000000.timeindex")
        let (sink, _) = kafkaReplay(partition, ReplayOptions(fromTime: 1_700_000_002_400))
        #expect(sink.warnings.contains { $0.contains("no time index") })
        expectSame(sink.records, Self.reference.filter { $0.timestamp! >= 1_700_000_002_400 }, "no timeindex")
    }

    /// An index that was never trimmed (a live segment after a crash) has a
    /// zero tail; one that is all zeros has no entries.
    @Test func zeroFilledIndexes() throws {
        let dir = TemporaryDirectory()
        let partition = copyFixture(KafkaFixtures.clean, into: dir)
        writeFile(partition + "/00000000000000000042.index", readFile(partition + "/00000000000000000042.index") + [UInt8](repeating: 0, count: 8 * 500))
        writeFile(partition + "/00000000000000000076.index", [UInt8](repeating: 0, count: 4096))
        writeFile(partition + "/00000000000000000076.timeindex", [UInt8](repeating: 0, count: 4092))
        let index = try KafkaIndex(path: partition + "/00000000000000000042.index", kind: .offset, baseOffset: 42, logSize: 14704)
        #expect(index.entryCount == 2)
        #expect(try KafkaIndex(path: partition + "/00000000000000000076.timeindex", kind: .time, baseOffset: 76, logSize: 14835).entryCount == 0)
        for from in [Int64(45), 60, 70, 80, 90] {
            let (sink, _) = kafkaReplay(partition, ReplayOptions(fromOffset: UInt64(from)))
            expectSame(sink.records, Self.reference.filter { $0.offset >= from }, "--from \(from)")
            #expect(sink.warnings.isEmpty)
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif

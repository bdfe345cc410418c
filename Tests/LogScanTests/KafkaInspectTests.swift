import Foundation
import Testing
@testable import LogScan

/// `stat`, `index` and `verify` on Kafka partitions, against what
/// kafka-python read (records.jsonl) and the index files the corpus
/// generator wrote by the broker's rule.
@Suite struct KafkaInspectTests {
    @Test(arguments: [KafkaFixtures.clean, KafkaFixtures.gzip])
    func statAgreesWithTheReference(partition: String) throws {
        let referenceDir = partition.contains("/gzip/") ? KafkaFixtures.root + "/gzip/reference" : KafkaFixtures.root + "/reference"
        let reference = KafkaFixtures.partitionRecords(referenceDir)
        let input = try LogInput.resolve(partition, kind: .auto)
        #expect(input.segments.count >= 3)
        for segment in input.segments {
            let stat = try LogInspector.stat(segment)
            let mine = reference.filter { $0.segment == Directory.baseName(segment.path) }.map(\.record)
            #expect(stat.kind == .kafka)
            #expect(stat.records == mine.count, "\(segment.path)")
            #expect(stat.firstOffset == mine.first.map { UInt64($0.offset) })
            #expect(stat.lastOffset == mine.last.map { UInt64($0.offset) })
            #expect(stat.firstTimestamp == mine.first?.timestamp)
            #expect(stat.lastTimestamp == mine.last?.timestamp)
            #expect(stat.damage == nil)
            #expect(stat.validEnd == stat.sizeBytes)
            #expect(stat.index == .ok(entries: stat.index.entryCountForTests), "\(segment.path): \(stat.index)")
        }
    }

    /// The live partition's active segment has zero-filled index tails and
    /// no closing time-index entry: that is a healthy index.
    @Test func liveIndexesAreHealthy() throws {
        let result = try runLogscan(["index", KafkaFixtures.live])
        #expect(result.status == 0, "\(result.out)\(result.stderr)")
        #expect(result.out.split(separator: "\n").count == 7)
        #expect(!result.out.contains("incomplete") && !result.out.contains("damaged"))
    }

    /// Deleted indexes, rebuilt: byte for byte the files the generator
    /// wrote by the broker's rule for a cleanly closed partition (the live
    /// partition has the same .log files; its indexes were left open).
    @Test(arguments: ["clean", "live"])
    func rebuildWritesTheBrokersIndexes(variant: String) throws {
        let dir = TemporaryDirectory()
        let original = KafkaFixtures.root + "/\(variant)/logscan-events-0"
        let partition = copyFixture(original, into: dir)
        let names = try FileManager.default.contentsOfDirectory(atPath: partition)
        for name in names where name.hasSuffix(".index") || name.hasSuffix(".timeindex") {
            unlink(partition + "/" + name)
        }
        // Without index files the directory no longer looks like a partition to auto.
        let check = try runLogscan(["index", "--check", "--kind", "kafka", partition])
        #expect(check.status == 3)
        #expect(check.out.contains("missing"))
        let rebuild = try runLogscan(["index", "--rebuild", "--kind", "kafka", partition])
        #expect(rebuild.status == 0, "\(rebuild.stderr)")
        for name in names where name.hasSuffix(".index") || name.hasSuffix(".timeindex") {
            let want = readFile(KafkaFixtures.clean + "/" + name)
            #expect(readFile(partition + "/" + name) == want, "\(name)")
        }
        #expect(try runLogscan(["index", partition]).status == 0)
    }

    @Test func wrongEntriesAreDamageForIndexAndVerify() throws {
        let dir = TemporaryDirectory()
        let partition = copyFixture(KafkaFixtures.clean, into: dir)
        let index = partition + "/00000000000000000000.index"
        var bytes = readFile(index)
        #expect(bytes.count == 16)
        bytes[7] ^= 0x01  // entry 0's position, one byte off a batch boundary
        writeFile(index, bytes)
        let check = try runLogscan(["index", partition])
        #expect(check.status == 3)
        #expect(check.out.contains("00000000000000000000.log: damaged: 00000000000000000000.index entry 0"))
        let verify = try runLogscan(["verify", partition])
        #expect(verify.status == 3, "\(verify.out)")
        // A time index entry with the wrong timestamp.
        let timeIndex = partition + "/00000000000000000029.timeindex"
        var times = readFile(timeIndex)
        times[7] ^= 0x10
        writeFile(timeIndex, times)
        let second = try runLogscan(["index", partition])
        #expect(second.out.contains("00000000000000000029.log: damaged: 00000000000000000029.timeindex entry 0"))
        #expect(try runLogscan(["index", "--rebuild", partition]).status == 0)
        #expect(readFile(index) == readFile(KafkaFixtures.clean + "/00000000000000000000.index"))
        #expect(readFile(timeIndex) == readFile(KafkaFixtures.clean + "/00000000000000000029.timeindex"))
    }

    @Test func statOfATornSegment() throws {
        let torn = KafkaFixtures.root + "/damaged/torn/logscan-events-0/00000000000000000122.log"
        let stat = try LogInspector.stat(try LogDetector.segment(file: torn, kind: .kafka), measureResidency: false)
        let reference = KafkaFixtures.records(torn + ".records.jsonl")
        #expect(stat.records == reference.count)
        #expect(stat.lastOffset == reference.last.map { UInt64($0.offset) })
        #expect(stat.validEnd < stat.sizeBytes)
        guard case .damaged(let reason, _)? = stat.damage?.kind else { Issue.record("no damage"); return }
        #expect(reason == .truncated)
    }
}

extension IndexHealth {
    var entryCountForTests: Int {
        if case .ok(let n) = self { return n }
        return -1
    }
}

import Foundation
import Testing
@testable import LogScan

/// What logscan decodes from the committed Kafka fixtures, compared with what
/// kafka-python decoded from them (records.jsonl, batches.jsonl) and with the
/// generator's index dump (index.jsonl).
@Suite struct KafkaReferenceTests {
    @Test(arguments: [KafkaFixtures.clean, KafkaFixtures.live])
    func partitionRecordsMatchKafkaPython(_ dir: String) {
        let expected = KafkaFixtures.partitionRecords(KafkaFixtures.root + "/reference")
        let (sink, summary) = kafkaReplay(dir)
        expectSame(sink.records, expected.map(\.record), dir)
        #expect(zip(sink.records, expected).allSatisfy { $0.batchPosition == $1.record.batchPosition })
        #expect(zip(sink.paths, expected).allSatisfy { $0.hasSuffix("/" + $1.segment) })
        #expect(summary.failures == 0 && !summary.damaged && sink.damage.isEmpty && sink.warnings.isEmpty)
        #expect(summary.segments == 7)
        // Records of uncompressed batches report their own byte offset, inside their batch.
        #expect(sink.records.allSatisfy { $0.position == $0.batchPosition || $0.position >= $0.batchPosition + 61 })
    }

    @Test func gzipPartitionMatchesKafkaPython() {
        let (sink, summary) = kafkaReplay(KafkaFixtures.gzip)
        expectSame(sink.records, KafkaFixtures.records(KafkaFixtures.root + "/gzip/reference/records.jsonl"), "gzip")
        #expect(!summary.damaged && summary.failures == 0)
    }

    @Test(arguments: ["cluster-metadata-a.log", "cluster-metadata-b.log"])
    func realBrokerSegments(_ name: String) {
        let path = KafkaFixtures.root + "/real/" + name
        let expected = KafkaFixtures.records(path + ".records.jsonl")
        // auto finds them by their first batch (their names are not Kafka's).
        for kind in [LogKind.auto, .kafka] {
            let (sink, summary) = kafkaReplay(path, ReplayOptions(kind: kind))
            expectSame(sink.records, expected, "\(name) \(kind)")
            #expect(!summary.damaged && summary.failures == 0)
        }
    }

    @Test(arguments: ["codecs", "legacy", "txn"])
    func extraFixturesMatchKafkaPython(_ name: String) {
        let path = KafkaFixtures.root + "/extra/\(name).log"
        let expected = KafkaFixtures.records(path + ".records.jsonl")
        let (sink, summary) = kafkaReplay(path, ReplayOptions(kind: .kafka))
        expectSame(sink.records, expected, name)
        #expect(zip(sink.records, expected).allSatisfy {
            $0.batchPosition == $1.batchPosition && $0.controlType == $1.controlType && $0.logAppendTime == $1.logAppendTime
        }, "batch positions, control types, timestamp types")
        #expect(!summary.damaged && summary.failures == 0 && sink.damage.isEmpty)
        if name == "txn" {
            let batches = KafkaFixtures.jsonLines(path + ".batches.jsonl")
            let transactional = Set(batches.filter { $0["is_transactional"] as? Bool == true }.map { KafkaFixtures.int($0["position"])! })
            #expect(sink.records.allSatisfy { $0.transactional == transactional.contains($0.batchPosition) })
            #expect(sink.records.filter { $0.controlType != nil }.map(\.controlType) == [1, 0, 1])
        }
    }

    /// Every batch header (walked with the reader's framing) against
    /// kafka-python's batches.jsonl: position, size, offsets, codec, counts.
    @Test func batchesMatchKafkaPython() throws {
        var files: [(String, [[String: Any]])] = []
        let reference = KafkaFixtures.jsonLines(KafkaFixtures.root + "/reference/batches.jsonl")
        for segment in Set(reference.map { $0["segment"] as! String }).sorted() {
            files.append((KafkaFixtures.clean + "/" + segment, reference.filter { $0["segment"] as! String == segment }))
        }
        let gzipReference = KafkaFixtures.jsonLines(KafkaFixtures.root + "/gzip/reference/batches.jsonl")
        for segment in Set(gzipReference.map { $0["segment"] as! String }).sorted() {
            files.append((KafkaFixtures.gzip + "/" + segment, gzipReference.filter { $0["segment"] as! String == segment }))
        }
        for name in ["codecs", "legacy", "txn"] {
            let path = KafkaFixtures.root + "/extra/\(name).log"
            files.append((path, KafkaFixtures.jsonLines(path + ".batches.jsonl")))
        }
        #expect(files.count == 7 + 3 + 3)
        for (path, expected) in files {
            let reader = KafkaSegmentReader(source: try ByteSource(file: OpenFile(path: path), options: IOOptions()), baseOffset: nil)
            var position: Int64 = 0
            var headers: [KafkaBatchHeader] = []
            while let header = try reader.validEntry(at: position) {
                headers.append(header)
                position += Int64(header.size)
            }
            #expect(position == reader.source.size, "\(path): framing reaches the end")
            #expect(headers.count == expected.count, "\(path)")
            for (h, e) in zip(headers, expected) {
                let int = KafkaFixtures.int
                #expect(h.position == int(e["position"]), "\(path)")
                #expect(Int64(h.size) == int(e["size"]))
                #expect(h.baseOffset == int(e["base_offset"]) || (h.magic < 2 && h.lastOffset == int(e["last_offset"])))
                #expect(h.lastOffset == int(e["last_offset"]))
                #expect(Int64(h.attributes) == int(e["attributes"]))
                #expect(h.flags.codec?.description == e["compression"] as? String)
                if h.magic >= 2 {
                    #expect(Int64(h.recordCount) == int(e["records_count"] ?? e["records"]))
                    #expect(h.flags.isTransactional == (e["is_transactional"] as? Bool ?? false))
                    #expect(h.flags.isControl == (e["is_control"] as? Bool ?? false))
                }
                if let crc = int(e["crc"]) { #expect(Int64(h.crc) == crc) }
                if let epoch = int(e["partition_leader_epoch"]) { #expect(Int64(h.partitionLeaderEpoch) == epoch) }
                if let pid = int(e["producer_id"]) { #expect(h.producerId == pid) }
                if let t = int(e["max_timestamp"]) { #expect(h.maxTimestamp == t) }
            }
        }
    }

    /// Records per batch, from a replay, against batches.jsonl's counts.
    @Test func recordCountsPerBatch() {
        let reference = KafkaFixtures.jsonLines(KafkaFixtures.root + "/reference/batches.jsonl")
        let (sink, _) = kafkaReplay(KafkaFixtures.clean)
        var counts: [String: Int] = [:]
        for (record, path) in zip(sink.records, sink.paths) { counts["\(Directory.baseName(path))@\(record.batchPosition)", default: 0] += 1 }
        for batch in reference {
            let key = "\(batch["segment"] as! String)@\(KafkaFixtures.int(batch["position"])!)"
            #expect(Int64(counts[key] ?? 0) == KafkaFixtures.int(batch["records_count"]), "\(key)")
        }
        #expect(counts.count == reference.count)
        #expect(Set(reference.map { $0["compression"] as! String }) == ["none", "lz4"])
    }

    /// .index and .timeindex entries against index.jsonl; the live copies'
    /// zero-filled tails are not entries.
    @Test func indexEntries() throws {
        for line in KafkaFixtures.jsonLines(KafkaFixtures.root + "/reference/index.jsonl") {
            let segment = line["segment"] as! String
            let stem = String(segment.dropLast(4))
            let base = KafkaFixtures.int(line["base_offset"])!
            let offsets = (line["index"] as! [[NSNumber]]).map { [$0[0].int64Value, $0[1].int64Value] }
            let times = (line["timeindex"] as! [[NSNumber]]).map { [$0[0].int64Value, $0[1].int64Value] }
            let liveTimes = Int(KafkaFixtures.int(line["live_timeindex_entries"])!)
            for (dir, expectedTimes) in [(KafkaFixtures.clean, times), (KafkaFixtures.live, Array(times.prefix(liveTimes)))] {
                let logSize = Int64(readFile(dir + "/" + segment).count)
                let index = try KafkaIndex(path: dir + "/\(stem).index", kind: .offset, baseOffset: base, logSize: logSize)
                #expect(try index.allEntries().map { [$0.0, $0.1] } == offsets, "\(dir) \(segment)")
                let timeIndex = try KafkaIndex(path: dir + "/\(stem).timeindex", kind: .time, baseOffset: base, logSize: logSize)
                #expect(try timeIndex.allEntries().map { [$0.0, $0.1] } == expectedTimes, "\(dir) \(segment)")
            }
        }
        // The live active segment's index files are preallocated.
        #expect(readFile(KafkaFixtures.live + "/00000000000000000122.index").count == 4096)
        #expect(readFile(KafkaFixtures.live + "/00000000000000000122.timeindex").count == 4092)
    }

    @Test func layoutPassesOverNonSegments() throws {
        let dir = TemporaryDirectory()
        let partition = copyFixture(KafkaFixtures.clean, into: dir)
        for name in ["00000000000000000022.txnindex", "00000000000000000029.snapshot", "00000000000000000076.log.deleted",
                     "00000000000000000092.log.cleaned", "00000000000000000122.log.swap", "notes.txt", "0000000000000000001.log",
                     "recovery-point-offset-checkpoint"] {
            writeFile(partition + "/" + name, Array("not a segment".utf8))
        }
        let segments = try LogDetector.segments(inDirectory: partition, kind: .auto)
        #expect(segments.map { Directory.baseName($0.path) } == [0, 22, 29, 42, 76, 92, 122].map { String(format: "%020d.log", $0) })
        #expect(segments.allSatisfy { $0.kind == .kafka && $0.indexPath != nil })
        let (sink, summary) = kafkaReplay(partition)
        #expect(sink.records.count == 138 && !summary.damaged && summary.failures == 0)
        // A segment file given alone is known by its name and neighbours.
        let one = try LogDetector.segment(file: partition + "/00000000000000000029.log", kind: .auto)
        #expect(one.kind == .kafka && one.baseOffset == 29 && one.indexPath != nil)
    }

    /// The chunk path with views smaller than batches (the single path for
    /// entries larger than a view), on both I/O paths and with mapping
    /// windows of a few pages: the same records.
    @Test func smallViewsAndWindows() throws {
        var files: [(String, [KafkaOwned])] = []
        for (segment, records) in Dictionary(grouping: KafkaFixtures.partitionRecords(KafkaFixtures.root + "/reference"), by: \.segment) {
            files.append((KafkaFixtures.clean + "/" + segment, records.map(\.record)))
        }
        for name in ["codecs", "legacy", "txn"] {
            let path = KafkaFixtures.root + "/extra/\(name).log"
            files.append((path, KafkaFixtures.records(path + ".records.jsonl")))
        }
        for (path, expected) in files {
            for chunk in [16, 100, 1000, 4096, 20000] {
                for io in [IOOptions(mode: .pread, readBufferBytes: 4096), IOOptions(mode: .mmap, windowBytes: 8192)] {
                    let reader = KafkaSegmentReader(source: try ByteSource(file: OpenFile(path: path), options: io), baseOffset: nil)
                    reader.chunkBytes = chunk
                    var got: [KafkaOwned] = []
                    while let record = try reader.next() { got.append(KafkaOwned(record)) }
                    expectSame(got, expected, "\(path) chunk \(chunk) \(io.mode)")
                }
            }
        }
    }

    // MARK: CLI

    @Test func jsonlOutputOfTheCLI() throws {
        for name in ["codecs", "legacy", "txn"] {
            let path = KafkaFixtures.root + "/extra/\(name).log"
            let (out, err, status) = try runLogscanTuple(["replay", "--format", "jsonl", path])
            #expect(status == 0, "\(err)")
            let lines = out.split(separator: "\n").map { try! JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
            let expected = KafkaFixtures.jsonLines(path + ".records.jsonl")
            #expect(lines.count == expected.count)
            for (line, e) in zip(lines, expected) {
                #expect(line["path"] as? String == path)
                #expect(KafkaFixtures.int(line["offset"]) == KafkaFixtures.int(e["offset"]))
                #expect(KafkaFixtures.int(line["timestamp"]) == KafkaFixtures.int(e["timestamp"]))
                #expect(KafkaFixtures.int(line["batch_position"]) == KafkaFixtures.int(e["batch_position"]))
                #expect(decode(line["key"]) == KafkaFixtures.hex(e["key"]))
                #expect(decode(line["value"]) == KafkaFixtures.hex(e["value"]))
                let headers = (line["headers"] as! [[String: Any]]).map { [Array(($0["key"] as! String).utf8), decode($0["value"])] }
                let expectedHeaders = (e["headers"] as! [[Any]]).map { [Array(($0[0] as! String).utf8), KafkaFixtures.hex($0[1])] }
                #expect(headers == expectedHeaders)
                let type: Any = e["timestamp_type"] ?? NSNull()
                #expect((line["timestamp_type"] as? String) == [0: "CreateTime", 1: "LogAppendTime"][(type as? Int) ?? -1])
                #expect((line["control"] as? Bool) == (e["control_type"] is NSNull ? false : true))
                #expect(KafkaFixtures.int(line["control_type"]) == KafkaFixtures.int(e["control_type"]))
                #expect(line["transactional"] is Bool)
                #expect(line["position"] is NSNumber)
            }
        }
    }

    @Test func textOutputAndExitStatuses() throws {
        let (text, _, status) = try runLogscanTuple(["replay", KafkaFixtures.root + "/extra/txn.log"])
        #expect(status == 0)
        let lines = text.split(separator: "\n")
        #expect(lines.count == 21)
        #expect(lines[3].hasPrefix("3 2024-03-09T") && lines[3].contains(#"key="txn-a""#) && lines[3].contains(#"headers=["txn"="a"]"#)
                && lines[3].hasSuffix(" transactional"))
        #expect(lines[6].hasSuffix("transactional control=commit") && lines[9].hasSuffix("control=abort"))
        let (count, _, countStatus) = try runLogscanTuple(["replay", "--count", KafkaFixtures.clean])
        #expect(count == "138\n" && countStatus == 0)
        let (_, tornErr, tornStatus) = try runLogscanTuple(["replay", "--count", KafkaFixtures.root + "/damaged/torn/logscan-events-0/00000000000000000122.log"])
        #expect(tornStatus == 0 && tornErr.contains("ignored torn tail"))
        let (_, corruptErr, corruptStatus) = try runLogscanTuple(["replay", "--count", KafkaFixtures.root + "/damaged/corrupt/logscan-events-0/00000000000000000122.log"])
        #expect(corruptStatus == 3 && corruptErr.contains("at") && corruptErr.contains("bad checksum"))
    }

    private func decode(_ value: Any?) -> [UInt8]? {
        guard let object = value as? [String: String] else { return nil }
        if let text = object["text"] { return Array(text.utf8) }
        return object["bytes"].flatMap { Data(base64Encoded: $0) }.map { [UInt8]($0) }
    }
}

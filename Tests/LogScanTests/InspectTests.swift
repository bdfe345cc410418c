import Foundation
import Testing
@testable import LogScan

/// `stat` and `index`: what they report against what was written, and the
/// Kafka index rule against the corpus generator's indexes.
@Suite struct InspectTests {
    func segments(_ path: String) throws -> [LogInput.Segment] { try LogInput.resolve(path, kind: .auto).segments }

    @Test func statMatchesWhatWasWritten() throws {
        let dir = TemporaryDirectory()
        let written = try writeLog(dir.path, randomRecords(900, maxValue: 3000, seed: 91),
                                   options: NativeWriterOptions(compression: .lz4, segmentBytes: 48 << 10, blockBytes: 4096))
        var total = 0
        for segment in try segments(dir.path) {
            let stat = try LogInspector.stat(segment)
            let mine = written.filter { $0.offset >= stat.firstOffset! && $0.offset <= stat.lastOffset! }
            #expect(stat.records == mine.count)
            #expect(stat.firstOffset == segment.baseOffset)
            #expect(stat.firstTimestamp == mine.first!.timestamp && stat.lastTimestamp == mine.last!.timestamp)
            #expect(stat.sizeBytes == Int64(readFile(segment.path).count) && stat.validEnd == stat.sizeBytes)
            #expect(stat.damage == nil && stat.index == .ok(entries: stat.units))
            #expect(stat.compressionRatio! > 1.0, "compressible values were compressed")
            // mincore against util-linux's fincore, which reads the same kernel table.
            if let fincore = try? fincorePages(segment.path), let ours = PageCacheResidency.pages(ofFile: segment.path) {
                #expect(ours.total == fincore.total)
                #expect(abs(ours.resident - fincore.resident) <= 1)
            }
            total += stat.records
        }
        #expect(total == written.count)
    }

    /// (resident pages, pages) as `fincore` prints them; nil when fincore is not installed.
    func fincorePages(_ path: String) throws -> (resident: Int, total: Int)? {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/fincore") else { return nil }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/fincore")
        process.arguments = ["--raw", "--noheadings", "--bytes", "-o", "RES,SIZE", path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let fields = output.split(whereSeparator: { $0 == " " || $0 == "\n" }).compactMap { Int($0) }
        guard fields.count == 2 else { return nil }
        let page = PageSize.bytes
        return (fields[0] / page, (fields[1] + page - 1) / page)
    }

    @Test func statReportsATornTail() throws {
        let dir = TemporaryDirectory()
        try writeLog(dir.path, randomRecords(200, maxValue: 100, seed: 92), options: NativeWriterOptions(blockBytes: 1024))
        let segment = try segments(dir.path)[0]
        let bytes = readFile(segment.path)
        writeFile(segment.path, Array(bytes.dropLast(100)))
        let stat = try LogInspector.stat(segment)
        #expect(stat.damage.map { if case .damaged(.truncated, _) = $0.kind { true } else { false } } == true)
        #expect(stat.records < 200 && stat.validEnd < stat.sizeBytes)
        // The index still has an entry for the cut block: what a crash leaves
        // when the entry reached the disk and the block did not. Consistent.
        #expect({ if case .ok = stat.index { true } else { false } }(), "\(stat.index)")
    }

    @Test func indexCheckFindsEveryKindOfProblemAndRebuildFixesIt() throws {
        let dir = TemporaryDirectory()
        try writeLog(dir.path, randomRecords(800, maxValue: 500, seed: 93),
                     options: NativeWriterOptions(segmentBytes: 24 << 10, blockBytes: 2048))
        let all = try segments(dir.path)
        #expect(all.count >= 4)
        let pristine = all.map { readFile($0.indexPath!) }
        // 0: ok. 1: cut (incomplete). 2: missing. 3: an entry pointing elsewhere.
        writeFile(all[1].indexPath!, Array(pristine[1].prefix(32 + 24 * 2 + 5)))
        unlink(all[2].indexPath!)
        var wrong = pristine[3]
        wrong[32 + 24 + 8] &+= 48   // second entry's position
        writeFile(all[3].indexPath!, wrong)

        let fresh = try segments(dir.path)
        #expect(try LogInspector.checkIndex(fresh[0]) == .ok(entries: (pristine[0].count - 32) / 24))
        #expect(try LogInspector.checkIndex(fresh[1]) == .incomplete(entries: 2, expected: (pristine[1].count - 32) / 24))
        #expect(try LogInspector.checkIndex(fresh[2]) == .missing)
        #expect({ if case .damaged = try? LogInspector.checkIndex(fresh[3]) { true } else { false } }())

        // --check never modifies anything.
        func snapshot() throws -> [String: [UInt8]] {
            Dictionary(uniqueKeysWithValues: try Directory.entries(dir.path).map { ($0, readFile(dir.file($0))) })
        }
        let before = try snapshot()
        let check = try runLogscan(["index", "--check", dir.path])
        #expect(check.status == 3)
        #expect(check.out.contains("incomplete (2 of") && check.out.contains(": missing") && check.out.contains("damaged"))
        #expect(try snapshot() == before)

        let rebuild = try runLogscan(["index", "--rebuild", dir.path])
        #expect(rebuild.status == 0, "\(rebuild.stderr)")
        // The writer's own index files, byte for byte.
        for (segment, original) in zip(all, pristine) {
            #expect(readFile(segment.indexPath!) == original)
        }
        #expect(try Directory.entries(dir.path).allSatisfy { !$0.hasSuffix(".tmp") })
        #expect(try runLogscan(["index", dir.path]).status == 0)
    }

    @Test func rebuildRefusesWhileAWriterHasTheLogOpen() throws {
        let dir = TemporaryDirectory()
        let writer = try NativeLogWriter(directory: dir.path, options: NativeWriterOptions(blockBytes: 256))
        for i in 0..<50 { try writer.append(key: nil, value: Array("v\(i)".utf8), timestamp: Int64(i)) }
        try writer.flush()
        let segment = try segments(dir.path)[0]
        #expect(throws: LogScanError.self) { try LogInspector.rebuildIndex(segment) }
        try writer.close()
        #expect(try LogInspector.rebuildIndex(segment) > 0)
    }

    @Test func cliStatTextAndJSONL() throws {
        let dir = TemporaryDirectory()
        let written = try writeLog(dir.path, randomRecords(120, maxValue: 200, seed: 94), options: NativeWriterOptions(blockBytes: 1024))
        let text = try runLogscan(["stat", dir.path])
        #expect(text.status == 0)
        #expect(text.out.contains("records      120 in"))
        #expect(text.out.contains("offsets      0 .. 119"))
        let json = try runLogscan(["stat", "--format", "jsonl", dir.path])
        let object = try JSONSerialization.jsonObject(with: Data(json.out.utf8)) as! [String: Any]
        #expect(object["records"] as? Int == 120)
        #expect(object["first_timestamp"] as? Int64 == written.first!.timestamp)
        #expect(object["index_ok"] as? Bool == true)
        #expect(object["cached_percent"] is Double)
    }

    @Test(arguments: ["kafka/reference", "kafka/gzip/reference"])
    func kafkaIndexRuleGivesTheCorpusIndexes(set: String) throws {
        let reference = repositoryRoot + "/testdata/\(set)/"
        let batches = try jsonLines(reference + "batches.jsonl")
        let indexes = try jsonLines(reference + "index.jsonl")
        #expect(indexes.count >= 3)
        for index in indexes {
            let name = index["segment"] as! String
            let mine = batches.filter { $0["segment"] as! String == name }.map {
                KafkaIndexRule.Batch(position: ($0["position"] as! NSNumber).int64Value, size: ($0["size"] as! NSNumber).int64Value,
                                     lastOffset: ($0["last_offset"] as! NSNumber).int64Value,
                                     maxTimestamp: ($0["max_timestamp"] as! NSNumber).int64Value)
            }
            let (offsets, times) = KafkaIndexRule.entries(for: mine, baseOffset: (index["base_offset"] as! NSNumber).int64Value)
            let wantOffsets = (index["index"] as! [[NSNumber]]).map { KafkaIndexRule.OffsetEntry(offset: $0[0].int64Value, position: $0[1].int64Value) }
            let wantTimes = (index["timeindex"] as! [[NSNumber]]).map { KafkaIndexRule.TimeEntry(timestamp: $0[0].int64Value, offset: $0[1].int64Value) }
            #expect(offsets == wantOffsets, "\(name)")
            #expect(times == wantTimes, "\(name)")
        }
    }

    func jsonLines(_ path: String) throws -> [[String: Any]] {
        try String(decoding: readFile(path), as: UTF8.self).split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
        }
    }
}

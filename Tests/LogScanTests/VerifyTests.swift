import Foundation
import Testing
@testable import LogScan

/// `logscan verify`: every damaged stretch found, index consistency, the
/// report per segment and the exit statuses.
@Suite struct VerifyTests {
    @Test func cleanLogsVerifyClean() throws {
        for path in ["testdata/native/sample", "testdata/native/lz4", "testdata/kafka/clean/logscan-events-0"] {
            let result = try runLogscan(["verify", path], cwd: repositoryRoot)
            #expect(result.status == 0, "\(path): \(result.out) \(result.stderr)")
            #expect(result.out.hasSuffix("clean\n"))
        }
    }

    @Test func everyDamagedStretchIsReported() throws {
        let dir = TemporaryDirectory()
        try writeLog(dir.path, randomRecords(400, maxValue: 200, seed: 81), options: NativeWriterOptions(blockBytes: 2048))
        let segment = try NativeLogDirectory.segments(in: dir.path)[0].path
        let reader = try NativeSegmentReader(source: ByteSource(file: OpenFile(path: segment), options: IOOptions()))
        var blocks: [Int64] = []
        while try reader.nextBlock() { blocks.append(reader.blockPosition) }
        var bytes = readFile(segment)
        // Two blocks damaged far apart: both must be found.
        bytes[Int(blocks[3]) + 60] ^= 1
        bytes[Int(blocks[blocks.count - 3]) + 60] ^= 1
        writeFile(segment, bytes)
        let result = try runLogscan(["verify", "--json", dir.path])
        #expect(result.status == 3)
        let objects = try result.out.split(separator: "\n").map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        let segmentReport = objects.first { $0["type"] as? String == "segment" }!
        let damage = segmentReport["damage"] as! [[String: Any]]
        #expect(damage.map { $0["start"] as! Int } == [Int(blocks[3]), Int(blocks[blocks.count - 3])])
        #expect(damage.allSatisfy { $0["reason"] as! String == "bad checksum" })
        #expect(segmentReport["status"] as! String == "damaged")
        let summary = objects.last!
        #expect(summary["type"] as! String == "summary" && summary["damaged_segments"] as! Int == 1)
        // The records outside the two blocks were all checked.
        var lost: [Int] = []
        for position in [blocks[3], blocks[blocks.count - 3]] {
            let header = try reader.probeHeader(at: position)
            lost.append(header?.recordCount ?? 0)
        }
        #expect(segmentReport["records"] as! Int == 400 - lost.reduce(0, +))
    }

    @Test func tornTailIsANoteAndIndexDamageIsDamage() throws {
        let dir = TemporaryDirectory()
        try writeLog(dir.path, randomRecords(300, maxValue: 200, seed: 82), options: NativeWriterOptions(blockBytes: 2048))
        let segment = try NativeLogDirectory.segments(in: dir.path)[0]
        let bytes = readFile(segment.path)
        writeFile(segment.path, Array(bytes.prefix(bytes.count - 100)))
        let torn = try runLogscan(["verify", dir.path])
        #expect(torn.status == 0, "\(torn.out)")
        #expect(torn.out.contains("torn tail"))
        // An index entry pointing at the wrong place.
        writeFile(segment.path, bytes)
        var index = readFile(segment.indexPath)
        index[32 + 24 * 2 + 8] &+= 3
        writeFile(segment.indexPath, index)
        let badIndex = try runLogscan(["verify", dir.path])
        #expect(badIndex.status == 3, "\(badIndex.out)")
        #expect(badIndex.out.contains("index damaged"))
    }

    @Test func sequenceGapBetweenSegmentsAndMissingPath() throws {
        let gap = try runLogscan(["verify", "testdata/native/damaged/segment-gap"], cwd: repositoryRoot)
        #expect(gap.status == 3 && gap.out.contains("sequence gap"))
        let missing = try runLogscan(["verify", "no/such/log"], cwd: repositoryRoot)
        #expect(missing.status == 2 && missing.stderr.contains("no/such/log"))
    }

    @Test func verifyNeverModifiesItsInput() throws {
        let root = repositoryRoot + "/testdata/native/damaged"
        let files = try FileManager.default.contentsOfDirectory(atPath: root).filter { $0.hasSuffix(".seg") }.sorted()
        let before = files.map { readFile(root + "/" + $0) }
        _ = try runLogscan(["verify", root + "/" + files[0]] + files.dropFirst().map { root + "/" + $0 })
        #expect(files.map { readFile(root + "/" + $0) } == before)
    }
}

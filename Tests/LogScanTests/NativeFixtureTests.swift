import Foundation
import Testing
@testable import LogScan

/// The native format against an independent implementation: the fixtures in
/// testdata/native were written, and their expected output printed, by
/// scripts/native_reference.py, written from docs/FORMAT.md alone.
@Suite struct NativeFixtureTests {
    static let logs = ["sample", "lz4", "base", "base-2seg"]

    @Test(arguments: logs)
    func replayMatchesTheReferenceByteForByte(log: String) throws {
        let result = try runLogscan(["replay", "--format", "jsonl", "testdata/native/\(log)"], cwd: repositoryRoot)
        #expect(result.status == 0, "\(result.stderr)")
        let expected = readFile(repositoryRoot + "/testdata/native/\(log).expected.jsonl")
        #expect(!expected.isEmpty)
        #expect(withoutResumeTokens(result.stdout) == expected)
    }

    struct DamageCase: CustomStringConvertible {
        var file: String
        var tornTail: Bool
        var recordsBefore: Int
        var exitStatus: Int32
        var description: String { file }
    }

    /// The rows of testdata/native/damaged/EXPECTED.md.
    static let damageCases: [DamageCase] = {
        let text = String(decoding: readFile(repositoryRoot + "/testdata/native/damaged/EXPECTED.md"), as: UTF8.self)
        return text.split(separator: "\n").compactMap { line -> DamageCase? in
            let cells = line.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count > 8, cells[1].hasPrefix("`"), let before = Int(cells[6]), let status = Int32(cells[7]) else { return nil }
            return DamageCase(file: cells[1].trimmingCharacters(in: CharacterSet(charactersIn: "`")),
                              tornTail: cells[5].hasPrefix("torn tail"), recordsBefore: before, exitStatus: status)
        }
    }()

    @Test func everyDamageClassIsCovered() {
        #expect(Self.damageCases.count >= 20)
    }

    @Test(arguments: damageCases)
    func damagedCopyGivesTheReferencePrefixAndStatus(damage: DamageCase) throws {
        let path = "testdata/native/damaged/" + damage.file
        let result = try runLogscan(["replay", "--format", "jsonl", path], cwd: repositoryRoot)
        let stem = damage.file.hasSuffix("/") ? String(damage.file.dropLast()) : String(damage.file.dropLast(4))
        let expected = readFile(repositoryRoot + "/testdata/native/damaged/\(stem).expected.jsonl")
        #expect(withoutResumeTokens(result.stdout) == expected)
        #expect(result.out.split(separator: "\n").count == damage.recordsBefore)
        #expect(result.status == damage.exitStatus, "\(result.stderr)")
        // One report line, naming the file.
        let reports = result.stderr.split(separator: "\n")
        #expect(reports.count == 1 && reports[0].contains(path.hasSuffix("/") ? String(path.dropLast()) : path), "\(result.stderr)")
        #expect(reports.first?.contains(damage.tornTail ? "ignored torn tail" : "stopped") == true, "\(result.stderr)")
    }

    @Test(arguments: logs)
    func fromAndFromTimeAgreeWithTheReference(log: String) throws {
        // The reference's records, as (offset, timestamp), read from its output.
        let lines = String(decoding: readFile(repositoryRoot + "/testdata/native/\(log).expected.jsonl"), as: UTF8.self).split(separator: "\n")
        let records = try lines.map { line -> (Int, Int?) in
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            return (object["offset"] as! Int, object["timestamp"] as? Int)
        }
        let offsets = records.map(\.0)
        for from in [offsets.first!, offsets[offsets.count / 2], offsets.last!, offsets.last! + 1] {
            let (sink, summary) = replay(repositoryRoot + "/testdata/native/\(log)", ReplayOptions(fromOffset: UInt64(from)))
            #expect(sink.records.map { Int($0.offset) } == offsets.filter { $0 >= from }, "from \(from)")
            #expect(!summary.damaged && sink.warnings.isEmpty)
        }
        let times = records.compactMap(\.1).sorted()
        let pastLast = times.last! == Int.max ? Int.max : times.last! + 1
        for t in [times.first!, times[times.count / 3], times[times.count / 2], times.last!, pastLast] {
            let (sink, summary) = replay(repositoryRoot + "/testdata/native/\(log)", ReplayOptions(fromTime: Int64(t)))
            #expect(sink.records.map { Int($0.offset) } == records.filter { ($0.1 ?? Int.min) >= t }.map(\.0), "from-time \(t)")
            #expect(!summary.damaged)
        }
    }
}

/// jsonl output without the `"resume"` field logscan appends (the reference
/// implementation predates it): the byte-for-byte comparison is about the
/// original fields.
func withoutResumeTokens(_ bytes: [UInt8]) -> [UInt8] {
    let text = String(decoding: bytes, as: UTF8.self)
    return Array(text.replacingOccurrences(of: ",\"resume\":\"[0-9a-z.]*\"", with: "", options: .regularExpression).utf8)
}

import Foundation
import Testing
@testable import LogScan

/// The command line as scripts see it: output, stderr lines, exit statuses.
@Suite struct CLITests {
    @Test func writeLinesThenReplayTextAndJSONL() throws {
        let dir = TemporaryDirectory()
        let log = dir.file("log")
        let input = Array("hello\nwörld\n\n\"quoted\"\ttab\\\n".utf8) + [0x62, 0x69, 0x6E, 0x01, 0xFF]
        let write = try runLogscan(["write", log], input: input)
        #expect(write.status == 0, "\(write.stderr)")

        let jsonl = try runLogscan(["replay", "--format", "jsonl", log])
        #expect(jsonl.status == 0)
        let lines = jsonl.out.split(separator: "\n").map(String.init)
        #expect(lines.count == 5)
        let objects = try lines.map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        // Exactly the schema's fields.
        #expect(objects.allSatisfy { Set($0.keys) == ["path", "position", "offset", "timestamp", "key", "value", "resume"] })
        #expect(objects.map { $0["offset"] as! Int } == [0, 1, 2, 3, 4])
        #expect(objects.allSatisfy { $0["key"] is NSNull })
        let values = objects.map { $0["value"] as! [String: String] }
        #expect(values[0] == ["text": "hello"])
        #expect(values[1] == ["text": "wörld"])
        #expect(values[2] == ["text": ""])
        #expect(values[3] == ["text": "\"quoted\"\ttab\\"])
        #expect(values[4] == ["bytes": Data([0x62, 0x69, 0x6E, 0x01, 0xFF]).base64EncodedString()])
        #expect(jsonl.out.hasPrefix("{\"path\":\"\(log)/00000000000000000000.seg\",\"position\":"))

        let text = try runLogscan(["replay", log])
        let textLines = text.out.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(textLines.count == 6 && textLines.last == "")
        #expect(textLines[0].hasPrefix("0 2"))
        #expect(textLines[0].hasSuffix(" key=null value=\"hello\""))
        #expect(textLines[3].hasSuffix(" value=\"\\\"quoted\\\"\\ttab\\\\\""))
        #expect(textLines[4].hasSuffix(" value=\"bin\\x01\\xff\""))
    }

    @Test func jsonlCopiesALogExactly() throws {
        let dir = TemporaryDirectory()
        let source = dir.file("a"), copy = dir.file("b")
        try writeLog(source, randomRecords(400, maxValue: 5000, seed: 41),
                     options: NativeWriterOptions(compression: .lz4, segmentBytes: 64 << 10, blockBytes: 4096))
        let dump = try runLogscan(["replay", "--format", "jsonl", source])
        #expect(dump.status == 0)
        let load = try runLogscan(["write", copy, "--input", "jsonl", "--block-bytes", "1K"], input: dump.stdout)
        #expect(load.status == 0, "\(load.stderr)")
        let (a, _) = replay(source)
        let (b, _) = replay(copy)
        #expect(a.records.count == 400)
        #expect(zip(a.records, b.records).allSatisfy { $0.sameContent($1) })
        #expect(a.records.count == b.records.count)
    }

    @Test func jsonlInputAcceptsBothByteFormsAndIgnoresOtherFields() throws {
        let dir = TemporaryDirectory()
        let input = """
        {"key": {"bytes": "AAE="}, "value": {"text": "v\\u00e9\\ud83d\\ude00"}, "timestamp": 42, "extra": [1, {"a": null}], "offset": 9}
        {"value": null, "key": {"text": ""}, "timestamp": null}

        {"value": {"bytes": ""}}
        """
        let result = try runLogscan(["write", dir.file("log"), "--input", "jsonl"], input: Array(input.utf8))
        #expect(result.status == 0, "\(result.stderr)")
        let (sink, _) = replay(dir.file("log"))
        #expect(sink.records.count == 3)
        #expect(sink.records[0].key == [0, 1])
        #expect(sink.records[0].value == Array("vé😀".utf8))
        #expect(sink.records[0].timestamp == 42)
        #expect(sink.records[1].key == [] && sink.records[1].value == nil && sink.records[1].timestamp == nil)
        #expect(sink.records[2].key == nil && sink.records[2].value == [] && sink.records[2].timestamp != nil)
    }

    @Test func badJSONLineIsAnErrorWithItsLineNumber() throws {
        let dir = TemporaryDirectory()
        let result = try runLogscan(["write", dir.file("log"), "--input", "jsonl"], input: Array("{\"value\": {\"text\": \"a\"}}\n{\"value\": 3}\n".utf8))
        #expect(result.status == 2)
        #expect(result.stderr.contains("line 2"))
        // The record before the bad line was still written.
        #expect(replay(dir.file("log")).0.records.count == 1)
    }

    @Test func countFromLimitAndPastTheEnd() throws {
        let dir = TemporaryDirectory()
        let log = dir.file("log")
        try writeLog(log, randomRecords(1000, maxValue: 300, seed: 42), options: NativeWriterOptions(segmentBytes: 32 << 10, blockBytes: 2048))
        #expect(try runLogscan(["replay", "--count", log]).out == "1000\n")
        #expect(try runLogscan(["replay", "--count", "--from", "990", log]).out == "10\n")
        #expect(try runLogscan(["replay", "--count", "--limit", "7", log]).out == "7\n")
        let past = try runLogscan(["replay", "--from", "5000", log])
        #expect(past.status == 0 && past.stdout.isEmpty)
        let late = try runLogscan(["replay", "--from-time", "99999999999999", log])
        #expect(late.status == 0 && late.stdout.isEmpty)
    }

    @Test func stdinIsReadThroughThePipePath() throws {
        let dir = TemporaryDirectory()
        let log = dir.file("log")
        try writeLog(log, randomRecords(300, maxValue: 2000, seed: 43), options: NativeWriterOptions(blockBytes: 4096))
        let segment = try NativeLogDirectory.segments(in: log)[0].path
        let result = try runLogscan(["replay", "--count", "-"], input: readFile(segment))
        #expect(result.status == 0 && result.out == "300\n", "\(result.stderr)")
    }

    @Test func exitStatuses() throws {
        let dir = TemporaryDirectory()
        let log = dir.file("log")
        try writeLog(log, randomRecords(100, maxValue: 100, seed: 44), options: NativeWriterOptions(blockBytes: 1024))
        let segment = try NativeLogDirectory.segments(in: log)[0].path
        #expect(try runLogscan(["replay", log]).status == 0)

        // Usage errors: 2, not ArgumentParser's 64.
        #expect(try runLogscan(["replay", "--no-such-option", log]).status == 2)
        #expect(try runLogscan(["replay"]).status == 2)
        #expect(try runLogscan(["replay", "--format", "yaml", log]).status == 2)
        #expect(try runLogscan(["frobnicate"]).status == 2)
        #expect(try runLogscan(["--help"]).status == 0)
        #expect(try runLogscan(["replay", "--help"]).status == 0)
        // A subcommand is parsed on its own (Logscan.parseQuickly), yet help
        // and usage errors still name it as `logscan SUBCOMMAND`.
        let badFormat = try runLogscan(["replay", "--format", "yaml", log])
        #expect(badFormat.stderr.contains("Usage: logscan replay") && badFormat.stderr.contains("'yaml'"))
        #expect(try runLogscan(["grep", "--help"]).out.contains("USAGE: logscan grep"))
        #expect(try runLogscan(["help", "grep"]).out.contains("USAGE: logscan grep"))
        // The quick parse skips the completion-script check (the commands'
        // _superCommandName); the full parse still answers it, for the tool.
        let completion = try runLogscan(["replay", "--generate-completion-script", "bash"])
        #expect(completion.status == 0 && completion.out.contains("_logscan") && completion.out.contains("grep"))
        #expect(try runLogscan(["replay", "--count", "-j1", log]).status == 2)  // replay has no -j

        // I/O errors: 2, with the path on stderr.
        let missing = try runLogscan(["replay", dir.file("nope")])
        #expect(missing.status == 2 && missing.stderr.contains(dir.file("nope")))
        let empty = dir.file("empty")
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        let noSegments = try runLogscan(["replay", empty])
        #expect(noSegments.status == 2 && noSegments.stderr.contains("no log segments"))

        // A torn tail: 0, noted on stderr with the byte range.
        let bytes = readFile(segment)
        writeFile(segment, Array(bytes.prefix(bytes.count - 30)))
        let torn = try runLogscan(["replay", "--count", log])
        #expect(torn.status == 0)
        #expect(torn.stderr.contains("torn tail") && torn.stderr.contains(segment))
        #expect(try runLogscan(["replay", "--recovery", "absolute", log]).status == 3)

        // Damage: 3, and the records before it are still printed.
        var damaged = bytes
        damaged[bytes.count / 2] ^= 0x55
        writeFile(segment, damaged)
        let bad = try runLogscan(["replay", "--format", "jsonl", log])
        #expect(bad.status == 3)
        #expect(bad.out.split(separator: "\n").count > 10)
        #expect(bad.stderr.contains(segment) && bad.stderr.contains("bytes "))
    }

    @Test func appendingAfterACrashCutsTheTornTail() throws {
        let dir = TemporaryDirectory()
        let log = dir.file("log")
        try writeLog(log, randomRecords(100, maxValue: 100, seed: 45), options: NativeWriterOptions(blockBytes: 1024))
        let segment = try NativeLogDirectory.segments(in: log)[0].path
        let bytes = readFile(segment)
        writeFile(segment, Array(bytes.prefix(bytes.count - 30)))
        let before = replay(log).0.records.count
        let append = try runLogscan(["write", log], input: Array("x\ny\n".utf8))
        #expect(append.status == 0)
        #expect(append.stderr.contains("torn tail"))
        let (sink, summary) = replay(log)
        #expect(!summary.damaged && sink.damage.isEmpty)
        #expect(sink.records.count == before + 2)
        #expect(sink.records.map(\.offset) == (0..<UInt64(before + 2)).map { $0 })
    }

    @Test func readingNeverModifiesTheInput() throws {
        let dir = TemporaryDirectory()
        let log = dir.file("log")
        try writeLog(log, randomRecords(200, maxValue: 500, seed: 46), options: NativeWriterOptions(segmentBytes: 16 << 10, blockBytes: 1024))
        let files = try FileManager.default.contentsOfDirectory(atPath: log).sorted()
        let before = files.map { readFile(log + "/" + $0) }
        for args in [["replay", log], ["replay", "--count", log], ["replay", "--format", "jsonl", "--io", "mmap", "--populate", log],
                     ["replay", "--io", "pread", "--from", "50", log], ["replay", "--from-time", "1700000001000", log]] {
            _ = try runLogscan(args)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: log).sorted() == files)
        #expect(files.map { readFile(log + "/" + $0) } == before)
    }
}

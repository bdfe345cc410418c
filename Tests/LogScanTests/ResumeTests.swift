import Foundation
import Testing
@testable import LogScan

/// Resume tokens: every record's token resumes exactly after it, across
/// segment rolls and process restarts; foreign and stale tokens are refused.
@Suite struct ResumeTests {
    /// A log of several segments, and every record with its token.
    func logWithTokens(_ dir: TemporaryDirectory, count: Int = 600, seed: UInt64 = 61) throws -> ([OwnedRecord], [ResumeToken]) {
        let written = try writeLog(dir.path, randomRecords(count, maxValue: 2000, seed: seed),
                                   options: NativeWriterOptions(compression: .lz4, segmentBytes: 16 << 10, blockBytes: 2048))
        let reader = LogReader(paths: [dir.path])
        var tokens: [ResumeToken] = []
        for record in reader.records { tokens.append(record.resumeToken) }
        #expect(tokens.count == written.count)
        return (written, tokens)
    }

    @Test func everyTokenResumesRightAfterItsRecord() throws {
        let dir = TemporaryDirectory()
        let (written, tokens) = try logWithTokens(dir)
        #expect(try NativeLogDirectory.segments(in: dir.path).count > 3, "rolls happened")
        // Every 37th record, plus the first and the last.
        for k in Array(stride(from: 0, to: written.count, by: 37)) + [written.count - 1] {
            // Through the text form, as a restarted process would get it.
            let token = try #require(ResumeToken(tokens[k].description))
            #expect(token == tokens[k])
            var options = ReplayOptions()
            options.after = token
            let (sink, summary) = replay(dir.path, options)
            #expect(sink.failures.isEmpty, "\(sink.failures)")
            #expect(summary.failures == 0 && !summary.damaged)
            #expect(sink.records.count == written.count - k - 1)
            #expect(zip(sink.records, written[(k + 1)...]).allSatisfy { $0.sameContent($1) })
        }
    }

    @Test func lastRecordOfASegmentResumesInTheNext() throws {
        let dir = TemporaryDirectory()
        let (written, tokens) = try logWithTokens(dir)
        let segments = try NativeLogDirectory.segments(in: dir.path)
        let boundary = Int(segments[2].baseSequence) - 1
        var options = ReplayOptions()
        options.after = tokens[boundary]
        let (sink, _) = replay(dir.path, options)
        #expect(sink.records.first?.offset == segments[2].baseSequence)
        #expect(sink.records.count == written.count - boundary - 1)
        #expect(sink.segments.first == segments[1].path, "the token's segment is opened to find the record")
    }

    @Test func tokenFromAnotherLogIsRefused() throws {
        let a = TemporaryDirectory(), b = TemporaryDirectory()
        let (_, tokens) = try logWithTokens(a, seed: 62)
        _ = try logWithTokens(b, seed: 63)
        var options = ReplayOptions()
        options.after = tokens[100]
        let (sink, summary) = replay(b.path, options)
        #expect(sink.records.isEmpty)
        #expect(summary.failures == 1)
        let error = try #require(sink.failures.first)
        guard case .usage(let text) = error.kind else { Issue.record("not a usage error: \(error)"); return }
        #expect(text.contains("does not fit this log"))
    }

    @Test func tokenOfARewrittenOrDeletedPartIsRefused() throws {
        let dir = TemporaryDirectory()
        let (_, tokens) = try logWithTokens(dir)
        // The first segment deleted (retention): its tokens cannot be checked.
        let segments = try NativeLogDirectory.segments(in: dir.path)
        unlink(segments[0].path)
        unlink(segments[0].indexPath)
        var options = ReplayOptions()
        options.after = tokens[1]
        let (sink, summary) = replay(dir.path, options)
        #expect(sink.records.isEmpty && summary.failures == 1)
        #expect(sink.failures.first.map { if case .usage = $0.kind { true } else { false } } ?? false)

        // The block the token names rewritten with other records.
        let last = tokens[tokens.count - 5]
        let path = segments.last!.path
        var bytes = readFile(path)
        bytes[Int(last.unitPosition) + 30] ^= 0x40   // inside the header: its checksum no longer matches the token's
        writeFile(path, bytes)
        options.after = last
        let (sink2, summary2) = replay(dir.path, options)
        #expect(sink2.records.isEmpty && summary2.failures == 1)
    }

    @Test func malformedTokensDoNotParse() {
        for text in ["", "n1", "n1.1.2.3", "x1.1.2.3.0", "n2.1.2.3.0", "n1.1.2.123456789.0", "n1.G.2.3.0", "n1.1..3.0",
                     "n1.1.2.3.0.4", "n1.11111111111111111.2.3.0"] {
            #expect(ResumeToken(text) == nil, "\(text)")
        }
        let token = ResumeToken(kind: .kafka, offset: 0xdead_beef, unitPosition: 12345, check: 0xffff_ffff, file: 7)
        #expect(token.description == "k1.deadbeef.3039.ffffffff.7")
        #expect(ResumeToken(token.description) == token)
    }

    @Test func cliResumeFieldAndAfter() throws {
        let dir = TemporaryDirectory()
        let log = dir.file("log")
        try writeLog(log, randomRecords(300, maxValue: 500, seed: 64),
                     options: NativeWriterOptions(segmentBytes: 8 << 10, blockBytes: 1024))
        let all = try runLogscan(["replay", "--format", "jsonl", log])
        #expect(all.status == 0)
        let lines = all.out.split(separator: "\n").map(String.init)
        #expect(lines.count == 300)
        let objects = try lines.map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        let tokens = objects.map { $0["resume"] as! String }
        #expect(Set(tokens).count == 300, "one token per record")
        // The field is appended: the original ones come first, in their order.
        #expect(lines[0].range(of: "\"value\":")!.lowerBound < lines[0].range(of: "\"resume\":")!.lowerBound)

        let resumed = try runLogscan(["replay", "--format", "jsonl", "--after", tokens[199], log])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.out.split(separator: "\n").map(String.init) == Array(lines[200...]))

        let bad = try runLogscan(["replay", "--after", "n1.5.40.deadbeef.0", log])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("does not fit this log"))
        let garbage = try runLogscan(["replay", "--after", "hello", log])
        #expect(garbage.status == 2)
        let both = try runLogscan(["replay", "--after", tokens[0], "--from", "3", log])
        #expect(both.status == 2)
    }
}

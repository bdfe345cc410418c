import Foundation
import Testing
@testable import LogScan

/// `logscan grep` against an independent computation: the records of the
/// native fixtures as the reference implementation printed them, matched
/// here with naive byte search and Foundation's (ICU) regular expressions.
@Suite struct GrepTests {
    struct Reference {
        var path: String
        var offset: Int
        var key: [UInt8]?
        var value: [UInt8]?
    }

    static func reference(_ log: String) throws -> [Reference] {
        let text = String(decoding: readFile(repositoryRoot + "/testdata/native/\(log).expected.jsonl"), as: UTF8.self)
        return try text.split(separator: "\n").map { line in
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            func bytes(_ field: Any?) -> [UInt8]? {
                guard let dict = field as? [String: String] else { return nil }
                if let text = dict["text"] { return Array(text.utf8) }
                return [UInt8](Data(base64Encoded: dict["bytes"]!)!)
            }
            return Reference(path: object["path"] as! String, offset: object["offset"] as! Int,
                             key: bytes(object["key"]), value: bytes(object["value"]))
        }
    }

    static func contains(_ haystack: [UInt8]?, _ needle: [UInt8], caseless: Bool = false) -> Bool {
        guard var h = haystack else { return false }
        var n = needle
        if caseless {
            h = h.map { $0 >= 65 && $0 <= 90 ? $0 + 32 : $0 }
            n = n.map { $0 >= 65 && $0 <= 90 ? $0 + 32 : $0 }
        }
        if n.isEmpty { return true }
        guard h.count >= n.count else { return false }
        return (0...(h.count - n.count)).contains { h[$0..<($0 + n.count)].elementsEqual(n) }
    }

    static func regexMatches(_ bytes: [UInt8]?, _ pattern: String, caseless: Bool = false) -> Bool {
        guard let bytes else { return false }
        let regex = try! NSRegularExpression(pattern: pattern, options: caseless ? [.caseInsensitive] : [])
        let text = String(decoding: bytes, as: UTF8.self)
        return regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
    }

    /// `path:offset:` of each output line.
    static func hits(_ output: String) -> [String] {
        output.split(separator: "\n").map { line in
            let parts = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            return parts[0] + ":" + parts[1]
        }
    }

    static func expectedHits(_ records: [Reference], _ selected: (Reference) -> Bool) -> [String] {
        records.filter(selected).map { "\($0.path):\($0.offset)" }
    }

    @Test(arguments: ["sample", "lz4"], ["a", "the quick", "\\", "é", "user:00", "qu"])
    func fixedStringsMatchNaiveSearch(log: String, needle: String) throws {
        let records = try Self.reference(log)
        for threads in ["1", "3"] {
            let result = try runLogscan(["grep", "-F", "-j", threads, needle, "testdata/native/\(log)"], cwd: repositoryRoot)
            let expected = Self.expectedHits(records) { Self.contains($0.value, Array(needle.utf8)) }
            #expect(Self.hits(result.out) == expected, "\(needle) -j \(threads)")
            #expect(result.status == (expected.isEmpty ? 1 : 0))
        }
    }

    @Test(arguments: ["qu[a-z]+k", "^the", "dog;", "[0-9]{4}", "\\d+ \\w+", "brown|lazy", "(?:fox|cat) jumps", "x*"])
    func regexesMatchICU(pattern: String) throws {
        let records = try Self.reference("sample")
        let result = try runLogscan(["grep", pattern, "testdata/native/sample"], cwd: repositoryRoot)
        let expected = Self.expectedHits(records) { Self.regexMatches($0.value, pattern) }
        #expect(Self.hits(result.out) == expected, "\(pattern)")
    }

    @Test func ignoreCaseInvertFieldAndMultiplePatterns() throws {
        let records = try Self.reference("sample")
        let root = repositoryRoot
        func run(_ args: [String]) throws -> [String] {
            Self.hits(try runLogscan(["grep"] + args + ["testdata/native/sample"], cwd: root).out)
        }
        #expect(try run(["-i", "-F", "THE QUICK"]) == Self.expectedHits(records) { Self.contains($0.value, Array("the quick".utf8), caseless: true) })
        #expect(try run(["-i", "QUICK.*FOX"]) == Self.expectedHits(records) { Self.regexMatches($0.value, "quick.*fox", caseless: true) })
        // -v selects records whose value does not match, null values included.
        #expect(try run(["-v", "-F", "quick"]) == Self.expectedHits(records) { !Self.contains($0.value, Array("quick".utf8)) })
        #expect(try run(["--field", "key", "-F", "user"]) == Self.expectedHits(records) { Self.contains($0.key, Array("user".utf8)) })
        #expect(try run(["--field", "any", "-F", "0001"]) == Self.expectedHits(records) {
            Self.contains($0.key, Array("0001".utf8)) || Self.contains($0.value, Array("0001".utf8))
        })
        #expect(try run(["-e", "lazy", "-e", "escapes"]) == Self.expectedHits(records) {
            Self.regexMatches($0.value, "lazy") || Self.regexMatches($0.value, "escapes")
        })
        // A null key matches nothing, so -v on the key selects it.
        #expect(try run(["-v", "--field", "key", "-F", ""]) == Self.expectedHits(records) { $0.key == nil })
    }

    @Test func countFilesQuietMaxCount() throws {
        let records = try Self.reference("sample")
        let root = repositoryRoot
        let counts = try runLogscan(["grep", "-c", "-F", "the", "testdata/native/sample"], cwd: root)
        var expected: [String: Int] = [:]
        for r in records where Self.contains(r.value, Array("the".utf8)) { expected[r.path, default: 0] += 1 }
        let lines = counts.out.split(separator: "\n").map(String.init)
        #expect(lines == expected.keys.sorted().map { "\($0):\(expected[$0]!)" })
        // One file searched: the bare count.
        let single = try runLogscan(["grep", "-c", "-F", "the", "testdata/native/sample/00000000000000000020.seg"], cwd: root)
        #expect(single.out == "\(expected["testdata/native/sample/00000000000000000020.seg"]!)\n")
        // A log directory prints paths even with one segment (ripgrep prints
        // paths for a directory), so the shape does not change as it rolls.
        let oneSegmentLog = try runLogscan(["grep", "-c", "-F", "e", "testdata/native/base"], cwd: root)
        #expect(oneSegmentLog.out.hasPrefix("testdata/native/base/00000000000000000000.seg:"))
        let files = try runLogscan(["grep", "-l", "-F", "the", "testdata/native/sample"], cwd: root)
        #expect(files.out.split(separator: "\n").map(String.init) == expected.keys.sorted())
        let quiet = try runLogscan(["grep", "-q", "-F", "the", "testdata/native/sample"], cwd: root)
        #expect(quiet.status == 0 && quiet.stdout.isEmpty)
        #expect(try runLogscan(["grep", "-q", "-F", "no such text", "testdata/native/sample"], cwd: root).status == 1)
        let max = try runLogscan(["grep", "-m", "1", "-F", "the", "testdata/native/sample"], cwd: root)
        #expect(Self.hits(max.out).count == expected.count, "one match per file")
        // ripgrep's attached forms: -m1, -j1.
        let attached = try runLogscan(["grep", "-m1", "-j1", "-F", "the", "testdata/native/sample"], cwd: root)
        #expect(attached.status == 0 && attached.out == max.out)
    }

    @Test func limitFromAndStdin() throws {
        let records = try Self.reference("sample")
        let root = repositoryRoot
        // --limit counts records read: only matches among the first 30 records.
        let limited = try runLogscan(["grep", "-F", "e", "--limit", "30", "testdata/native/sample"], cwd: root)
        #expect(Self.hits(limited.out) == Self.expectedHits(Array(records.prefix(30))) { Self.contains($0.value, Array("e".utf8)) })
        let from = try runLogscan(["grep", "-F", "e", "--from", "40", "testdata/native/sample"], cwd: root)
        #expect(Self.hits(from.out) == Self.expectedHits(records.filter { $0.offset >= 40 }) { Self.contains($0.value, Array("e".utf8)) })
        let segment = "testdata/native/sample/00000000000000000020.seg"
        let stdin = try runLogscan(["grep", "-c", "-F", "e", "-"], input: readFile(root + "/" + segment), cwd: root)
        #expect(stdin.out == "\(records.filter { $0.path == segment && Self.contains($0.value, Array("e".utf8)) }.count)\n")
    }

    @Test func jsonMessages() throws {
        let result = try runLogscan(["grep", "--json", "-F", "quick", "testdata/native/sample"], cwd: repositoryRoot)
        #expect(result.status == 0)
        let messages = try result.out.split(separator: "\n").map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        let types = messages.map { $0["type"] as! String }
        #expect(types.last == "summary")
        #expect(types.first == "begin")
        let matches = messages.filter { $0["type"] as! String == "match" }
        #expect(!matches.isEmpty)
        for match in matches {
            let data = match["data"] as! [String: Any]
            let record = data["record"] as! [String: Any]
            #expect(Set(record.keys) == ["path", "position", "offset", "timestamp", "key", "value", "resume"])
            #expect(data["offset"] as! Int == record["offset"] as! Int)
            let value = Array(((record["value"] as! [String: String])["text"]!).utf8)
            for submatch in data["submatches"] as! [[String: Any]] {
                let start = submatch["start"] as! Int, end = submatch["end"] as! Int
                #expect(Array(value[start..<end]) == Array("quick".utf8))
                #expect(submatch["field"] as! String == "value")
            }
        }
        // begin/end pairs per segment file, in order.
        let segments = messages.filter { ["begin", "end"].contains($0["type"] as! String) }
        #expect(segments.count % 2 == 0)
    }

    @Test func colorHighlightsAndNoColor() throws {
        let always = try runLogscan(["grep", "--color", "always", "-F", "quick", "testdata/native/sample"], cwd: repositoryRoot)
        #expect(always.out.contains("\u{1B}[1;31mquick\u{1B}[0m"))
        // auto: stdout is a file here, not a terminal.
        let auto = try runLogscan(["grep", "-F", "quick", "testdata/native/sample"], cwd: repositoryRoot)
        #expect(!auto.out.contains("\u{1B}["))
    }

    /// Colour reaches every field a match can be in: a WAL batch's op keys
    /// and values, a Kafka header's value. Without the escapes the output is
    /// exactly the uncoloured one.
    @Test func colorHighlightsWALOpsAndKafkaHeaders() throws {
        let cases: [(path: String, needle: String, highlighted: String)] = [
            (WALFixtures.root + "/rocksdb/plain/db/000004.log", "ERROR", "\u{1B}[1;31mERROR\u{1B}[0m"),
            (KafkaFixtures.root + "/extra/codecs.log", "json", "=\"application/\u{1B}[1;31mjson\u{1B}[0m\""),
        ]
        for (path, needle, highlighted) in cases {
            let colored = try runLogscan(["grep", "--color", "always", "--field", "any", "-F", needle, path])
            let plain = try runLogscan(["grep", "--color", "never", "--field", "any", "-F", needle, path])
            #expect(colored.status == 0 && colored.out.contains(highlighted), "\(path)")
            let stripped = colored.out.replacingOccurrences(of: "\u{1B}\\[[0-9;]*m", with: "", options: .regularExpression)
            #expect(stripped == plain.out, "\(path)")
        }
    }

    @Test func exitStatuses() throws {
        let root = repositoryRoot
        #expect(try runLogscan(["grep", "-F", "quick", "testdata/native/sample"], cwd: root).status == 0)
        #expect(try runLogscan(["grep", "-F", "zzz no", "testdata/native/sample"], cwd: root).status == 1)
        #expect(try runLogscan(["grep", "(unclosed", "testdata/native/sample"], cwd: root).status == 2)
        #expect(try runLogscan(["grep", "quick"], cwd: root).status == 2)
        #expect(try runLogscan(["grep", "-c", "-l", "x", "testdata/native/sample"], cwd: root).status == 2)
        let missing = try runLogscan(["grep", "-F", "quick", "testdata/native/sample", "no/such/path"], cwd: root)
        #expect(missing.status == 2 && !missing.stdout.isEmpty, "matches before the error stay printed")
        // Damage: 3, matches before it printed.
        let damaged = try runLogscan(["grep", "-F", "e", "testdata/native/damaged/bad-payload-crc.seg"], cwd: root)
        #expect(damaged.status == 3)
        #expect(!damaged.stdout.isEmpty)
    }

    /// A directory that is no log (a Kafka log.dirs root, a folder of logs)
    /// is searched, and verified, as a tree: the same output as naming each
    /// log, in name order; hidden names and symbolic links passed over.
    @Test func directoriesOfLogsAreSearchedAsATree() throws {
        let dir = TemporaryDirectory()
        let root = dir.file("logs")
        let fm = FileManager.default
        try fm.createDirectory(atPath: root + "/empty", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: root + "/nested/deeper", withIntermediateDirectories: true)
        try fm.copyItem(atPath: repositoryRoot + "/testdata/kafka/clean/logscan-events-0", toPath: root + "/a-kafka")
        try writeLog(root + "/b-native", randomRecords(300, maxValue: 200, seed: 71), options: NativeWriterOptions(blockBytes: 2048))
        try writeLog(root + "/nested/deeper/log", randomRecords(200, maxValue: 200, seed: 72), options: NativeWriterOptions(blockBytes: 2048))
        try writeLog(root + "/.hidden", randomRecords(50, maxValue: 200, seed: 73), options: NativeWriterOptions(blockBytes: 2048))
        try fm.createSymbolicLink(atPath: root + "/link", withDestinationPath: root + "/b-native")
        writeFile(root + "/notes.txt", Array("not a log\n".utf8))

        let logs = ["a-kafka", "b-native", "nested/deeper/log"].map { root + "/" + $0 }
        for args in [["-c", "."], ["-F", "a"], ["--json", "-v", "-F", "e"]] {
            let tree = try runLogscan(["grep"] + args + [root])
            let named = try runLogscan(["grep"] + args + logs)
            let strip: (String) -> String = { $0.replacingOccurrences(of: "\"elapsed[^}]*}", with: "", options: .regularExpression) }
            #expect(tree.status == 0 && strip(tree.out) == strip(named.out), "\(args)")
        }
        let counted = try runLogscan(["grep", "-c", ".", root]).out
        #expect(!counted.contains(".hidden") && !counted.contains("/link/") && counted.contains("/nested/deeper/log/"))

        let nothing = try runLogscan(["grep", "-c", ".", root + "/empty"])
        #expect(nothing.status == 2 && nothing.stderr.contains("or below it"))

        let verified = try runLogscan(["verify", root])
        #expect(verified.status == 0)
        #expect(verified.out.contains("/a-kafka/") && verified.out.contains("/b-native/") && verified.out.contains("/nested/deeper/log/"))
        #expect(!verified.out.contains(".hidden"))
        // A database whose WALs are all gone is one (empty) log, not a folder:
        // its archive/ is not read, even with --kind naming the format.
        try fm.createDirectory(atPath: root + "/db/archive", withIntermediateDirectories: true)
        writeFile(root + "/db/CURRENT", Array("MANIFEST-000001\n".utf8))
        writeFile(root + "/db/OPTIONS-000005", [])
        try fm.copyItem(atPath: repositoryRoot + "/testdata/rocksdb/plain/db/000004.log", toPath: root + "/db/archive/000004.log")
        #expect(try runLogscan(["grep", "-c", ".", root]).out == counted, "the database adds nothing")
        let forced = try runLogscan(["grep", "--kind", "rocksdb", "-c", ".", root + "/db"])
        #expect(forced.status == 2 && forced.out.isEmpty && forced.stderr.contains("no log segments"))
        // --after resumes one log: a folder of logs is refused, not walked.
        let token = "n1.0.64.0.0"
        #expect(try runLogscan(["grep", "--after", token, "-c", ".", root]).stderr.contains("no log segments in this directory"))
        // "-" is standard input, even beside a directory named "-".
        try fm.createDirectory(atPath: dir.file("-"), withIntermediateDirectories: true)
        let segment = repositoryRoot + "/testdata/native/base/00000000000000000000.seg"
        let fromStdin = try runLogscan(["grep", "-c", "-F", "e", "-"], input: readFile(segment), cwd: dir.path)
        let fromFile = try runLogscan(["grep", "-c", "-F", "e", segment])
        #expect(fromStdin.status == 0 && fromStdin.out == fromFile.out)

        let stat = try runLogscan(["stat", root])
        #expect(stat.status == 0 && stat.out.contains("/a-kafka/") && stat.out.contains("/nested/deeper/log/"))
        // replay keeps to one log: logs side by side have no order.
        #expect(try runLogscan(["replay", root]).status == 2)
    }

    @Test func parallelOutputEqualsSequential() throws {
        let dir = TemporaryDirectory()
        try writeLog(dir.path, randomRecords(3000, maxValue: 2000, seed: 61),
                     options: NativeWriterOptions(compression: .lz4, segmentBytes: 64 << 10, blockBytes: 4096))
        for args in [["-F", "GET /api"], ["ERROR|alpha"], ["-c", "latency"], ["--json", "-F", "beta"], ["-v", "-F", "a"]] {
            let one = try runLogscan(["grep", "-j", "1"] + args + [dir.path])
            let four = try runLogscan(["grep", "-j", "4"] + args + [dir.path])
            let strip: (String) -> String = { $0.replacingOccurrences(of: "\"elapsed[^}]*}", with: "", options: .regularExpression) }
            #expect(strip(one.out) == strip(four.out), "\(args)")
            #expect(one.status == four.status)
        }
    }

    /// 64 KiB raw blocks, where grep finds its literal in the same pass that
    /// verifies the block (logscan_crc32c_probe): counts against a naive
    /// search of what was written, with a block holding more occurrences
    /// than the probe's buffer, and null values.
    @Test func rawBlocksProbedWhileVerifiedMatchNaiveSearch() throws {
        let dir = TemporaryDirectory()
        var rng = SplitMix64(seed: 71)
        let words = ["alpha", "needle", "NEEDLE", "beta", "ab", "gamma delta", "nx", "neeedle"]
        let records = (0..<6000).map { i -> OwnedRecord in
            var words = (0..<Int.random(in: 0...30, using: &rng)).map { _ in words[Int.random(in: 0..<words.count, using: &rng)] }
            if i % 997 == 0 { words = [String(repeating: "ab", count: 3000)] }
            return OwnedRecord(offset: UInt64(i), timestamp: nil, key: nil, value: i % 50 == 3 ? nil : Array(words.joined(separator: " ").utf8))
        }
        try writeLog(dir.path, records, options: NativeWriterOptions(segmentBytes: 1 << 20, blockBytes: 64 << 10))
        let cases: [([String], (Reference) -> Bool)] = [
            (["-F", "needle"], { Self.contains($0.value, Array("needle".utf8)) }),
            (["-F", "-i", "needle"], { Self.contains($0.value, Array("needle".utf8), caseless: true) }),
            (["-F", "ab"], { Self.contains($0.value, Array("ab".utf8)) }),
            (["-F", "x"], { Self.contains($0.value, Array("x".utf8)) }),
            (["ne+dle"], { Self.regexMatches($0.value, "ne+dle") }),
            (["-i", "nEEd[l]e"], { Self.regexMatches($0.value, "nEEd[l]e", caseless: true) }),
        ]
        let written = records.map { Reference(path: "", offset: 0, key: $0.key, value: $0.value) }
        for (args, selected) in cases {
            let expected = written.filter(selected).count
            for threads in ["1", "2"] {
                let result = try runLogscan(["grep", "-c", "-j", threads] + args + [dir.path])
                let counted = result.out.split(separator: "\n").compactMap { $0.split(separator: ":").last.flatMap { Int($0) } }.reduce(0, +)
                #expect(counted == expected, "\(args) -j \(threads)")
                #expect(result.status == (expected == 0 ? 1 : 0))
            }
        }
    }

    /// -i with k or s in the pattern: PCRE2 also matches KELVIN SIGN and
    /// LONG S for them, which ASCII folding does not, so the prefilter looks
    /// for those characters too, and PCRE2 confirms; a non-ASCII pattern is
    /// prefiltered by its longest part that folds like ASCII. Counts against
    /// ICU's caseless matching, over probed raw blocks.
    @Test func caselessSearchWithKOrSKeepsUnicodeFolding() throws {
        #expect(RecordMatcher.asciiFoldingPart(Array("region=eu-west-1 status=503".utf8)) == Array("region=eu-we".utf8))
        #expect(RecordMatcher.asciiFoldingPart(Array("RÉGION".utf8)) == Array("GION".utf8))
        #expect(RecordMatcher.asciiFoldingPart(Array("kiss".utf8)) == Array("i".utf8))
        func prefilter(_ pattern: String, fixed: Bool = true) throws -> [[UInt8]] {
            try RecordMatcher(patterns: [Array(pattern.utf8)], fixedStrings: fixed, caseInsensitive: true, invert: false,
                              field: .value).prefilter.map { $0.needle }
        }
        let kelvin: [UInt8] = [0xE2, 0x84, 0xAA], longS: [UInt8] = [0xC5, 0xBF]
        #expect(try prefilter("status=503") == [Array("status=503".utf8), longS])
        #expect(try prefilter("Kelvin key") == [Array("Kelvin key".utf8), kelvin])
        #expect(try prefilter("RÉGION") == [Array("GION".utf8)])
        #expect(try prefilter("stat(us)?=50[0-9]", fixed: false) == [Array("stat".utf8), longS])
        #expect(try prefilter("brown") == [Array("brown".utf8)])  // no k or s: the SIMD search alone decides
        let twoWithS = try RecordMatcher(patterns: [Array("status".utf8), Array("stat=".utf8)], fixedStrings: true,
                                         caseInsensitive: true, invert: false, field: .value)
        #expect(twoWithS.prefilter.map { $0.needle } == [Array("status".utf8), longS, Array("stat=".utf8)])

        let dir = TemporaryDirectory()
        var rng = SplitMix64(seed: 83)
        let words = ["status=503", "STATUS=503", "\u{17F}tatus=503", "Status=502", "stat=503", "\u{212A}elvin key",
                     "KELVIN KEY", "kelvin", "RÉGION", "région", "region", "filler", "more filler text"]
        let records = (0..<8000).map { i -> OwnedRecord in
            let value = (0..<Int.random(in: 0...12, using: &rng)).map { _ in words[Int.random(in: 0..<words.count, using: &rng)] }
            return OwnedRecord(offset: UInt64(i), timestamp: nil, key: nil, value: Array(value.joined(separator: " ").utf8))
        }
        try writeLog(dir.path, records, options: NativeWriterOptions(segmentBytes: 1 << 20, blockBytes: 64 << 10))
        let written = records.map { Reference(path: "", offset: 0, key: $0.key, value: $0.value) }
        let cases: [([String], String)] = [
            (["-F", "status=503"], NSRegularExpression.escapedPattern(for: "status=503")),
            (["-F", "kelvin key"], NSRegularExpression.escapedPattern(for: "kelvin key")),
            (["-F", "RÉGION"], "RÉGION"),
            (["stat(us)?=50[0-9]"], "stat(us)?=50[0-9]"),
            (["\\x53TATUS=503"], "\\x53TATUS=503"),  // \x53 is S: no required literal
            // Several patterns, one without k or s; and -v, which selects
            // records that are not candidates without asking PCRE2.
            (["-F", "-e", "region", "-e", "kelvin"], "region|kelvin"),
            (["-v", "-F", "status=503"], "^(?!.*status=503)"),
        ]
        for (args, pattern) in cases {
            let expected = written.filter { Self.regexMatches($0.value, pattern, caseless: true) }.count
            #expect(expected > 0)
            for threads in ["1", "2"] {
                let result = try runLogscan(["grep", "-c", "-i", "-j", threads] + args + [dir.path])
                let counted = result.out.split(separator: "\n").compactMap { $0.split(separator: ":").last.flatMap { Int($0) } }.reduce(0, +)
                #expect(counted == expected, "\(args) -j \(threads)")
            }
        }
    }

    @Test func requiredLiteralExtraction() {
        func lit(_ p: String) -> String? { RequiredLiteral.extract(from: Array(p.utf8)).map { String(decoding: $0, as: UTF8.self) } }
        #expect(lit("ERROR.*timeout") == "timeout")
        #expect(lit("abc") == "abc")
        #expect(lit("abcd?") == "abc")
        #expect(lit("abcd*x") == "abc")
        #expect(lit("abc+") == "abc")
        #expect(lit("a|b") == nil)
        #expect(lit("(?i)abc") == nil)
        #expect(lit("(abc)?xy") == "xy")
        #expect(lit("[abc]def") == "def")
        #expect(lit("foo\\.bar") == "foo.bar")
        #expect(lit("\\d+ms") == "ms")
        #expect(lit("x{0,3}yz") == "yz")
        #expect(lit("x{2}yz") == "yz")  // conservative: a counted repeat ends the run
        // Escapes with an argument: what follows is not literal text.
        #expect(lit("\\x41BC") == nil)
        #expect(lit("abc\\x{41}def") == nil)
        #expect(lit("\\cKabc") == nil)
        #expect(lit("\\0101xyz") == nil)
        #expect(lit("\\bword\\b") == "word")
        // A control character ends a run; it used to be dropped from it,
        // which joined "ab<TAB>cd" into "abcd" (found by the prefilter fuzz target).
        #expect(lit("ab\tcde") == "cde")
        // A brace that starts no counted repeat is not skipped to the next
        // "}" (that once skipped the "|" of "akel{||3 eb").
        #expect(lit("akel{||3 eb") == nil)
        #expect(lit("ab{x}cd") == "ab{x}cd")  // the braces are literal text here
        #expect(lit("abc{,2}de") == "ab")
        #expect(lit("abc{0}de") == "ab")
        #expect(lit("{{0}") == nil)  // a literal brace, repeated zero times
        #expect(lit("x{ab") == "x{ab")
        #expect(lit("abc{ 2}de") == nil)  // a repeat in PCRE2 10.43+, text in 10.42
        // Patterns are checked one by one: "77(" and "77 )*" would join into
        // a valid regex that matches everything.
        #expect(throws: LogScanError.self) {
            try RecordMatcher(patterns: [Array("77(x".utf8), Array("77 y)*".utf8)], fixedStrings: false,
                              caseInsensitive: false, invert: false, field: .value)
        }
        // Invalid UTF-8: no literal (a lead byte once swallowed the "|" after it).
        #expect(RequiredLiteral.extract(from: [0xFF, 0xFF, 0x7C, 0x7C, 0x61, 0x62]) == nil)
        // A quantifier takes the whole UTF-8 character before it.
        #expect(lit("abcé?") == "abc")
        #expect(lit("abcé+x") == "abcé")
    }
}

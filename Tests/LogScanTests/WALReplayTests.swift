import Foundation
import Testing
@testable import LogScan

/// Replay, search, detection and resume over the WAL fixtures, checked
/// against what other software wrote: the generators' ops.compact.jsonl
/// (the batches they meant to write), ldb's dumps and LevelDB's DumpFile.
@Suite struct WALReplayTests {
    // MARK: Decoded batches against the writers' intent

    /// Every batch logscan reads from a variant's db/ directory is one the
    /// generator wrote (same sequence, count and ops, values by content or
    /// sha256), and the sequences are the ones ldb dumps for the same files.
    @Test(arguments: ["rocksdb/plain", "rocksdb/zstd", "rocksdb/v9", "rocksdb/recycle", "rocksdb/recycle-zstd"])
    func jsonlOpsMatchTheGenerator(variant: String) throws {
        let dir = WALFixtures.root + "/" + variant
        let result = try runLogscan(["replay", "--format", "jsonl", dir + "/db"])
        #expect(result.status == 0, "\(result.stderr)")
        let batches = WALFixtures.jsonLines(result.stdout)
        var intended: [UInt64: [[String: Any]]] = [:]
        for entry in WALFixtures.ops(dir + "/ops.compact.jsonl") {
            intended[(entry["seq"] as! NSNumber).uint64Value, default: []].append(entry)
        }
        var ldbSequences: [UInt64] = []
        // The live WALs (obsolete ones are passed over), per the generator's manifest.
        let manifest = try JSONSerialization.jsonObject(with: Data(readFile(dir + "/manifest.json"))) as! [String: Any]
        for name in (manifest["live_wals"] as! [String: Any]).keys.sorted() {
            ldbSequences += WALFixtures.ldbRows(dir + "/ref/" + name + ".ldb_dump.txt").map(\.sequence)
        }
        #expect(batches.map { ($0["sequence"] as! NSNumber).uint64Value } == ldbSequences)
        for batch in batches {
            let seq = (batch["sequence"] as! NSNumber).uint64Value
            #expect((batch["offset"] as! NSNumber).uint64Value == seq)
            let candidates = intended[seq] ?? []
            #expect(candidates.contains { Self.same(batch, $0) }, "batch \(seq) of \(variant) is not one the generator wrote")
        }
    }

    static let opNames = ["PUT": "put", "DELETE": "delete", "SINGLE_DELETE": "single_delete", "MERGE": "merge",
                          "DELETE_RANGE": "delete_range", "LOG_DATA": "log_data"]

    static func same(_ batch: [String: Any], _ entry: [String: Any]) -> Bool {
        guard (batch["count"] as! NSNumber).intValue == (entry["count"] as! NSNumber).intValue else { return false }
        let ops = batch["ops"] as! [[String: Any]], wanted = entry["ops"] as! [[String: Any]]
        guard ops.count == wanted.count else { return false }
        for (op, want) in zip(ops, wanted) {
            guard op["op"] as? String == opNames[want["op"] as! String] else { return false }
            if let cf = want["cf"] as? NSNumber, (op["cf"] as? NSNumber)?.intValue != cf.intValue { return false }
            func matches(_ field: String, _ prefix: String) -> Bool {
                let got = WALFixtures.bytes(op[field])
                if let hex = want[prefix + "_hex"] as? String { return got.map(WALFixtures.hex) == hex }
                if let sha = want[prefix + "_sha256"] as? String {
                    return got.map { SHA256.hex($0) } == sha && got?.count == (want[prefix + "_len"] as? NSNumber)?.intValue
                }
                return got == nil
            }
            switch want["op"] as! String {
            case "PUT", "MERGE": guard matches("key", "key"), matches("value", "value") else { return false }
            case "DELETE", "SINGLE_DELETE": guard matches("key", "key"), op["value"] == nil else { return false }
            case "DELETE_RANGE": guard matches("key", "begin"), matches("end_key", "end") else { return false }
            case "LOG_DATA": guard matches("value", "blob") else { return false }
            default: return false
            }
        }
        return true
    }

    // MARK: LevelDB against DumpFile

    /// DumpFile's text rebuilt from logscan's jsonl (DumpFile's escaping:
    /// 0x20-0x7E as is, anything else \xNN) equals DumpFile's output, its
    /// reader's corruption lines left out.
    @Test(arguments: ["db", "torn", "torn-header", "corrupt"])
    func levelDBMatchesDumpFile(copy: String) throws {
        let dir = WALFixtures.root + "/leveldb/plain/"
        let wal = dir + copy + "/000003.log"
        let ref = dir + (copy == "db" ? "ref" : copy) + "/000003.log.leveldbutil_dump.txt"
        let result = try runLogscan(["replay", "--kind", "leveldb", "--recovery", "skip-corrupted", "--format", "jsonl", wal])
        #expect(result.status == (copy == "corrupt" ? 3 : 0))
        var text = ""
        for batch in WALFixtures.jsonLines(result.stdout) {
            text += "--- offset \(batch["position"] as! NSNumber); sequence \(batch["sequence"] as! NSNumber)\n"
            for op in batch["ops"] as! [[String: Any]] {
                let key = Self.dumpEscaped(WALFixtures.bytes(op["key"])!)
                if op["op"] as? String == "put" {
                    text += "  put '\(key)' '\(Self.dumpEscaped(WALFixtures.bytes(op["value"])!))'\n"
                } else {
                    text += "  del '\(key)'\n"
                }
            }
        }
        let expected = WALFixtures.text(ref).split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.hasPrefix("corruption: ") }.joined(separator: "\n")
        #expect(text == expected)
    }

    static func dumpEscaped(_ bytes: [UInt8]) -> String {
        bytes.map { $0 >= 0x20 && $0 <= 0x7E ? String(UnicodeScalar($0)) : String(format: "\\x%02x", $0) }.joined()
    }

    // MARK: Damage and recovery, against ldb

    /// Torn copies: the rows ldb prints, a tolerated tail, exit 0.
    @Test(arguments: ["plain", "zstd", "v9", "recycle", "recycle-zstd"])
    func tornCopiesEndAtTheLastWholeBatch(variant: String) throws {
        for copy in ["torn", "torn-header"] {
            let wal = WALFixtures.root + "/rocksdb/\(variant)/\(copy)/000010.log"
            let (sink, summary) = replay(wal, ReplayOptions(kind: .rocksdb))
            #expect(sink.records.map(\.offset) == WALFixtures.ldbRows(wal + ".ldb_dump.txt").map(\.sequence), "\(wal)")
            #expect(!summary.damaged, "\(wal)")
        }
    }

    /// Corrupt copies: stop at the damage by default (exit 3); skip-corrupted
    /// reads what ldb's reader reads after it.
    @Test(arguments: ["plain", "zstd", "v9"])
    func corruptCopiesStopOrSkip(variant: String) throws {
        let wal = WALFixtures.root + "/rocksdb/\(variant)/corrupt/000010.log"
        let rows = WALFixtures.ldbRows(wal + ".ldb_dump.txt").map(\.sequence)
        let (stopped, stoppedSummary) = replay(wal, ReplayOptions(kind: .rocksdb))
        #expect(stoppedSummary.damaged)
        #expect(stopped.damage.first?.reason == .badChecksum)
        #expect(stopped.damage.first?.action == .stopped)
        #expect(Array(rows.prefix(stopped.records.count)) == stopped.records.map(\.offset))
        let (skipped, _) = replay(wal, ReplayOptions(kind: .rocksdb, recovery: .skipCorrupted))
        #expect(skipped.records.map(\.offset) == rows)
        #expect(try runLogscan(["replay", "--kind", "rocksdb", "--count", wal]).status == 3)
    }

    /// A recycled log's damage is its end, as RocksDB reads it: a tolerated
    /// tail. (ldb 7.8.3 reports the damage in recycle-zstd, whose first
    /// record is not recyclable; the rows are the same.)
    @Test(arguments: ["recycle", "recycle-zstd"])
    func recycledCorruptionIsTheEndOfTheLog(variant: String) {
        let wal = WALFixtures.root + "/rocksdb/\(variant)/corrupt/000010.log"
        let (sink, summary) = replay(wal, ReplayOptions(kind: .rocksdb))
        #expect(sink.records.map(\.offset) == WALFixtures.ldbRows(wal + ".ldb_dump.txt").map(\.sequence))
        #expect(!summary.damaged)
        #expect(sink.damage.allSatisfy { $0.action == .tolerated })
    }

    /// Every fixture in skip-corrupted mode reads the batches ldb prints,
    /// except where logscan deliberately differs (listed with the reason).
    @Test func skipCorruptedReadsWhatLDBReads() {
        let differs: [String: [UInt64]] = [
            // ldb 7.8.3 cannot print these ops and stops; logscan decodes them.
            "crafted/blob-index": [1, 2, 3], "crafted/persisted-prepare": [1, 2, 3], "crafted/put-entity": [1, 2, 3],
            "real/entity-v9": [1, 2, 3, 5],
            // ldb stops at an undecodable batch; skip-corrupted goes on after it.
            "crafted/truncated-put": [1, 3], "crafted/unknown-tag": [1, 3], "crafted/wrong-count": [1, 3],
            // Types 10-14 are 7.8.3's internal status codes; today's RocksDB
            // (and logscan) skips 10/11 and reports 12-14 as unknown types.
            "crafted/record-type-10": [1, 2, 3], "crafted/record-type-12": [1, 2, 3],
            "crafted/record-type-13": [1, 2, 3], "crafted/record-type-14": [1, 2, 3],
            // A snappy-compressed WAL is refused, never read as garbage.
            "crafted/type-9-snappy": [],
        ]
        for (wal, ref) in WALFixtures.ldbCases() {
            let (sink, _) = replay(wal, ReplayOptions(kind: .rocksdb, recovery: .skipCorrupted))
            let key = differs.keys.first { wal.contains("/" + $0 + "/") }
            let expected = key.map { differs[$0]! } ?? WALFixtures.ldbRows(ref + ".ldb_dump.txt").map(\.sequence)
            #expect(sink.records.map(\.offset) == expected, "\(wal)")
        }
    }

    /// What each crafted case is, as a DamageReason (first damage met, in
    /// the default mode); nil: read without damage (a tail, a skipped record).
    @Test func craftedCasesAreNamedByDamageClass() {
        let expected: [String: DamageReason?] = [
            "bad-length-mid-file": .badLength, "crc-in-first-fragment": .badChecksum,
            "first-then-first": .missingLastFragment, "first-then-full": .missingLastFragment,
            "last-alone": .missingFirstFragment, "middle-alone": .missingFirstFragment,
            "record-type-0": .unknownRecordType, "record-type-16": .unknownRecordType,
            "record-type-12": .unknownRecordType, "record-type-15": .unknownRecordType,
            "too-small": .badRecord, "truncated-put": .badRecord, "unknown-tag": .badRecord, "wrong-count": .badRecord,
            // Torn tails, trailers, zero tails, stale recycled records, safe-ignore types: no damage.
            "bad-length-at-eof": nil, "partial-header": nil, "partial-payload": nil, "zero-tail": nil,
            "trailer-6": nil, "recyclable-trailer-3": nil, "recyclable-trailer-8": nil, "recycled-stale-tail": nil,
            "recycled-named-8": nil, "record-type-200": nil, "record-type-10": nil, "record-type-11": nil,
            "all-tags": nil, "blob-index": nil, "put-entity": nil, "persisted-prepare": nil,
        ]
        for (name, reason) in expected {
            let dir = WALFixtures.root + "/rocksdb/ldb-cases/crafted/" + name
            let file = try! FileManager.default.contentsOfDirectory(atPath: dir).first { $0.hasSuffix(".log") }!
            let (sink, summary) = replay(dir + "/" + file, ReplayOptions(kind: .rocksdb))
            let first = sink.damage.first { $0.action != .tolerated }
            #expect(first?.reason == reason, "\(name): \(sink.damage)")
            #expect(summary.damaged == (reason != nil), "\(name)")
        }
    }

    @Test func statAndVerifyReadWALs() throws {
        let db = WALFixtures.root + "/rocksdb/plain/db"
        let stat = try LogInspector.stat(LogInput.resolve(db, kind: .auto).segments[1], measureResidency: false)
        let rows = WALFixtures.ldbRows(WALFixtures.root + "/rocksdb/plain/ref/000010.log.ldb_dump.txt")
        #expect(stat.records == rows.count)
        #expect(stat.firstOffset == rows.first?.sequence)
        #expect(stat.damage == nil)
        #expect(stat.validEnd == Int64(readFile(db + "/000010.log").count))
        #expect(try runLogscan(["verify", db]).status == 0)
        #expect(try runLogscan(["verify", "--kind", "rocksdb", WALFixtures.root + "/rocksdb/plain/corrupt/000010.log"]).status == 3)
    }

    @Test func otherCodecsAreRefusedClearly() throws {
        let wal = WALFixtures.root + "/rocksdb/ldb-cases/crafted/type-9-snappy/000001.log"
        let result = try runLogscan(["replay", "--kind", "rocksdb", wal])
        #expect(result.status == 2)
        #expect(result.stderr.contains("only zstd-compressed WALs are read"))
    }

    // MARK: Detection and directories

    @Test func databaseDirectoriesAreDetectedAndNonWALFilesSkipped() throws {
        let temp = TemporaryDirectory("wal-detect")
        let plain = WALFixtures.root + "/rocksdb/plain/db/"
        for name in ["CURRENT", "LOCK", "LOG", "LOG.old.1700000000", "IDENTITY", "MANIFEST-000005", "OPTIONS-000007",
                     "000011.sst", "000012.ldb", "notes.txt", "000010.log.bak", "wal.log"] {
            writeFile(temp.file(name), Array("not a log".utf8))
        }
        writeFile(temp.file("000010.log"), readFile(plain + "000010.log"))
        writeFile(temp.file("000004.log"), readFile(plain + "000004.log"))
        writeFile(temp.file("9.log"), [])
        let segments = try LogDetector.segments(inDirectory: temp.path, kind: .auto)
        #expect(segments.map { Directory.baseName($0.path) } == ["000004.log", "9.log", "000010.log"])
        #expect(segments.allSatisfy { $0.kind == .rocksdb && $0.baseOffset == nil })
        // Without OPTIONS-*: LevelDB.
        try FileManager.default.removeItem(atPath: temp.file("OPTIONS-000007"))
        #expect(try LogDetector.segments(inDirectory: temp.path, kind: .auto).allSatisfy { $0.kind == .leveldb })
        #expect(try LogInput.resolve(WALFixtures.root + "/leveldb/plain/db", kind: .auto).segments.map(\.kind) == [.leveldb])
        // A single WAL: by its neighbours, or by a whole record at byte 0.
        #expect(try LogDetector.segment(file: plain + "000010.log", kind: .auto).kind == .rocksdb)
        #expect(try LogDetector.segment(file: WALFixtures.root + "/rocksdb/zstd/torn/000010.log", kind: .auto).kind == .rocksdb)
        #expect(try LogDetector.segment(file: WALFixtures.root + "/rocksdb/recycle/corrupt/000010.log", kind: .auto).kind == .rocksdb)
    }

    /// The oldest live log number from the MANIFEST is the one the corpus
    /// generator got from `ldb manifest_dump` (manifest.json), and WALs below
    /// it are passed over with a warning.
    @Test(arguments: ["plain", "zstd", "v9", "recycle", "recycle-zstd"])
    func obsoleteWALsArePassedOver(variant: String) throws {
        let dir = WALFixtures.root + "/rocksdb/" + variant
        let manifest = try JSONSerialization.jsonObject(with: Data(readFile(dir + "/manifest.json"))) as! [String: Any]
        let minimum = (manifest["min_log_number"] as! NSNumber).uint64Value
        let computed = try #require(WALManifest.minimumLiveLogNumber(directory: dir + "/db"))
        // 0 in the generator's manifest means no column family has flushed yet:
        // every WAL is live, whatever number the MANIFEST's first edit holds.
        #expect(computed == minimum || (minimum == 0 && computed <= 4), "\(variant): \(computed)")
        let input = try LogInput.resolve(dir + "/db", kind: .auto)
        let live = (manifest["live_wals"] as! [String: Any]).keys.sorted()
        #expect(input.segments.map { Directory.baseName($0.path) } == live)
        let obsolete = manifest["obsolete_wal_files_left_in_dir"] as? [String] ?? []
        #expect(input.notes.count == (obsolete.isEmpty ? 0 : 1))
        for name in obsolete { #expect(input.notes.first?.contains(name) == true) }
    }

    @Test func aDirectoryReplaysItsWALsByLogNumber() {
        let (sink, summary) = replay(WALFixtures.root + "/rocksdb/plain/db")
        let expected = WALFixtures.ldbRows(WALFixtures.root + "/rocksdb/plain/ref/000004.log.ldb_dump.txt").map(\.sequence)
            + WALFixtures.ldbRows(WALFixtures.root + "/rocksdb/plain/ref/000010.log.ldb_dump.txt").map(\.sequence)
        #expect(sink.records.map(\.offset) == expected)
        #expect(sink.segments.map { Directory.baseName($0) } == ["000004.log", "000010.log"])
        #expect(summary.failures == 0 && !summary.damaged)
    }

    @Test func fromSkipsBatchesBelowTheSequence() {
        let all = replay(WALFixtures.root + "/rocksdb/plain/db").0.records
        let from = all[10].offset
        let (sink, _) = replay(WALFixtures.root + "/rocksdb/plain/db", ReplayOptions(fromOffset: from))
        #expect(sink.records.first?.offset == from)
        #expect(sink.records.count == all.filter { $0.offset >= from }.count)
    }

    // MARK: Resume

    @Test(arguments: ["rocksdb/plain/db", "rocksdb/zstd/db", "rocksdb/recycle/db", "rocksdb/recycle-zstd/db", "leveldb/plain/db"])
    func resumeTokensRoundTrip(log: String) throws {
        let path = WALFixtures.root + "/" + log
        let reader = LogReader(paths: [path])
        var records: [OwnedRecord] = [], tokens: [ResumeToken] = []
        for record in reader.records {
            records.append(OwnedRecord(record))
            tokens.append(record.resumeToken)
        }
        #expect(records.count >= 4)
        for i in Set([0, 1, records.count / 2, records.count - 2, records.count - 1]).sorted() {
            let token = try #require(ResumeToken(tokens[i].description))
            #expect(token == tokens[i])
            var options = ReplayOptions()
            options.after = token
            let (sink, summary) = replay(path, options)
            #expect(summary.failures == 0, "\(log) after record \(i)")
            #expect(sink.records == Array(records[(i + 1)...]), "\(log) after record \(i)")
        }
        // A token whose CRC does not match is refused.
        var wrong = tokens[1]
        wrong.check ^= 1
        var options = ReplayOptions()
        options.after = wrong
        #expect(replay(path, options).1.failures == 1)
    }

    // MARK: grep

    /// `grep -c -F --field any` counts the batches with the needle in some
    /// op's key or value; the expected count comes from ldb's hex (and the
    /// generator's LogData blobs, which ldb does not print).
    @Test(arguments: ["ERROR", "user:0001", "café", "k/"])
    func grepCountsMatchTheLDBDump(needle: String) throws {
        let wal = WALFixtures.root + "/rocksdb/plain/db/000004.log"
        let rows = WALFixtures.ldbRows(WALFixtures.root + "/rocksdb/plain/ref/000004.log.ldb_dump.txt")
        var blobs: [UInt64: [[UInt8]]] = [:]
        for entry in WALFixtures.ops(WALFixtures.root + "/rocksdb/plain/ops.compact.jsonl") {
            for op in entry["ops"] as! [[String: Any]] {
                if let hex = op["blob_hex"] as? String {
                    blobs[(entry["seq"] as! NSNumber).uint64Value, default: []].append(WALFixtures.hexBytes(Substring(hex)))
                }
            }
        }
        let n = Array(needle.utf8)
        func contains(_ hay: [UInt8]) -> Bool {
            hay.count >= n.count && (0...(hay.count - n.count)).contains { Array(hay[$0..<($0 + n.count)]) == n }
        }
        let expected = rows.filter { row in
            row.tokens.contains(where: contains) || (blobs[row.sequence] ?? []).contains(where: contains)
        }.count
        let result = try runLogscan(["grep", "-c", "-F", "--field", "any", needle, wal])
        #expect(result.status == (expected > 0 ? 0 : 1))
        #expect(result.out == (expected > 0 ? "\(expected)\n" : ""), "needle \(needle)")
        let json = try runLogscan(["grep", "--json", "-F", "--field", "any", needle, wal])
        let matches = WALFixtures.jsonLines(json.stdout).filter { $0["type"] as? String == "match" }
        #expect(matches.count == expected)
    }
}

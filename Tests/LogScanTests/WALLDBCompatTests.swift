import Foundation
import Testing
@testable import LogScan

/// `replay --format ldb` against the dumps RocksDB 7.8.3's `ldb dump_wal
/// --header --print_value` wrote for every WAL fixture (real databases, their
/// torn/corrupt copies, and the crafted edge cases): stdout byte for byte,
/// stderr line for line.
@Suite struct WALLDBCompatTests {
    @Test func everyFixtureDumpsAsLDBDoes() throws {
        let cases = WALFixtures.ldbCases()
        #expect(cases.count >= 60)
        for (wal, ref) in cases {
            let result = try runLogscan(["replay", "--format", "ldb", "--header", wal])
            let expected = readFile(ref + ".ldb_dump.txt")
            let expectedErr = WALFixtures.text(ref + ".ldb_dump.stderr.txt")
            #expect(result.stdout == expected, "stdout differs for \(wal)")
            #expect(result.stderr == expectedErr, "stderr differs for \(wal)")
            // logscan's status: 3 when ldb reported corruption or failed
            // (ldb: 0 and 1), else 0.
            #expect(result.status == (expectedErr.isEmpty ? 0 : 3), "status for \(wal)")
        }
    }

    @Test func withoutHeaderTheRowsAreTheSame() throws {
        for variant in ["plain", "zstd", "recycle"] {
            let dir = WALFixtures.root + "/rocksdb/" + variant
            let result = try runLogscan(["replay", "--format", "ldb", dir + "/db/000010.log"])
            let full = readFile(dir + "/ref/000010.log.ldb_dump.txt")
            let firstNewline = full.firstIndex(of: 0x0A)!
            #expect(result.stdout == Array(full[(firstNewline + 1)...]), "\(variant)")
        }
    }

    @Test func everyIOPathGivesTheSameBytes() throws {
        let wal = WALFixtures.root + "/rocksdb/plain/db/000004.log"
        let expected = readFile(WALFixtures.root + "/rocksdb/plain/ref/000004.log.ldb_dump.txt")
        for io in ["mmap", "pread"] {
            let result = try runLogscan(["replay", "--format", "ldb", "--header", "--io", io, wal])
            #expect(result.stdout == expected, "--io \(io)")
        }
        // Standard input: log number 0, which a legacy (non-recyclable) WAL does not use.
        let piped = try runLogscan(["replay", "--format", "ldb", "--header", "-"], input: readFile(wal))
        #expect(piped.stdout == expected)
    }

    @Test func aDatabaseDirectoryDumpsItsWALsInOrder() throws {
        let result = try runLogscan(["replay", "--format", "ldb", "--header", WALFixtures.root + "/rocksdb/plain/db"])
        let expected = readFile(WALFixtures.root + "/rocksdb/plain/ref/000004.log.ldb_dump.txt")
            + readFile(WALFixtures.root + "/rocksdb/plain/ref/000010.log.ldb_dump.txt")
        #expect(result.stdout == expected)
        #expect(result.status == 0)
    }

    @Test func ldbFormatRefusesRecordOptions() throws {
        let wal = WALFixtures.root + "/rocksdb/plain/db/000004.log"
        #expect(try runLogscan(["replay", "--format", "ldb", "--limit", "2", wal]).status == 2)
        #expect(try runLogscan(["replay", "--header", wal]).status == 2)
    }
}

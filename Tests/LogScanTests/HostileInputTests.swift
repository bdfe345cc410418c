import Foundation
import Testing
@testable import LogScan

/// The inputs someone hands over from an unknown source: each gets one
/// line on stderr naming the path, the right exit status, and no crash,
/// hang or unbounded memory. (docs/HOSTILE-INPUT.md lists every case and
/// the test that covers it.)
@Suite struct HostileInputTests {
    func expectOneLine(_ result: CommandResult, naming path: String, status: Int32, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(result.status == status, "\(result.stderr)", sourceLocation: sourceLocation)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1 && lines[0].hasPrefix("logscan: ") && lines[0].contains(path), "\(result.stderr)", sourceLocation: sourceLocation)
    }

    @Test func missingPathsDirectoriesAndDevices() throws {
        let dir = TemporaryDirectory()
        for command in [["replay"], ["grep", "x"], ["verify"]] {
            expectOneLine(try runLogscan(command + [dir.file("missing")]), naming: dir.file("missing"), status: 2)
            expectOneLine(try runLogscan(command + [dir.path]), naming: dir.path, status: 2)
            expectOneLine(try runLogscan(command + ["/dev/zero"]), naming: "/dev/zero", status: 2)
            expectOneLine(try runLogscan(command + ["/dev/null"]), naming: "/dev/null", status: 2)
            expectOneLine(try runLogscan(command + ["/proc/self/status"]), naming: "/proc/self/status", status: 2)
        }
    }

    @Test func emptyAndShortFiles() throws {
        let dir = TemporaryDirectory()
        writeFile(dir.file("empty.seg"), [])
        writeFile(dir.file("empty"), [])
        writeFile(dir.file("short.seg"), [0x89, 0x4C, 0x53])
        writeFile(dir.file("junk.seg"), Array("not a log at all".utf8))
        // An empty segment, or a cut-off header: a segment its writer died creating.
        expectOneLine(try runLogscan(["replay", dir.file("empty.seg")]), naming: dir.file("empty.seg"), status: 0)
        expectOneLine(try runLogscan(["replay", dir.file("short.seg")]), naming: dir.file("short.seg"), status: 0)
        // Not a segment: damage when named like one, "which format?" otherwise.
        expectOneLine(try runLogscan(["replay", dir.file("junk.seg")]), naming: dir.file("junk.seg"), status: 3)
        expectOneLine(try runLogscan(["replay", dir.file("empty")]), naming: dir.file("empty"), status: 2)
    }

    @Test func permissionDenied() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("secret.seg")
        writeFile(path, readFile(repositoryRoot + "/testdata/native/base/00000000000000000000.seg"))
        chmod(path, 0)
        chmod(dir.path, 0o755)
        if getuid() == 0 {
            // root reads anything: run the CLI as nobody.
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
            process.arguments = ["--reuid=65534", "--regid=65534", "--clear-groups", logscanBinary, "replay", path]
            let err = Pipe()
            process.standardError = err
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(process.terminationStatus == 2)
            #expect(stderr.contains(path) && stderr.contains("Permission denied"))
        } else {
            expectOneLine(try runLogscan(["replay", path]), naming: path, status: 2)
        }
    }

    @Test func fifoAndStdinGoThroughThePipePath() throws {
        let dir = TemporaryDirectory()
        let fifo = dir.file("pipe")
        #expect(mkfifo(fifo, 0o600) == 0)
        let segment = readFile(repositoryRoot + "/testdata/native/base/00000000000000000000.seg")
        let writer = Thread {
            let fd = open(fifo, O_WRONLY)
            segment.withUnsafeBytes { _ = write(fd, $0.baseAddress!, $0.count) }
            close(fd)
        }
        writer.start()
        let result = try runLogscan(["replay", "--count", fifo])
        #expect(result.status == 0 && result.out == "18\n", "\(result.stderr)")
        let stdin = try runLogscan(["replay", "--count", "-"], input: segment)
        #expect(stdin.status == 0 && stdin.out == "18\n")
        // Junk on stdin: damage, reported against "-".
        let junk = try runLogscan(["replay", "-"], input: [UInt8](repeating: 0x41, count: 100_000))
        #expect(junk.status == 3 && junk.stderr.contains("-: "))
    }

    @Test func lengthPrefixOfAllOnesWithValidChecksums() throws {
        // A record size of 0xFFFFFFFF in a block whose CRCs were recomputed:
        // only the bounds check can catch it, and nothing is allocated for it.
        let dir = TemporaryDirectory()
        try writeLog(dir.path, randomRecords(50, maxValue: 100, seed: 91), options: NativeWriterOptions(blockBytes: 1024))
        let path = try NativeLogDirectory.segments(in: dir.path)[0].path
        var bytes = readFile(path)
        let block = 64
        bytes.withUnsafeMutableBytes { raw in
            let p = raw.baseAddress!
            p.storeLE32(0xFFFF_FFFF, at: block + 48)
            let stored = Int(UnsafeRawPointer(p).le32(block + 12))
            p.storeLE32(CRC32C.checksum(UnsafeRawBufferPointer(start: p + block + 48, count: stored)), at: block + 8)
            p.storeLE32(CRC32C.checksum(UnsafeRawBufferPointer(start: p + block + 8, count: 40)), at: block + 4)
        }
        writeFile(path, bytes)
        let result = try runLogscan(["replay", dir.path])
        #expect(result.status == 3)
        #expect(result.stderr.contains("bad length") && result.stderr.contains("4294967295"))
    }

    @Test func indexesThatLieOrAreUnsortedOrPointPastTheEnd() throws {
        let dir = TemporaryDirectory()
        let written = try writeLog(dir.path, randomRecords(500, maxValue: 100, seed: 92), options: NativeWriterOptions(blockBytes: 1024))
        let segment = try NativeLogDirectory.segments(in: dir.path)[0]
        let original = readFile(segment.indexPath)
        let entries = (original.count - 32) / 24
        // Unsorted: entries reversed.
        var reversed = Array(original.prefix(32))
        for i in (0..<entries).reversed() { reversed += original[(32 + i * 24)..<(32 + i * 24 + 24)] }
        // Past the end: every position beyond the segment.
        var pastEnd = original
        for i in 0..<entries {
            pastEnd.withUnsafeMutableBytes { $0.baseAddress!.storeLE64(UInt64(1) << 40, at: 32 + i * 24 + 8) }
        }
        for (name, index) in [("unsorted", reversed), ("past the end", pastEnd)] {
            writeFile(segment.indexPath, index)
            for from in [UInt64(0), 250, 499] {
                let (sink, summary) = replay(dir.path, ReplayOptions(fromOffset: from))
                #expect(sink.records.map(\.offset) == written.map(\.offset).filter { $0 >= from }, "\(name) from \(from)")
                #expect(!summary.damaged && summary.failures == 0, "\(name)")
            }
            let verify = try runLogscan(["verify", dir.path])
            #expect(verify.status == 3 && verify.out.contains("index damaged"), "\(name): \(verify.out)")
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif

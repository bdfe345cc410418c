import Foundation
import Testing
@testable import LogScan

/// Follow mode: a concurrent writer appends (and rolls); the follower sees
/// every record once, in order; incomplete tails are waited for.
@Suite struct FollowTests {
    /// Appends `count` records on a thread of its own, flushing each so that
    /// it is in the file, pausing now and then; small segments force rolls.
    final class ConcurrentWriter: @unchecked Sendable {
        // Written by the writer thread, read after `done` is signalled.
        let done = DispatchSemaphore(value: 0)
        var error: Error?
        var values: [[UInt8]] = []

        init(directory: String, first: Int, count: Int, options: NativeWriterOptions, pauseEvery: Int = 7) {
            values = (first..<(first + count)).map { Array("record-\($0)-".utf8) + Array(repeating: UInt8(truncatingIfNeeded: $0), count: $0 % 300) }
            let values = self.values
            let thread = Thread { [self] in
                do {
                    let writer = try NativeLogWriter(directory: directory, options: options)
                    for (i, value) in values.enumerated() {
                        try writer.append(key: Array("k\(i)".utf8), value: value, timestamp: Int64(1_700_000_000_000 + i))
                        try writer.flush()
                        if i % pauseEvery == 0 { usleep(2_000) }
                    }
                    try writer.close()
                } catch {
                    self.error = error
                }
                self.done.signal()
            }
            thread.start()
        }
    }

    /// Runs a followed LogReader on a thread until `expected` records came
    /// (or 30 s passed), then stops it; returns the records and events.
    func follow(_ path: String, expected: Int, options: ReplayOptions) -> (records: [OwnedRecord], events: [ReplayEvent], summary: ReplaySummary) {
        var options = options
        let stop = ReplayStop()
        options.stop = stop
        let reader = LogReader(paths: [path], options: options)
        var records: [OwnedRecord] = []
        var events: [ReplayEvent] = []
        let deadline = monotonicMillis() + 30_000
        loop: while true {
            switch reader.next(whenCaughtUp: {
                if records.count >= expected || monotonicMillis() > deadline { stop.request() }
            }) {
            case .record(let record):
                records.append(OwnedRecord(record))
            case .event(let event):
                events.append(event)
            case .end:
                break loop
            }
        }
        return (records, events, reader.summary)
    }

    func damageReports(_ events: [ReplayEvent]) -> [DamageReport] {
        events.compactMap { if case .damage(let report) = $0 { report } else { nil } }
    }

    @Test(arguments: [true, false])
    func concurrentWriterWithRollsLosesAndRepeatsNothing(inotify: Bool) throws {
        let dir = TemporaryDirectory()
        let log = dir.file("log")
        let writerOptions = NativeWriterOptions(segmentBytes: 6 << 10, blockBytes: 512, syncOnClose: false)
        // A first record, so that the log exists when the follower starts.
        try writeLog(log, [OwnedRecord(offset: 0, timestamp: 1, key: nil, value: Array("first".utf8))], options: writerOptions)
        let writer = ConcurrentWriter(directory: log, first: 1, count: 400, options: writerOptions)
        var options = ReplayOptions()
        options.follow = FollowOptions(partialTailTimeoutMillis: 10_000, pollIntervalMillis: 20, useInotify: inotify)
        let (records, events, summary) = follow(log, expected: 401, options: options)
        writer.done.wait()
        #expect(writer.error == nil)
        #expect(records.map(\.offset) == Array(0..<401).map(UInt64.init), "every record once, in order")
        #expect(zip(records.dropFirst(), writer.values).allSatisfy { $0.value == $1 })
        #expect(damageReports(events).isEmpty, "\(damageReports(events))")
        #expect(summary.failures == 0)
        #expect(try NativeLogDirectory.segments(in: log).count > 3, "the writer rolled while being followed")
    }

    /// A log whose segment ends inside its last block: the bytes before the
    /// cut, and the rest.
    func tornLog(_ dir: TemporaryDirectory) throws -> (path: String, head: [UInt8], rest: [UInt8], records: [OwnedRecord]) {
        let log = dir.file("log")
        let written = try writeLog(log, randomRecords(60, maxValue: 300, seed: 71), options: NativeWriterOptions(blockBytes: 1024))
        let segment = try NativeLogDirectory.segments(in: log)[0].path
        let bytes = readFile(segment)
        // Cut inside the last block (its header says how long it is).
        let index = try NativeIndex(path: try NativeLogDirectory.segments(in: log)[0].indexPath)
        let lastBlock = Int(try index.entry(index.entryCount - 1).position)
        let cut = lastBlock + 48 + (bytes.count - lastBlock - 48) / 2
        writeFile(segment, Array(bytes[..<cut]))
        return (segment, Array(bytes[..<cut]), Array(bytes[cut...]), written)
    }

    @Test func partialTailIsWaitedForUntilItCompletes() throws {
        let dir = TemporaryDirectory()
        let (segment, _, rest, written) = try tornLog(dir)
        var options = ReplayOptions()
        options.follow = FollowOptions(partialTailTimeoutMillis: 30_000, pollIntervalMillis: 20)
        let completer = Thread {
            usleep(300_000)
            let handle = FileHandle(forWritingAtPath: segment)!
            handle.seekToEndOfFile()
            handle.write(Data(rest))
            try? handle.close()
        }
        completer.start()
        let (records, events, summary) = follow(dir.file("log"), expected: written.count, options: options)
        #expect(records.count == written.count)
        #expect(zip(records, written).allSatisfy { $0.sameContent($1) })
        #expect(damageReports(events).isEmpty, "a tail that completes is not damage")
        #expect(summary.tornTails == 0 && !summary.damaged)
    }

    @Test func partialTailThatStaysIsATornTailAfterTheTimeout() throws {
        let dir = TemporaryDirectory()
        let (_, _, _, written) = try tornLog(dir)
        var options = ReplayOptions()
        options.follow = FollowOptions(partialTailTimeoutMillis: 200, pollIntervalMillis: 20)
        let (records, events, summary) = follow(dir.file("log"), expected: .max, options: options)
        let reports = damageReports(events)
        #expect(reports.count == 1 && reports.first?.reason == .truncated && reports.first?.action == .tolerated)
        #expect(summary.tornTails == 1)
        #expect(records.count < written.count && records.count > 0)
        #expect(zip(records, written).allSatisfy { $0.sameContent($1) })
    }

    @Test func newSegmentWithItsHeaderNotYetWrittenIsWaitedFor() throws {
        let source = TemporaryDirectory(), dir = TemporaryDirectory()
        let written = try writeLog(source.path, randomRecords(200, maxValue: 200, seed: 72),
                                   options: NativeWriterOptions(segmentBytes: 8 << 10, blockBytes: 1024))
        let segments = try NativeLogDirectory.segments(in: source.path)
        #expect(segments.count >= 2)
        let first = segments[0], second = segments[1]
        writeFile(Directory.join(dir.path, Directory.baseName(first.path)), readFile(first.path))
        let secondBytes = readFile(second.path)
        let target = Directory.join(dir.path, Directory.baseName(second.path))
        let expected = Int(second.baseSequence) + (segments.count > 2 ? Int(segments[2].baseSequence - second.baseSequence) : written.count - Int(second.baseSequence))
        let roller = Thread {
            usleep(200_000)
            writeFile(target, Array(secondBytes[..<20]))   // created, header incomplete
            usleep(200_000)
            let handle = FileHandle(forWritingAtPath: target)!
            handle.seekToEndOfFile()
            handle.write(Data(secondBytes[20...]))
            try? handle.close()
        }
        roller.start()
        var options = ReplayOptions()
        options.follow = FollowOptions(partialTailTimeoutMillis: 30_000, pollIntervalMillis: 20)
        let (records, events, summary) = follow(dir.path, expected: expected, options: options)
        #expect(records.map(\.offset) == Array(0..<expected).map(UInt64.init))
        #expect(damageReports(events).isEmpty)
        #expect(summary.failures == 0)
    }

    @Test func cliFollowPrintsAppendedRecords() throws {
        let dir = TemporaryDirectory()
        let log = dir.file("log")
        let writerOptions = NativeWriterOptions(segmentBytes: 4 << 10, blockBytes: 256, syncOnClose: false)
        try writeLog(log, [OwnedRecord(offset: 0, timestamp: 1, key: nil, value: Array("first".utf8))], options: writerOptions)
        let writer = ConcurrentWriter(directory: log, first: 1, count: 150, options: writerOptions)
        // --limit ends the follow once every record has been printed.
        let result = try runLogscan(["replay", "--follow", "--limit", "151", "--format", "jsonl", log])
        writer.done.wait()
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.out.split(separator: "\n").count == 151)
        let usage = try runLogscan(["replay", "--follow", log, log])
        #expect(usage.status == 2)
    }

    /// `grep --follow` searches what the writer appends: the matches among
    /// 150 records written while it runs, each once, in order (the regex
    /// selects record-N- for N ending in 7; counted here from the values).
    @Test func cliGrepFollowFindsAppendedMatches() throws {
        let dir = TemporaryDirectory()
        let log = dir.file("log")
        let writerOptions = NativeWriterOptions(segmentBytes: 4 << 10, blockBytes: 256, syncOnClose: false)
        try writeLog(log, [OwnedRecord(offset: 0, timestamp: 1, key: nil, value: Array("record-0-".utf8))], options: writerOptions)
        let writer = ConcurrentWriter(directory: log, first: 1, count: 150, options: writerOptions)
        let result = try runLogscan(["grep", "--follow", "--limit", "151", "--json", "record-[0-9]*7-", log])
        writer.done.wait()
        #expect(result.status == 0, "\(result.stderr)")
        let offsets = result.out.split(separator: "\n").compactMap { line -> Int? in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  object["type"] as? String == "match", let data = object["data"] as? [String: Any] else { return nil }
            return (data["offset"] as? NSNumber)?.intValue
        }
        let expected = (0...150).filter { $0 % 10 == 7 }
        #expect(offsets == expected)
        let usage = try runLogscan(["grep", "--follow", "-c", "x", log])
        #expect(usage.status == 2)
    }
}

extension FollowTests {
    /// Measures how long a written record takes to reach the follower
    /// (printed, not asserted: no timing assertions in tests). The record's
    /// timestamp is the time it was flushed to the file.
    @Test(arguments: [true, false])
    func latencyFromWriteToFollower(inotify: Bool) throws {
        let dir = TemporaryDirectory()
        let writerOptions = NativeWriterOptions(segmentBytes: 8 << 10, blockBytes: 256, syncOnClose: false)
        try writeLog(dir.path, [OwnedRecord(offset: 0, timestamp: currentTimeMillis(), key: nil, value: [0])], options: writerOptions)
        let path = dir.path
        let thread = Thread {
            guard let writer = try? NativeLogWriter(directory: path, options: writerOptions) else { return }
            for i in 1...100 {
                usleep(7_000)
                _ = try? writer.append(key: nil, value: [UInt8(i)], timestamp: currentTimeMillis())
                try? writer.flush()
            }
            try? writer.close()
        }
        thread.start()
        var options = ReplayOptions()
        options.follow = FollowOptions(pollIntervalMillis: 50, useInotify: inotify)
        let stop = ReplayStop()
        options.stop = stop
        let reader = LogReader(paths: [dir.path], options: options)
        var latencies: [Int64] = []
        var seen = 0
        let deadline = monotonicMillis() + 30_000
        loop: while true {
            switch reader.next(whenCaughtUp: { if seen >= 101 || monotonicMillis() > deadline { stop.request() } }) {
            case .record(let record):
                seen += 1
                if record.offset > 0 { latencies.append(currentTimeMillis() - record.timestamp!) }
            case .event: break
            case .end: break loop
            }
        }
        #expect(seen == 101)
        latencies.sort()
        print("follow latency (\(inotify ? "inotify" : "polling 50 ms")): median \(latencies[latencies.count / 2]) ms, max \(latencies.last ?? -1) ms over \(latencies.count) records")
    }
}

extension FollowTests {
    /// `replay --follow` flushes its output whenever it is caught up: a
    /// program reading its stdout sees each record while the follow goes on.
    @Test func cliFollowFlushesEachRecordToAPipe() throws {
        let dir = TemporaryDirectory()
        let writerOptions = NativeWriterOptions(segmentBytes: 4 << 10, blockBytes: 256, syncOnClose: false)
        try writeLog(dir.path, [OwnedRecord(offset: 0, timestamp: 1, key: nil, value: Array("r0".utf8))], options: writerOptions)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: logscanBinary)
        process.arguments = ["replay", "--follow", "--format", "jsonl", dir.path]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        // SIGKILL: the test runner's children inherit a signal mask that
        // blocks SIGTERM. The watchdog ends a follower that stopped printing,
        // so that a failure cannot hang the suite.
        let pid = process.processIdentifier
        let finished = DispatchSemaphore(value: 0)
        Thread {
            if finished.wait(timeout: .now() + 60) == .timedOut { kill(pid, SIGKILL) }
        }.start()
        defer {
            finished.signal()
            kill(pid, SIGKILL)
            process.waitUntilExit()
        }
        let writer = try NativeLogWriter(directory: dir.path, options: writerOptions)
        var received = ""
        // One record at a time: the next is written only after the previous
        // came out of the pipe, so nothing can be waiting in a buffer.
        for i in 1...40 {
            try writer.append(key: nil, value: Array("r\(i)".utf8), timestamp: Int64(i))
            try writer.flush()
            while !received.contains("\"offset\":\(i),") {
                let data = pipe.fileHandleForReading.availableData
                if data.isEmpty { break }
                received += String(decoding: data, as: UTF8.self)
            }
        }
        try writer.close()
        let lines = received.split(separator: "\n")
        #expect(lines.count == 41)
        #expect(lines.last?.contains("{\"text\":\"r40\"}") == true)
    }
}

extension FollowTests {
    /// A service's restart: resume after the last record it handled, then
    /// follow the writer from there.
    @Test func resumeThenFollow() throws {
        let dir = TemporaryDirectory()
        let writerOptions = NativeWriterOptions(segmentBytes: 4 << 10, blockBytes: 256, syncOnClose: false)
        try writeLog(dir.path, randomRecords(50, maxValue: 100, seed: 75), options: writerOptions)
        let token = LogReader(paths: [dir.path]).records.first { $0.offset == 29 }!.resumeToken
        let writer = ConcurrentWriter(directory: dir.path, first: 50, count: 60, options: writerOptions)
        var options = ReplayOptions()
        options.after = token
        options.follow = FollowOptions(pollIntervalMillis: 20)
        let (records, events, summary) = follow(dir.path, expected: 80, options: options)
        writer.done.wait()
        #expect(records.map(\.offset) == Array(30..<110).map(UInt64.init))
        #expect(damageReports(events).isEmpty && summary.failures == 0)
    }
}

extension FollowTests {
    /// With several logs, the ones before the last are read to their ends
    /// and only the last is followed.
    @Test func onlyTheLastOfSeveralLogsIsFollowed() throws {
        let a = TemporaryDirectory(), b = TemporaryDirectory()
        try writeLog(a.path, randomRecords(30, maxValue: 50, seed: 76), options: NativeWriterOptions())
        try writeLog(b.path, randomRecords(20, maxValue: 50, seed: 77), options: NativeWriterOptions())
        var options = ReplayOptions()
        options.follow = FollowOptions(pollIntervalMillis: 20)
        let (records, _, summary) = follow(a.path, expected: 0, options: options)
        #expect(records.count == 30 && summary.failures == 0)
        let stop = ReplayStop()
        options.stop = stop
        let reader = LogReader(paths: [a.path, b.path], options: options)
        var count = 0
        loop: while true {
            switch reader.next(whenCaughtUp: { stop.request() }) {
            case .record: count += 1
            case .event: break
            case .end: break loop
            }
        }
        #expect(count == 50, "both logs read before the follow waits")
    }
}

extension FollowTests {
    /// A Kafka partition written while it is followed: the clean fixture's
    /// batches appended in pieces (a batch is often half-written when the
    /// follower looks), segments rolled as the broker rolls them (the next
    /// .log appears once the previous one is complete). Every record of the
    /// reference comes out, once, in order, with the right value.
    @Test(arguments: [IOOptions.Mode.mmap, IOOptions.Mode.pread])
    func kafkaPartitionWrittenWhileFollowed(mode: IOOptions.Mode) throws {
        let dir = TemporaryDirectory()
        let source = KafkaFixtures.clean
        let segments = try FileManager.default.contentsOfDirectory(atPath: source).filter { $0.hasSuffix(".log") }.sorted()
        let partition = dir.file("logscan-events-0")
        mkdir(partition, 0o755)
        // The first segment starts empty, with its (empty) index files.
        let first = segments[0].dropLast(4)
        writeFile(partition + "/\(first).log", [])
        writeFile(partition + "/\(first).index", [])
        writeFile(partition + "/\(first).timeindex", [])
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            var rng = SplitMix64(seed: 17)
            for name in segments {
                let bytes = readFile(source + "/" + name)
                let path = partition + "/" + name
                if !FileManager.default.fileExists(atPath: path) { writeFile(path, []) }
                FollowTests.appendInPieces(bytes, to: path, using: &rng)
            }
            done.signal()
        }
        thread.start()
        var options = ReplayOptions(kind: .kafka, io: IOOptions(mode: mode))
        options.follow = FollowOptions(partialTailTimeoutMillis: 20_000, pollIntervalMillis: 5, useInotify: false)
        let reference = KafkaFixtures.partitionRecords(KafkaFixtures.root + "/reference").map(\.record)
        let (records, events, summary) = follow(partition, expected: reference.count, options: options)
        done.wait()
        #expect(records.map { Int64($0.offset) } == reference.map(\.offset))
        #expect(records.map { $0.value } == reference.map { $0.value })
        #expect(damageReports(events).isEmpty, "\(events)")
        #expect(summary.failures == 0)
    }
}

extension FollowTests {
    /// A RocksDB WAL written while it is followed: the plain fixture's
    /// 000004.log appended in pieces of 1 to 3000 bytes (fragments and
    /// 32 KiB blocks are often half there when the follower looks). Every
    /// write batch ldb dumps comes out once, in order.
    @Test(arguments: [IOOptions.Mode.mmap, IOOptions.Mode.pread])
    func walWrittenWhileFollowed(mode: IOOptions.Mode) throws {
        let dir = TemporaryDirectory()
        let fixture = repositoryRoot + "/testdata/rocksdb/plain"
        let bytes = readFile(fixture + "/db/000004.log")
        let expected = String(decoding: readFile(fixture + "/ref/000004.log.ldb_dump.txt"), as: UTF8.self)
            .split(separator: "\n").dropFirst().map { UInt64($0.split(separator: ",")[0])! }
        #expect(expected.count == 22)
        let path = dir.file("000004.log")
        writeFile(path, [])
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            var rng = SplitMix64(seed: 23)
            FollowTests.appendInPieces(bytes, to: path, using: &rng)
            done.signal()
        }
        thread.start()
        var options = ReplayOptions(kind: .rocksdb, io: IOOptions(mode: mode))
        options.follow = FollowOptions(partialTailTimeoutMillis: 20_000, pollIntervalMillis: 5, useInotify: false)
        let (records, events, summary) = follow(path, expected: expected.count, options: options)
        done.wait()
        #expect(records.map(\.offset) == expected)
        #expect(damageReports(events).isEmpty, "\(events)")
        #expect(summary.failures == 0)
    }
}

extension FollowTests {
    /// Appends `bytes` to `path` the way a writer that flushes often does:
    /// pieces of 1 to 3000 bytes, a pause of up to 2 ms after each.
    static func appendInPieces(_ bytes: [UInt8], to path: String, using rng: inout SplitMix64) {
        let fd = open(path, O_WRONLY | O_APPEND)
        var at = 0
        while at < bytes.count {
            let piece = min(bytes.count - at, Int.random(in: 1...3000, using: &rng))
            _ = bytes[at..<(at + piece)].withUnsafeBytes { write(fd, $0.baseAddress, piece) }
            at += piece
            usleep(UInt32.random(in: 0..<2000, using: &rng))
        }
        close(fd)
    }
}

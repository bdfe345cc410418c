import Foundation
import Testing
@testable import LogScan

/// The async API: everything in order under back-pressure, prompt
/// cancellation that releases the mappings, damage delivered in place.
@Suite struct AsyncLogReaderTests {
    /// The mappings of files under `directory` in this process (/proc/self/maps).
    func mappings(under directory: String) -> Int {
        let maps = String(decoding: readFile("/proc/self/maps"), as: UTF8.self)
        return maps.split(separator: "\n").filter { $0.contains(directory) }.count
    }

    /// Waits (up to 10 s) for the monitor's scans to end.
    func waitForScansToEnd(_ monitor: ScanMonitor) async -> Bool {
        for _ in 0..<1000 {
            if monitor.runningScans == 0 { return true }
            try? await Task.sleep(nanoseconds: 10_000_000)
        }
        return false
    }

    @Test func slowConsumerGetsEverythingInOrderWithBoundedBuffering() async throws {
        let dir = TemporaryDirectory()
        let written = try writeLog(dir.path, randomRecords(6000, maxValue: 4000, seed: 81),
                                   options: NativeWriterOptions(compression: .lz4, segmentBytes: 64 << 10, blockBytes: 4096))
        let stream = AsyncLogReader(paths: [dir.path], bufferedBatches: 2, batchRecords: 100, batchBytes: 16 << 10)
        var records: [OwnedRecord] = []
        var batches = 0
        var largestBatch = 0
        var summary: ReplaySummary?
        var segmentEvents = 0
        var heldBack = true
        for await chunk in stream {
            switch chunk {
            case .records(let batch):
                batches += 1
                largestBatch = max(largestBatch, batch.count)
                #expect(batch.count <= 100)
                for record in batch {
                    var owned = OwnedRecord(offset: record.offset, timestamp: record.timestamp,
                                            key: record.key.map(Array.init), value: record.value.map(Array.init))
                    owned.position = record.position
                    records.append(owned)
                }
                if heldBack {
                    // The consumer stalls: the scan must stop after filling
                    // the buffer, not run ahead through the log.
                    heldBack = false
                    try await Task.sleep(nanoseconds: 300_000_000)
                    #expect(stream.monitor.runningScans == 1)
                } else if batches % 10 == 0 {
                    try await Task.sleep(nanoseconds: 2_000_000)
                }
            case .event(.beginSegment):
                segmentEvents += 1
            case .event(let event):
                Issue.record("unexpected event \(event)")
            case .finished(let s):
                summary = s
            }
        }
        #expect(records.count == written.count)
        #expect(zip(records, written).allSatisfy { $0.sameContent($1) })
        #expect(summary?.records == written.count)
        #expect(segmentEvents == (try NativeLogDirectory.segments(in: dir.path)).count)
        #expect(batches >= written.count / 100)
        #expect(await waitForScansToEnd(stream.monitor))
    }

    @Test func producerStaysWithinTheBuffer() async throws {
        let dir = TemporaryDirectory()
        try writeLog(dir.path, randomRecords(5000, maxValue: 100, seed: 82), options: NativeWriterOptions(blockBytes: 2048))
        let stream = AsyncLogReader(paths: [dir.path], bufferedBatches: 2, batchRecords: 50, batchBytes: 1 << 20)
        var iterator = stream.makeAsyncIterator()
        _ = await iterator.next()  // beginSegment
        try await Task.sleep(nanoseconds: 300_000_000)
        // Taken so far: 1. Buffered: at most 2. One more may be in the
        // producer's hands, blocked on a full buffer.
        #expect(stream.monitor.chunksSent <= 1 + 2 + 1)
        var total = 0
        while let chunk = await iterator.next() {
            if case .records(let batch) = chunk { total += batch.count }
        }
        #expect(total == 5000)
    }

    @Test func cancellingTheTaskStopsTheScanAndUnmaps() async throws {
        let dir = TemporaryDirectory()
        try writeLog(dir.path, randomRecords(20000, maxValue: 3000, seed: 83),
                     options: NativeWriterOptions(segmentBytes: 4 << 20, blockBytes: 16 << 10))
        var options = ReplayOptions()
        options.io = IOOptions(mode: .mmap)
        let stream = AsyncLogReader(paths: [dir.path], options: options, bufferedBatches: 1, batchRecords: 64)
        let firstBatch = AsyncStream<Void>.makeStream()
        let consumer = Task {
            var seen = 0
            for await chunk in stream {
                if case .records(let batch) = chunk {
                    seen += batch.count
                    firstBatch.continuation.yield()
                }
            }
            return seen
        }
        for await _ in firstBatch.stream { break }
        #expect(mappings(under: dir.path) > 0, "the scan maps the segment")
        consumer.cancel()
        let seen = await consumer.value
        #expect(seen < 20000, "cancelled long before the end")
        #expect(await waitForScansToEnd(stream.monitor), "the scan thread ended")
        #expect(mappings(under: dir.path) == 0, "and released its mappings")
    }

    @Test func leavingTheLoopStopsAFollowedScan() async throws {
        let dir = TemporaryDirectory()
        try writeLog(dir.path, randomRecords(10, maxValue: 100, seed: 84), options: NativeWriterOptions())
        var options = ReplayOptions()
        options.follow = FollowOptions(pollIntervalMillis: 20)
        let stream = AsyncLogReader(paths: [dir.path], options: options)
        var count = 0
        for await chunk in stream {
            if case .records(let batch) = chunk { count += batch.count }
            if count == 10 { break }   // caught up: the batch came without waiting for more
        }
        #expect(count == 10)
        #expect(await waitForScansToEnd(stream.monitor))
    }

    @Test func followedRecordsArriveAsTheyAreWritten() async throws {
        let dir = TemporaryDirectory()
        let log = dir.file("log")
        let writerOptions = NativeWriterOptions(segmentBytes: 4 << 10, blockBytes: 300, syncOnClose: false)
        try writeLog(log, [OwnedRecord(offset: 0, timestamp: 1, key: nil, value: [1])], options: writerOptions)
        var options = ReplayOptions()
        options.follow = FollowOptions(pollIntervalMillis: 20)
        let stream = AsyncLogReader(paths: [log], options: options)
        let writer = FollowTests.ConcurrentWriter(directory: log, first: 1, count: 200, options: writerOptions)
        var offsets: [UInt64] = []
        for await chunk in stream {
            if case .records(let batch) = chunk { offsets += batch.map(\.offset) }
            if offsets.count >= 201 { break }
        }
        writer.done.wait()
        #expect(offsets == Array(0..<201).map(UInt64.init))
        #expect(await waitForScansToEnd(stream.monitor))
    }

    @Test func damageAndFailuresArriveInPlace() async throws {
        let dir = TemporaryDirectory()
        let written = try writeLog(dir.path, randomRecords(300, maxValue: 100, seed: 85), options: NativeWriterOptions(blockBytes: 1024))
        let segment = try NativeLogDirectory.segments(in: dir.path)[0].path
        var bytes = readFile(segment)
        bytes[bytes.count / 2] ^= 0x01
        writeFile(segment, bytes)
        let stream = AsyncLogReader(paths: [dir.path, dir.file("missing")])
        var records = 0
        var damageAfter: Int?
        var failures = 0
        var summary: ReplaySummary?
        for await chunk in stream {
            switch chunk {
            case .records(let batch): records += batch.count
            case .event(.damage(let report)):
                #expect(report.reason == .badChecksum)
                damageAfter = records
            case .event(.failure): failures += 1
            case .event: break
            case .finished(let s): summary = s
            }
        }
        #expect(damageAfter == records && records > 0 && records < written.count)
        #expect(failures == 1)
        #expect(summary?.damaged == true && summary?.failures == 1)
    }
}

/// Iterating from the main actor compiles under strict concurrency and works.
@MainActor @Test func asyncReaderFromTheMainActor() async throws {
    let dir = TemporaryDirectory()
    try writeLog(dir.path, randomRecords(50, maxValue: 100, seed: 86), options: NativeWriterOptions())
    var offsets: [UInt64] = []
    for await case .records(let batch) in AsyncLogReader(paths: [dir.path]) {
        offsets += batch.map(\.offset)
    }
    #expect(offsets == Array(0..<50).map(UInt64.init))
}

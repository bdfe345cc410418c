import Testing
@testable import LogScan

/// The pull API gives what the push API gives, events included.
@Suite struct LogReaderTests {
    @Test func pullEqualsPush() throws {
        let dir = TemporaryDirectory()
        let written = try writeLog(dir.path, randomRecords(500, maxValue: 3000, seed: 51),
                                   options: NativeWriterOptions(compression: .lz4, segmentBytes: 32 << 10, blockBytes: 2048))
        let reader = LogReader(paths: [dir.path])
        let pulled = reader.records.map { OwnedRecord($0) }
        #expect(pulled.count == written.count)
        #expect(zip(pulled, written).allSatisfy { $0.sameContent($1) })
        #expect(reader.events.allSatisfy { if case .beginSegment = $0 { true } else { false } })
        #expect(reader.summary.records == 500)
        #expect(reader.summary.segments == (try NativeLogDirectory.segments(in: dir.path)).count)
    }

    @Test func stepsReportDamageInOrder() throws {
        let dir = TemporaryDirectory()
        try writeLog(dir.path, randomRecords(200, maxValue: 100, seed: 52), options: NativeWriterOptions(blockBytes: 1024))
        let segment = try NativeLogDirectory.segments(in: dir.path)[0].path
        var bytes = readFile(segment)
        bytes[bytes.count / 2] ^= 1
        writeFile(segment, bytes)
        let reader = LogReader(paths: [dir.path, dir.file("missing")], options: ReplayOptions(limit: 10_000))
        var records = 0
        var sawDamageAfterRecords = false
        var failures = 0
        loop: while true {
            switch reader.next() {
            case .record: records += 1
            case .event(.damage(let report)):
                sawDamageAfterRecords = records > 0 && report.reason == .badChecksum
            case .event(.failure): failures += 1
            case .event: break
            case .end: break loop
            }
        }
        #expect(sawDamageAfterRecords)
        #expect(failures == 1, "the missing second path")
        #expect(reader.summary.damaged && reader.summary.failures == 1)
    }

    @Test func limitStopsThePull() throws {
        let dir = TemporaryDirectory()
        try writeLog(dir.path, randomRecords(100, maxValue: 100, seed: 53), options: NativeWriterOptions(blockBytes: 1024))
        let reader = LogReader(paths: [dir.path, dir.path], options: ReplayOptions(fromOffset: 95, limit: 8))
        #expect(reader.records.map(\.offset) == [95, 96, 97, 98, 99, 95, 96, 97])
    }
}

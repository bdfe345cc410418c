import Testing
@testable import LogScan

/// --from and --from-time through the index, and the fallbacks when the
/// index is missing or lies.
@Suite struct NativeSeekTests {
    static func makeLog() throws -> (TemporaryDirectory, [OwnedRecord]) {
        let dir = TemporaryDirectory()
        var records = randomRecords(2000, maxValue: 400, seed: 21)
        // Timestamps that go backwards now and then, as real producers' do.
        for i in records.indices where i % 50 == 0 { records[i].timestamp = 1_700_000_000_000 }
        let written = try writeLog(dir.path, records, options: NativeWriterOptions(segmentBytes: 32 << 10, blockBytes: 2048))
        return (dir, written)
    }

    @Test func fromEverySequence() throws {
        let (dir, written) = try Self.makeLog()
        for from in stride(from: 0, through: 2010, by: 37).map(UInt64.init) {
            let (sink, summary) = replay(dir.path, ReplayOptions(fromOffset: from))
            let expected = written.filter { $0.offset >= from }
            #expect(sink.records.count == expected.count, "from \(from)")
            #expect(sink.records.first?.offset == expected.first?.offset)
            #expect(sink.warnings.isEmpty && !summary.damaged)
        }
    }

    @Test func fromTimeReturnsEveryRecordAtOrAfter() throws {
        let (dir, written) = try Self.makeLog()
        for t in [Int64.min, 0, 1_700_000_000_000, 1_700_000_005_000, 1_700_000_019_000, 1_800_000_000_000] {
            let (sink, _) = replay(dir.path, ReplayOptions(fromTime: t))
            let expected = written.filter { ($0.timestamp ?? .min) >= t && $0.timestamp != nil }
            #expect(sink.records.map(\.offset) == expected.map(\.offset), "from-time \(t)")
        }
    }

    @Test func seeksAreIndexLookupsNotScans() throws {
        let (dir, _) = try Self.makeLog()
        let segments = try NativeLogDirectory.segments(in: dir.path)
        let last = segments.last!
        var sink = CollectingSink()
        let summary = LogReplayer(options: ReplayOptions(fromOffset: 1990)).run([dir.path], into: &sink)
        #expect(sink.segments == [last.path], "segments before the target are not opened")
        #expect(summary.bytes < 4096, "only the block holding the target is decoded")
    }

    @Test func missingIndexFallsBackToScanWithWarning() throws {
        let (dir, written) = try Self.makeLog()
        let segment = try NativeLogDirectory.segments(in: dir.path)[3]
        unlink(segment.indexPath)
        let (sink, _) = replay(dir.path, ReplayOptions(fromOffset: segment.baseSequence + 5))
        #expect(sink.records.first?.offset == segment.baseSequence + 5)
        #expect(sink.records.count == written.count - Int(segment.baseSequence) - 5)
        #expect(sink.warnings.contains { $0.contains("no index") })
    }

    @Test func lyingIndexEntryIsDetected() throws {
        let (dir, written) = try Self.makeLog()
        let segment = try NativeLogDirectory.segments(in: dir.path)[2]
        var index = readFile(segment.indexPath)
        // Point every entry's position 7 bytes off.
        for entry in 0..<((index.count - 32) / 24) {
            index[32 + entry * 24 + 8] &+= 7
        }
        writeFile(segment.indexPath, index)
        let target = segment.baseSequence + 20
        let (sink, summary) = replay(dir.path, ReplayOptions(fromOffset: target))
        #expect(sink.records.first?.offset == target)
        #expect(sink.records.count == written.count - Int(target))
        #expect(!summary.damaged, "a bad index is not damage of the log")
        #expect(sink.warnings.contains { $0.contains("scanning") })
    }

    @Test func pastTheEndGivesNothing() throws {
        let (dir, _) = try Self.makeLog()
        let (sink, summary) = replay(dir.path, ReplayOptions(fromOffset: 1_000_000))
        #expect(sink.records.isEmpty && summary.failures == 0 && !summary.damaged)
        let (late, lateSummary) = replay(dir.path, ReplayOptions(fromTime: 1_900_000_000_000))
        #expect(late.records.isEmpty && lateSummary.failures == 0)
    }

    @Test func limitCountsRecordsRead() throws {
        let (dir, _) = try Self.makeLog()
        let (sink, _) = replay(dir.path, ReplayOptions(fromOffset: 100, limit: 7))
        #expect(sink.records.map(\.offset) == Array(100..<107))
    }

    @Test func indexEntriesMatchBlocks() throws {
        let (dir, _) = try Self.makeLog()
        for segment in try NativeLogDirectory.segments(in: dir.path) {
            let index = try NativeIndex(path: segment.indexPath)
            let reader = try NativeSegmentReader(source: ByteSource(file: OpenFile(path: segment.path), options: IOOptions()))
            var entries: [NativeIndexEntry] = []
            var maxSoFar = Int64.min
            while try reader.nextBlock() {
                maxSoFar = max(maxSoFar, reader.blockHeader!.maxTimestamp)
                entries.append(NativeIndexEntry(firstSequence: reader.blockHeader!.firstSequence, position: reader.blockPosition, maxTimestampSoFar: maxSoFar))
            }
            #expect(try index.allEntries() == entries)
            #expect(index.baseSequence == segment.baseSequence)
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif

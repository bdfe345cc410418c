import Testing
@testable import LogScan

/// Records written by NativeLogWriter come back unchanged through every I/O
/// path, window size, block size and segment size.
@Suite struct NativeRoundTripTests {
    static let ioModes: [IOOptions] = [
        IOOptions(mode: .mmap),
        IOOptions(mode: .mmap, populate: true),
        // Windows far smaller than the blocks and records: every large record straddles several.
        IOOptions(mode: .mmap, windowBytes: 4 * PageSize.bytes),
        IOOptions(mode: .pread),
        IOOptions(mode: .pread, readBufferBytes: 4096),
        IOOptions(mode: .auto),
        // O_DIRECT scans (the test directory is on a file system that allows it).
        IOOptions(mode: .direct),
        { var o = IOOptions(mode: .mmap, windowBytes: 16 * PageSize.bytes); o.advice = .sequential; return o }(),
        { var o = IOOptions(mode: .pread); o.readAheadThread = false; return o }(),
    ]

    @Test(arguments: [NativeFormat.Codec.none, .lz4])
    func randomPayloadsAcrossRollsAndWindows(codec: NativeFormat.Codec) throws {
        let dir = TemporaryDirectory()
        let records = randomRecords(600, maxValue: 1 << 20, seed: codec == .none ? 1 : 2)
        let options = NativeWriterOptions(compression: codec, segmentBytes: 1 << 20, blockBytes: 8 << 10)
        let written = try writeLog(dir.path, records, options: options)
        let segments = try NativeLogDirectory.segments(in: dir.path)
        #expect(segments.count > 3, "segments must roll")
        for io in Self.ioModes {
            let (sink, summary) = replay(dir.path, ReplayOptions(io: io))
            #expect(sink.failures.isEmpty && sink.damage.isEmpty, "\(io)")
            #expect(summary.records == written.count)
            #expect(zip(sink.records, written).allSatisfy { $0.sameContent($1) }, "\(io)")
        }
    }

    @Test func largestValuesAndEmptyAndNull() throws {
        let dir = TemporaryDirectory()
        var rng = SplitMix64(seed: 3)
        let records = [
            OwnedRecord(offset: 0, timestamp: 0, key: nil, value: []),
            OwnedRecord(offset: 0, timestamp: nil, key: [], value: nil),
            OwnedRecord(offset: 0, timestamp: -5, key: rng.bytes(1000), value: rng.bytes(1 << 20)),
            OwnedRecord(offset: 0, timestamp: .max, key: nil, value: rng.bytes(1 << 20)),
            OwnedRecord(offset: 0, timestamp: .min + 1, key: [0], value: [0]),
        ]
        let written = try writeLog(dir.path, records, options: NativeWriterOptions(blockBytes: 4096))
        let (sink, _) = replay(dir.path, ReplayOptions(io: IOOptions(windowBytes: PageSize.bytes)))
        #expect(sink.records.count == 5)
        #expect(zip(sink.records, written).allSatisfy { $0.sameContent($1) })
    }

    @Test func emptyLogAndEmptySegment() throws {
        let dir = TemporaryDirectory()
        let writer = try NativeLogWriter(directory: dir.path)
        try writer.close()
        // No block was written, so no segment exists: the directory is not a log yet.
        let (sink, summary) = replay(dir.path)
        #expect(sink.records.isEmpty)
        #expect(summary.failures == 1)
    }

    @Test func appendingContinuesSequenceNumbers() throws {
        let dir = TemporaryDirectory()
        let options = NativeWriterOptions(segmentBytes: 64 << 10, blockBytes: 1024)
        let first = try writeLog(dir.path, randomRecords(300, maxValue: 500, seed: 4), options: options)
        let second = try writeLog(dir.path, randomRecords(300, maxValue: 500, seed: 5), options: options)
        #expect(second.first!.offset == UInt64(first.count))
        let (sink, summary) = replay(dir.path)
        #expect(summary.records == 600 && !summary.damaged)
        #expect(zip(sink.records, first + second).allSatisfy { $0.sameContent($1) })
        #expect(sink.records.map(\.offset) == Array(0..<600))
    }

    @Test func recordLargerThanBlockAndSegmentGetsItsOwn() throws {
        let dir = TemporaryDirectory()
        var rng = SplitMix64(seed: 6)
        let big = rng.bytes(200_000)
        let records = [OwnedRecord(offset: 0, timestamp: 1, key: nil, value: [1]),
                       OwnedRecord(offset: 0, timestamp: 2, key: nil, value: big),
                       OwnedRecord(offset: 0, timestamp: 3, key: nil, value: [3])]
        try writeLog(dir.path, records, options: NativeWriterOptions(segmentBytes: 100_000, blockBytes: 4096))
        let segments = try NativeLogDirectory.segments(in: dir.path)
        #expect(segments.map(\.baseSequence) == [0, 1, 2])
        let (sink, _) = replay(dir.path)
        #expect(sink.records.map(\.value) == [[1], big, [3]])
    }

    @Test func singleSegmentFileAndStdinKeepTrueSequenceNumbers() throws {
        let dir = TemporaryDirectory()
        try writeLog(dir.path, randomRecords(200, maxValue: 300, seed: 9), options: NativeWriterOptions(segmentBytes: 8 << 10, blockBytes: 1024))
        let segments = try NativeLogDirectory.segments(in: dir.path)
        let third = segments[2]
        let (sink, _) = replay(third.path)
        #expect(sink.records.first?.offset == third.baseSequence)
        #expect(sink.failures.isEmpty && sink.damage.isEmpty)
    }

    @Test func lz4IsUsedOnlyWhenItPays() throws {
        let dir = TemporaryDirectory()
        var rng = SplitMix64(seed: 10)
        var records: [OwnedRecord] = []
        for i in 0..<64 { records.append(OwnedRecord(offset: 0, timestamp: Int64(i), key: nil, value: compressible(1000, &rng))) }
        for i in 0..<64 { records.append(OwnedRecord(offset: 0, timestamp: Int64(i), key: nil, value: rng.bytes(1000))) }
        try writeLog(dir.path, records, options: NativeWriterOptions(compression: .lz4, blockBytes: 16 << 10))
        let reader = try NativeSegmentReader(source: ByteSource(file: OpenFile(path: NativeLogDirectory.segments(in: dir.path)[0].path), options: IOOptions()))
        var codecs: [NativeFormat.Codec] = []
        while try reader.nextBlock() { codecs.append(reader.blockHeader!.codec) }
        #expect(codecs.first == .lz4, "text compresses")
        #expect(codecs.last == NativeFormat.Codec.none, "random bytes are stored raw")
    }
}

/// The parsers' entry points for fuzzing (the `logscan-fuzz` executable):
/// each takes arbitrary bytes and must return without crashing, hanging,
/// reading out of bounds, or allocating what a corrupt length asks for.
/// Public so that the fuzzer binary can reach them without @testable.
public enum FuzzTargets {
    /// A native segment: every block decoded, every record handed out,
    /// damage skipped over by resynchronization (the skip-corrupted path).
    public static func nativeSegment(_ data: UnsafeRawBufferPointer) {
        let source = ByteSource(memory: data, name: "fuzz")
        guard let reader = try? NativeSegmentReader(source: source) else { return }
        var sink: UInt64 = 0
        var steps = 0
        while steps < 1 << 16 {
            steps += 1
            do throws(LogScanError) {
                guard let record = try reader.next() else { return }
                sink &+= record.sequence &+ UInt64(record.key?.count ?? 0) &+ UInt64(record.value?.last ?? 0)
            } catch {
                guard let position = error.position, (try? reader.resynchronize(after: position)) ?? nil != nil else { return }
            }
        }
        blackHole(sink)
    }

    /// A native index: header checks, and both binary searches.
    public static func nativeIndex(_ data: UnsafeRawBufferPointer) {
        guard data.count >= 8 else { return }
        let probe = data.baseAddress!.loadUnaligned(as: UInt64.self)
        let source = ByteSource(memory: data, name: "fuzz.idx")
        guard let index = try? NativeIndex(source: source) else { return }
        _ = try? index.floor(sequence: probe)
        _ = try? index.first(reachingTimestamp: Int64(bitPattern: probe))
        _ = try? index.allEntries()
    }

    /// LZ4 blocks with a declared size (the first 4 bytes, bounded like a
    /// block header's raw size): inflating never writes past the buffer.
    public static func lz4Block(_ data: UnsafeRawBufferPointer) {
        guard data.count >= 4 else { return }
        let declared = Int(data.baseAddress!.loadUnaligned(as: UInt32.self) % (1 << 20))
        let stored = UnsafeRawBufferPointer(rebasing: data[4...])
        guard declared <= LZ4Block.maxDecompressedSize(storedCount: stored.count) else { return }
        let output = UnsafeMutableRawBufferPointer.allocate(byteCount: max(declared, 1), alignment: 16)
        defer { output.deallocate() }
        _ = LZ4Block.decompress(stored, into: UnsafeMutableRawBufferPointer(rebasing: output[0..<declared]))
    }

    /// The search engine on a native segment, with a pattern taken from the
    /// input's first line: regex compilation, the required-literal
    /// extraction, the SIMD literal search, the fused checksum probe
    /// (checked against the plain CRC and the plain search) and the prefilter.
    public static func search(_ data: UnsafeRawBufferPointer) {
        guard let newline = data.firstIndex(of: 0x0A), newline < 64 else { return }
        let pattern = Array(data[0..<newline])
        let segment = UnsafeRawBufferPointer(rebasing: data[(newline + 1)...])
        _ = RequiredLiteral.extract(from: pattern)
        let finder = LiteralFinder(pattern, caseless: pattern.first.map { $0 & 1 == 1 } ?? false)
        _ = finder.allRanges(in: segment)
        checkProbe(segment, finder)
        guard let matcher = try? RecordMatcher(patterns: [pattern], fixedStrings: pattern.count % 2 == 0, caseInsensitive: false,
                                               invert: false, field: .any) else { return }
        let state = matcher.makeState()
        let source = ByteSource(memory: segment, name: "fuzz")
        guard let reader = try? NativeSegmentReader(source: source) else { return }
        reader.probe = finder
        var matches = 0
        while let record = try? reader.next() {
            if state.recordMatches(.native(record)) { matches += state.submatches(.native(record)).count }
        }
        blackHole(UInt64(matches))
    }

    /// The promise grep's speed rests on: when the patterns match a value,
    /// one of the matcher's prefilter literals occurs in it (records without
    /// a prefilter hit are never matched). Input: a flags byte (bit 0 -i,
    /// bit 1 -F), then patterns separated by NUL up to a newline, then the
    /// value.
    public static func prefilter(_ data: UnsafeRawBufferPointer) {
        guard data.count >= 2 else { return }
        let flags = data[0]
        let body = UnsafeRawBufferPointer(rebasing: data[1...])
        guard let newline = body.firstIndex(of: 0x0A), newline > 0, newline < 96 else { return }
        let patterns = body[0..<newline].split(separator: 0, omittingEmptySubsequences: true).prefix(3).map { Array($0) }
        guard !patterns.isEmpty else { return }
        let value = UnsafeRawBufferPointer(rebasing: body[(newline + 1)...])
        guard let matcher = try? RecordMatcher(patterns: patterns, fixedStrings: flags & 2 != 0, caseInsensitive: flags & 1 != 0,
                                               invert: false, field: .value),
              !matcher.prefilter.isEmpty, matcher.makeState().matches(value) else { return }
        precondition(matcher.prefilter.contains { $0.firstIndex(in: value) != nil },
                     "a match holds none of the prefilter literals")
    }

    /// logscan_crc32c_probe must give the plain CRC32C, and its occurrences
    /// plus a plain search of what it left must be every occurrence. A small
    /// hit buffer, so that running out of room is exercised too.
    static func checkProbe(_ bytes: UnsafeRawBufferPointer, _ finder: LiteralFinder) {
        guard !finder.needle.isEmpty else { return }
        let hits = UnsafeMutableBufferPointer<UInt32>.allocate(capacity: 8)
        defer { hits.deallocate() }
        let probed = CRC32C.checksum(bytes, probing: finder.literal, hits: hits)
        precondition(probed.crc == CRC32C.checksum(bytes), "probe checksum differs")
        precondition(probed.searched <= bytes.count, "probe searched past the end")
        let found = hits[0..<probed.found].map(Int.init) + finder.offsets(in: bytes, from: probed.searched)
        precondition(found == finder.offsets(in: bytes), "probe occurrences differ")
    }

    /// A Kafka segment: every batch (v0/v1/v2, every codec) decoded, every
    /// record and header handed out, damage skipped over by resynchronization.
    public static func kafkaSegment(_ data: UnsafeRawBufferPointer) {
        let reader = KafkaSegmentReader(source: ByteSource(memory: data, name: "fuzz.log"), baseOffset: 0)
        var sink: UInt64 = 0
        var steps = 0
        while steps < 1 << 16 {
            steps += 1
            do throws(LogScanError) {
                guard let record = try reader.next() else { return }
                sink &+= UInt64(bitPattern: record.offset) &+ UInt64(record.key?.count ?? 0) &+ UInt64(record.value?.last ?? 0)
                for header in record.headers { sink &+= UInt64(header.key.count) &+ UInt64(header.value?.count ?? 0) }
            } catch {
                guard let position = error.position, (try? reader.resynchronize(after: position)) ?? nil != nil else { return }
            }
        }
        blackHole(sink)
    }

    /// Kafka `.index` and `.timeindex` files: the start-up checks, and
    /// lookups through both. The first byte picks the kind.
    public static func kafkaIndex(_ data: UnsafeRawBufferPointer) {
        guard data.count >= 9 else { return }
        let kind: KafkaIndex.Kind = data[0] & 1 == 0 ? .offset : .time
        let probe = Int64(bitPattern: data.baseAddress!.loadUnaligned(fromByteOffset: 1, as: UInt64.self))
        let body = UnsafeRawBufferPointer(rebasing: data[9...])
        guard let index = try? KafkaIndex(source: ByteSource(memory: body, name: "fuzz.index"), kind: kind,
                                          baseOffset: 1000, logSize: 1 << 20) else { return }
        _ = try? index.floor(probe)
        _ = try? index.allEntries()
    }

    /// Kafka's codecs on arbitrary input (the first byte picks gzip, snappy,
    /// LZ4 frame, legacy LZ4 frame or zstd), under the bound a batch gets.
    public static func kafkaCodecs(_ data: UnsafeRawBufferPointer) {
        guard data.count >= 1 else { return }
        let codecs: [(KafkaCodec, Bool)] = [(.gzip, false), (.snappy, false), (.lz4, false), (.lz4, true), (.zstd, false)]
        let (codec, legacy) = codecs[Int(data[0]) % codecs.count]
        let decompressor = KafkaDecompressor()
        _ = try? decompressor.inflate(codec, UnsafeRawBufferPointer(rebasing: data[1...]), bound: 1 << 20, legacyLZ4: legacy)
    }

    /// A LevelDB/RocksDB WAL: blocks, fragments (legacy and recyclable),
    /// compression records and zstd, then every op of every batch; damage
    /// skipped as skip-corrupted replay does. The first byte picks the
    /// dialect (LevelDB or RocksDB) and the log number (for recycled records).
    public static func walLog(_ data: UnsafeRawBufferPointer) {
        guard data.count >= 1 else { return }
        let kind: LogKind = data[0] & 1 == 0 ? .rocksdb : .leveldb
        let logNumber = UInt64(data[0] >> 1)
        let body = UnsafeRawBufferPointer(rebasing: data[1...])
        let reader = WALSegmentReader(source: ByteSource(memory: body, name: "000004.log"), kind: kind, logNumber: logNumber)
        var sink: UInt64 = 0
        var steps = 0
        while steps < 1 << 16 {
            steps += 1
            do throws(LogScanError) {
                guard let batch = try reader.next() else { return }
                sink &+= batch.sequence &+ UInt64(batch.count)
                var ops = WriteBatchOps(batch.bytes, leveldb: kind == .leveldb)
                while let op = ops.next() { sink &+= UInt64(op.first?.count ?? 0) &+ UInt64(op.second?.count ?? 0) }
            } catch {
                guard reader.resumeAfterDamage() != nil else { return }
            }
        }
        blackHole(sink)
    }

    /// One WriteBatch's bytes, decoded op by op (every tag, column-family
    /// ids, varint lengths); the first byte picks LevelDB's rules.
    public static func writeBatch(_ data: UnsafeRawBufferPointer) {
        guard data.count >= 1 else { return }
        let leveldb = data[0] & 1 == 1
        let body = UnsafeRawBufferPointer(rebasing: data[1...])
        _ = WriteBatchOps.validate(body, leveldb: leveldb)
        var ops = WriteBatchOps(body, leveldb: leveldb)
        var sink: UInt64 = 0
        while let op = ops.next() { sink &+= UInt64(op.first?.count ?? 0) &+ UInt64(op.second?.count ?? 0) &+ UInt64(op.columnFamily) }
        blackHole(sink)
    }

    @inline(never)
    static func blackHole(_ value: UInt64) {
        if value == 0x5EED_F00D_DEAD_BEEF { print("") }
    }
}

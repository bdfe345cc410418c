/// Decides which format a file or directory holds, for `--kind auto`, and
/// lists a directory's segments in replay order. Each format's layout rules
/// live in their own file beside this one.
///
/// auto, for a directory: Kafka when it holds `<20 digits>.log` files with
/// `.index` files; a LevelDB/RocksDB database when it holds `CURRENT` or
/// `MANIFEST-*` (RocksDB when it also holds `OPTIONS-*`); native when it holds
/// `<20 digits>.seg` files. For a file: native segments by their magic bytes,
/// a whole Kafka batch with a valid CRC at byte 0, a whole WAL record with a
/// valid CRC at byte 0 (LevelDB beside a LevelDB database, else RocksDB);
/// otherwise by name and neighbours with the same rules.
public enum LogDetector {
    public static func segments(inDirectory directory: String, kind: LogKind) throws(LogScanError) -> [LogInput.Segment] {
        switch kind {
        case .native: return try NativeLayout.segments(in: directory)
        case .leveldb, .rocksdb: return try WALLayout.segments(in: directory, kind: kind)
        case .kafka: return try KafkaLayout.segments(in: directory)
        case .auto:
            let names = try Directory.entries(directory)
            if KafkaLayout.looksLikePartition(names) { return try KafkaLayout.segments(in: directory) }
            if let walKind = WALLayout.databaseKind(names) { return try WALLayout.segments(in: directory, kind: walKind) }
            return try NativeLayout.segments(in: directory)
        }
    }

    public static func segment(file path: String, kind: LogKind) throws(LogScanError) -> LogInput.Segment {
        var resolved = kind
        if kind == .auto {
            guard let found = try sniff(path) ?? byName(path) ?? (path.hasSuffix("." + NativeFormat.segmentExtension) ? .native : nil) else {
                throw LogScanError(path: path, .usage("cannot tell which log format this file holds (no native segment magic, no valid Kafka batch at byte 0, not named like a Kafka segment or a WAL beside its database files); name it with --kind"))
            }
            resolved = found
        }
        switch resolved {
        case .native, .auto: return NativeLayout.segment(file: path)
        case .leveldb, .rocksdb: return WALLayout.segment(file: path, kind: resolved)
        case .kafka: return KafkaLayout.segment(file: path)
        }
    }

    /// The kind a file's first bytes show, or nil when they show none.
    static func sniff(_ path: String) throws(LogScanError) -> LogKind? {
        let file = try OpenFile(path: path)
        defer { file.close() }
        guard file.isSeekable else { return nil }
        let source = try ByteSource(file: file, options: IOOptions(mode: .pread, readBufferBytes: 4096), purpose: .lookup)
        let head = try source.bytes(at: 0, count: 8)
        if NativeSegmentHeader.hasMagic(head) { return .native }
        if try KafkaLayout.sniff(source) { return .kafka }
        if try WALLayout.sniff(source) {
            // Known by name and neighbours first (LevelDB or RocksDB);
            // otherwise RocksDB, whose reader reads LevelDB logs too.
            return byName(path) ?? .rocksdb
        }
        return nil
    }

    /// The kind a file's name and its neighbours show.
    static func byName(_ path: String) -> LogKind? {
        let directory = Directory.parent(path)
        let names = (try? Directory.entries(directory)) ?? []
        let name = Directory.baseName(path)
        if KafkaLayout.isSegmentName(name) && KafkaLayout.looksLikePartition(names) { return .kafka }
        if WALLayout.isLogName(name), let kind = WALLayout.databaseKind(names) { return kind }
        return nil
    }
}

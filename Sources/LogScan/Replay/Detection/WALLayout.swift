/// LevelDB/RocksDB database directories: write-ahead logs are `NNNNNN.log`
/// beside `CURRENT` and `MANIFEST-*`, replayed in log-number order.
///
/// Everything else is passed over: `LOCK`, `LOG`, `LOG.old.*`,
/// `MANIFEST-*`, `OPTIONS-*`, `CURRENT`, `IDENTITY`, table files (`*.sst`,
/// `*.ldb`), and anything a user dropped there. Obsolete WALs that the
/// database has not deleted yet (RocksDB keeps some for recycling), below
/// the MANIFEST's oldest live log number, are passed over with a warning
/// (`droppingObsolete`).
enum WALLayout {
    /// LevelDB or RocksDB when the directory holds `CURRENT` or a
    /// `MANIFEST-*`; RocksDB when it also holds `OPTIONS-*`.
    static func databaseKind(_ names: [String]) -> LogKind? {
        guard names.contains(where: { $0 == "CURRENT" || $0.hasPrefix("MANIFEST-") }) else { return nil }
        return names.contains(where: { $0.hasPrefix("OPTIONS-") }) ? .rocksdb : .leveldb
    }

    /// Digits followed by `.log`.
    static func isLogName(_ name: String) -> Bool { WALFormat.logNumberIfLogName(name) != nil }

    static func segments(in directory: String, kind: LogKind) throws(LogScanError) -> [LogInput.Segment] {
        let names = try Directory.entries(directory)
        return names.compactMap { name -> (UInt64, String)? in
            guard let number = WALFormat.logNumberIfLogName(name) else { return nil }
            return (number, name)
        }
        .sorted { $0.0 < $1.0 }
        .map { LogInput.Segment(path: Directory.join(directory, $0.1), kind: kind, baseOffset: nil, indexPath: nil) }
    }

    /// Leaves out the WALs below the oldest log the MANIFEST still needs
    /// (WALManifest); returns what is left and a warning naming what was
    /// left out. Unchanged when the MANIFEST cannot be read, or when every
    /// WAL would go (then they are what there is to see).
    static func droppingObsolete(_ segments: [LogInput.Segment], directory: String) -> ([LogInput.Segment], [String]) {
        guard let minimum = WALManifest.minimumLiveLogNumber(directory: directory) else { return (segments, []) }
        let live = segments.filter { WALFormat.logNumber(fileName: Directory.baseName($0.path)) >= minimum }
        guard live.count < segments.count, !live.isEmpty else { return (segments, []) }
        let obsolete = segments.filter { WALFormat.logNumber(fileName: Directory.baseName($0.path)) < minimum }
            .map { Directory.baseName($0.path) }
        return (live, ["\(directory): passing over obsolete WAL\(obsolete.count == 1 ? "" : "s") \(obsolete.joined(separator: ", ")) (below log number \(minimum), the oldest the MANIFEST still needs); name a file to read it"])
    }

    /// WAL segments carry no base offset: the file name is a log number,
    /// not a sequence, so --from cannot pass files over by name.
    static func segment(file path: String, kind: LogKind) -> LogInput.Segment {
        LogInput.Segment(path: path, kind: kind, baseOffset: nil, indexPath: nil)
    }

    /// For `--kind auto` on a file with no database beside it: true when a
    /// whole WAL record (FULL, FIRST, or kSetCompressionType, legacy or
    /// recyclable) whose CRC holds starts at byte 0.
    static func sniff(_ source: ByteSource) throws(LogScanError) -> Bool {
        let view = try source.bytes(at: 0, count: WALFormat.blockSize)
        var copy = [UInt8](repeating: 0, count: view.count)
        let n = try ByteSourceAccess.copyGuarded(view, into: &copy, source: source, position: 0)
        guard n >= WALFormat.headerSize else { return false }
        return copy.withUnsafeBytes { raw -> Bool in
            let base = raw.baseAddress!
            let type = raw[6], length = Int(base.le16(4))
            let headerSize: Int
            switch type {
            case 1, 2, 9: headerSize = WALFormat.headerSize
            case 5, 6: headerSize = WALFormat.recyclableHeaderSize
            default: return false
            }
            guard length > 0, headerSize + length <= n else { return false }
            let crc = CRC32C.checksum(UnsafeRawBufferPointer(start: base + 6, count: headerSize - 6 + length))
            return CRC32C.mask(crc) == base.le32(0)
        }
    }
}

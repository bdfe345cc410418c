/// LevelDB/RocksDB database directories: write-ahead logs are `NNNNNN.log`
/// beside `CURRENT` and `MANIFEST-*`, replayed in log-number order.
/// (Filled in by the WAL reader's issue.)
enum WALLayout {
    static func databaseKind(_ names: [String]) -> LogKind? { nil }
    static func isLogName(_ name: String) -> Bool { false }
    static func segments(in directory: String, kind: LogKind) throws(LogScanError) -> [LogInput.Segment] { [] }
    static func segment(file path: String, kind: LogKind) -> LogInput.Segment {
        LogInput.Segment(path: path, kind: kind, baseOffset: nil, indexPath: nil)
    }
}

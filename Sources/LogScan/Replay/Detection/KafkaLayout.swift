/// Kafka partition directories: `<20-digit base offset>.log` segments with
/// `.index` and `.timeindex` beside them, replayed in base-offset order.
/// (Filled in by the Kafka reader's issue.)
enum KafkaLayout {
    static func looksLikePartition(_ names: [String]) -> Bool { false }
    static func isSegmentName(_ name: String) -> Bool { false }
    static func segments(in directory: String) throws(LogScanError) -> [LogInput.Segment] { [] }
    static func segment(file path: String) -> LogInput.Segment {
        LogInput.Segment(path: path, kind: .kafka, baseOffset: nil, indexPath: nil)
    }
}

/// Kafka partition directories: `<20-digit base offset>.log` segments with
/// `.index` and `.timeindex` beside them, replayed in base-offset order.
///
/// Everything else in a partition directory is passed over: the indexes
/// themselves, `.txnindex`, `<offset>.snapshot`, `leader-epoch-checkpoint`,
/// `partition.metadata`, segments in a temporary state (`*.log.deleted`,
/// `*.log.cleaned`, `*.log.swap`), checkpoint files, and anything a user
/// dropped there.
enum KafkaLayout {
    /// A directory is a Kafka partition when it holds a segment beside at
    /// least one offset index.
    static func looksLikePartition(_ names: [String]) -> Bool {
        names.contains(where: isSegmentName) && names.contains { baseOffset(of: $0, extension: KafkaFormat.offsetIndexExtension) != nil }
    }

    /// `<20 digits>.log`.
    static func isSegmentName(_ name: String) -> Bool {
        baseOffset(of: name, extension: KafkaFormat.segmentExtension) != nil
    }

    /// The base offset in `<20 digits><ext>`, nil for any other name.
    static func baseOffset(of name: String, extension ext: String) -> UInt64? {
        let utf8 = name.utf8
        guard utf8.count == KafkaFormat.nameDigits + ext.utf8.count, name.hasSuffix(ext) else { return nil }
        var value: UInt64 = 0
        for byte in utf8.prefix(KafkaFormat.nameDigits) {
            guard byte >= 0x30 && byte <= 0x39 else { return nil }
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(UInt64(byte - 0x30))
            guard !o1 && !o2 else { return nil }
            value = sum
        }
        return value
    }

    static func segments(in directory: String) throws(LogScanError) -> [LogInput.Segment] {
        let names = try Directory.entries(directory)
        let indexes = Set(names.filter { baseOffset(of: $0, extension: KafkaFormat.offsetIndexExtension) != nil })
        return names.compactMap { name -> LogInput.Segment? in
            guard let base = baseOffset(of: name, extension: KafkaFormat.segmentExtension) else { return nil }
            let stem = String(name.dropLast(KafkaFormat.segmentExtension.count))
            let index = stem + KafkaFormat.offsetIndexExtension
            return LogInput.Segment(path: Directory.join(directory, name), kind: .kafka, baseOffset: base,
                                    indexPath: indexes.contains(index) ? Directory.join(directory, index) : nil)
        }.sorted { $0.baseOffset! < $1.baseOffset! }
    }

    static func segment(file path: String) -> LogInput.Segment {
        let name = Directory.baseName(path)
        guard let base = baseOffset(of: name, extension: KafkaFormat.segmentExtension) else {
            return LogInput.Segment(path: path, kind: .kafka, baseOffset: nil, indexPath: nil)
        }
        let index = String(path.dropLast(KafkaFormat.segmentExtension.count)) + KafkaFormat.offsetIndexExtension
        return LogInput.Segment(path: path, kind: .kafka, baseOffset: base, indexPath: Directory.exists(index) ? index : nil)
    }

    /// For `--kind auto` on a single file: true when its first entry is a
    /// whole Kafka batch (or v0/v1 message) whose CRC holds, so that a
    /// segment copied out of its partition, or renamed, is still known.
    /// Entries over 8 MiB are not looked at (other formats' first bytes
    /// must not make detection read much).
    static func sniff(_ source: ByteSource) throws(LogScanError) -> Bool {
        let reader = KafkaSegmentReader(source: source, baseOffset: nil)
        return try reader.validEntry(at: 0, maxSize: 8 << 20) != nil
    }
}

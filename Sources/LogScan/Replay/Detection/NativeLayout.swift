/// Native logs: `<20-digit base sequence>.seg` with `.idx` beside each.
enum NativeLayout {
    static func segments(in directory: String) throws(LogScanError) -> [LogInput.Segment] {
        try NativeLogDirectory.segments(in: directory).map { file in
            let index = file.indexPath
            return LogInput.Segment(path: file.path, kind: .native, baseOffset: file.baseSequence,
                                    indexPath: Directory.exists(index) ? index : nil)
        }
    }

    static func segment(file path: String) -> LogInput.Segment {
        var segment = LogInput.Segment(path: path, kind: .native, baseOffset: nil, indexPath: nil)
        segment.baseOffset = NativeLogDirectory.baseSequence(ofFileName: Directory.baseName(path))
        let index = String(path.dropLast(NativeFormat.segmentExtension.count)) + NativeFormat.indexExtension
        if segment.baseOffset != nil, Directory.exists(index) { segment.indexPath = index }
        return segment
    }
}

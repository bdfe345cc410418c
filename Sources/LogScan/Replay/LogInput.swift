/// One log named on the command line: a directory of segments, a single
/// segment file, or standard input, with its segments in replay order.
public struct LogInput: Sendable {
    public struct Segment: Sendable, Equatable {
        public var path: String
        public var kind: LogKind
        /// First sequence number or offset, when the file name gives it.
        public var baseOffset: UInt64?
        /// The index file beside the segment, if the format has one and it exists.
        public var indexPath: String?
    }

    /// The path as the user gave it.
    public var path: String
    public var isDirectory: Bool
    public var segments: [Segment]

    /// Resolves `path` into its segments. Directories are listed; files are
    /// recognized by `LogDetector`; "-" is standard input.
    public static func resolve(_ path: String, kind: LogKind) throws(LogScanError) -> LogInput {
        if path == "-" {
            return LogInput(path: path, isDirectory: false,
                            segments: [Segment(path: "-", kind: kind == .auto ? .native : kind, baseOffset: nil, indexPath: nil)])
        }
        guard Directory.exists(path) else {
            throw LogScanError(path: path, .system(operation: "open", errno: 2 /* ENOENT */))
        }
        if Directory.isDirectory(path) {
            let segments = try LogDetector.segments(inDirectory: path, kind: kind)
            guard !segments.isEmpty else {
                throw LogScanError(path: path, .usage("no log segments in this directory (looked for \(kind == .auto ? "any known format" : kind.rawValue) segments)"))
            }
            return LogInput(path: path, isDirectory: true, segments: segments)
        }
        return LogInput(path: path, isDirectory: false, segments: [try LogDetector.segment(file: path, kind: kind)])
    }
}

/// Decides which format a file or directory holds.
public enum LogDetector {
    /// The segments of the log in `directory`, in replay order, passing over
    /// files that are not segments.
    public static func segments(inDirectory directory: String, kind: LogKind) throws(LogScanError) -> [LogInput.Segment] {
        if kind == .auto || kind == .native {
            let native = try NativeLogDirectory.segments(in: directory)
            if !native.isEmpty {
                return native.map { file in
                    let index = file.indexPath
                    return LogInput.Segment(path: file.path, kind: .native, baseOffset: file.baseSequence,
                                            indexPath: Directory.exists(index) ? index : nil)
                }
            }
        }
        return []
    }

    /// The kind of a single file given by path.
    public static func segment(file path: String, kind: LogKind) throws(LogScanError) -> LogInput.Segment {
        var resolved = kind
        if kind == .auto {
            resolved = try sniff(path) ?? .native
        }
        var segment = LogInput.Segment(path: path, kind: resolved, baseOffset: nil, indexPath: nil)
        if resolved == .native {
            segment.baseOffset = NativeLogDirectory.baseSequence(ofFileName: Directory.baseName(path))
            let index = String(path.dropLast(NativeFormat.segmentExtension.count)) + NativeFormat.indexExtension
            if segment.baseOffset != nil, Directory.exists(index) { segment.indexPath = index }
        }
        return segment
    }

    /// The kind its first bytes show, or nil when they show none.
    static func sniff(_ path: String) throws(LogScanError) -> LogKind? {
        let file = try OpenFile(path: path)
        defer { file.close() }
        guard file.isSeekable else { return nil }
        let source = try ByteSource(file: file, options: IOOptions(mode: .pread, readBufferBytes: 4096), purpose: .lookup)
        let head = try source.bytes(at: 0, count: 8)
        if NativeSegmentHeader.hasMagic(head) { return .native }
        return nil
    }
}

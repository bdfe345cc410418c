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
    /// False when `segments` stop before the log's last segment (a part of a
    /// log searched on its own): a torn tail is then lost data, not a tail.
    public var endsLog = true
    /// Warnings about how the segments were chosen (obsolete WALs passed
    /// over), reported once when the log is read.
    public var notes: [String] = []

    /// The segments a replay from `offset` must open: those wholly before it
    /// are passed over by name when the format names segments by their
    /// first offset.
    public func segments(from offset: UInt64?) -> ArraySlice<Segment> {
        var slice = segments[...]
        if let offset, let start = slice.lastIndex(where: { $0.baseOffset != nil && $0.baseOffset! <= offset }) {
            slice = slice[start...]
        }
        return slice
    }

    /// One input per segment (from `offset` on), for segment-parallel work.
    public func splitBySegment(from offset: UInt64?) -> [LogInput] {
        let chosen = segments(from: offset)
        return chosen.indices.map { i in
            var part = LogInput(path: path, isDirectory: isDirectory, segments: [chosen[i]])
            part.endsLog = endsLog && i == chosen.indices.last
            if i == chosen.startIndex { part.notes = notes }
            return part
        }
    }

    /// Resolves `path` into its segments. Directories are listed; files are
    /// recognized by `LogDetector`; "-" is standard input.
    public static func resolve(_ path: String, kind: LogKind) throws(LogScanError) -> LogInput {
        if path == "-" {
            return LogInput(path: path, isDirectory: false,
                            segments: [Segment(path: "-", kind: kind == .auto ? .native : kind, baseOffset: nil, indexPath: nil)])
        }
        guard let fileKind = Directory.fileKind(path) else {
            throw LogScanError(path: path, .system(operation: "open", errno: 2 /* ENOENT */))
        }
        switch fileKind {
        case .characterDevice, .blockDevice, .socket, .other:
            // /dev/zero would never end, /dev/sda is not a log: refused
            // rather than read without a limit.
            throw LogScanError(path: path, .unsupported("is a device or socket; logscan reads regular files, directories, pipes and standard input"))
        case .fifo:
            // Sniffing would open (and close) the pipe under its writer.
            return LogInput(path: path, isDirectory: false,
                            segments: [Segment(path: path, kind: kind == .auto ? .native : kind, baseOffset: nil, indexPath: nil)])
        case .regular, .directory:
            break
        }
        if fileKind == .directory {
            let segments = try LogDetector.segments(inDirectory: path, kind: kind)
            guard !segments.isEmpty else {
                throw LogScanError(path: path, .usage("no log segments in this directory (looked for \(kind == .auto ? "any known format" : kind.rawValue) segments)"))
            }
            return directory(path, segments: segments)
        }
        return LogInput(path: path, isDirectory: false, segments: [try LogDetector.segment(file: path, kind: kind)])
    }

    /// The log of directory `path`, whose segments `LogDetector` found (at
    /// least one): WALs that a database no longer needs are passed over.
    static func directory(_ path: String, segments: [Segment]) -> LogInput {
        var segments = segments
        var notes: [String] = []
        if segments[0].kind == .leveldb || segments[0].kind == .rocksdb {
            (segments, notes) = WALLayout.droppingObsolete(segments, directory: path)
        }
        var input = LogInput(path: path, isDirectory: true, segments: segments)
        input.notes = notes
        return input
    }

    public init(path: String, isDirectory: Bool, segments: [Segment]) {
        self.path = path
        self.isDirectory = isDirectory
        self.segments = segments
    }
}

#if canImport(Glibc)
import Glibc
#endif

/// The logs under a directory that is not itself a log: a Kafka `log.dirs`
/// root with one directory per partition, a folder of RocksDB databases, a
/// tree of native logs. `grep`, `verify` and `stat` take every one of them, as
/// ripgrep searches a tree; `replay` keeps to one log, since logs side by
/// side have no order between them.
public struct LogTree: Sendable {
    /// The logs found, depth-first in byte order of their names.
    public var logs: [LogInput] = []
    /// Directories below the root that could not be listed; the rest of the
    /// tree is still searched.
    public var failures: [LogScanError] = []

    /// Every one of `paths`, in order, as one tree; a path that cannot be
    /// resolved is one of its failures. With `walking` false each path is
    /// one log, as `LogInput.resolve` gives it (a followed or resumed log).
    public static func resolve(_ paths: [String], kind: LogKind, walking: Bool = true) -> LogTree {
        var all = LogTree()
        for path in paths {
            do throws(LogScanError) {
                let tree = walking ? try resolve(path, kind: kind) : LogTree(logs: [try LogInput.resolve(path, kind: kind)])
                all.logs += tree.logs
                all.failures += tree.failures
            } catch {
                all.failures.append(error)
            }
        }
        return all
    }

    /// Resolves `path`: a file, standard input or a directory holding
    /// segments is one log, as `LogInput.resolve` gives it. Any other
    /// directory is walked: each directory below it that holds segments is
    /// one log, and is not looked into further (a RocksDB `archive/` stays
    /// passed over). Names starting with "." are skipped and symbolic links
    /// are not followed, as ripgrep does by default, so the walk ends.
    /// Throws when `path` cannot be read, or when nothing below it is a log.
    public static func resolve(_ path: String, kind: LogKind) throws(LogScanError) -> LogTree {
        // "-" is standard input even when a directory of that name exists.
        guard path != "-", Directory.fileKind(path) == .directory else {
            return LogTree(logs: [try LogInput.resolve(path, kind: kind)])
        }
        let names = try Directory.entries(path)
        if let log = try logIfAny(path, kind: kind) { return LogTree(logs: [log]) }
        // A database or partition without segments is still one log: its
        // subdirectories (archive/, lost/) hold no live segments.
        if isLogWithoutSegments(names) { return LogTree(logs: [try LogInput.resolve(path, kind: kind)]) }
        var tree = LogTree()
        tree.walk(below: path, names: names, kind: kind)
        // Nothing found and nothing unreadable: say so. (Unreadable
        // directories are the callers' to report, every one of them.)
        guard !tree.logs.isEmpty || !tree.failures.isEmpty else {
            throw LogScanError(path: path, .usage("no log segments in this directory or below it (looked for \(kind == .auto ? "any known format" : kind.rawValue) segments)"))
        }
        return tree
    }

    /// Adds the logs below `directory`, whose entries are `names`.
    private mutating func walk(below directory: String, names: [String], kind: LogKind) {
        for name in names.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) where !name.hasPrefix(".") {
            let child = Directory.join(directory, name)
            guard Self.isDirectoryNotLink(child) else { continue }
            do {
                let childNames = try Directory.entries(child)
                if let log = try Self.logIfAny(child, kind: kind) {
                    logs.append(log)
                } else if !Self.isLogWithoutSegments(childNames) {
                    walk(below: child, names: childNames, kind: kind)
                }
            } catch {
                failures.append(error)
            }
        }
    }

    /// The log in `directory`, or nil when it holds no segments.
    private static func logIfAny(_ directory: String, kind: LogKind) throws(LogScanError) -> LogInput? {
        let segments = try LogDetector.segments(inDirectory: directory, kind: kind)
        return segments.isEmpty ? nil : LogInput.directory(directory, segments: segments)
    }

    /// A database directory (CURRENT, MANIFEST-*) or a Kafka partition that
    /// gave no segments (none left, or not of the --kind asked for): a log,
    /// not a folder of logs, so its archive/ or lost/ is not searched.
    private static func isLogWithoutSegments(_ names: [String]) -> Bool {
        WALLayout.databaseKind(names) != nil || KafkaLayout.looksLikePartition(names)
    }

    /// lstat, so that a link to a directory is not walked into.
    private static func isDirectoryNotLink(_ path: String) -> Bool {
        var st = stat()
        return lstat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }
}

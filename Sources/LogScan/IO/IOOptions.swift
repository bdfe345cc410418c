/// How a reader gets at a file's bytes. Shared by every reading command
/// (`--io`, `--populate`, `--huge-pages`, `--window`).
public struct IOOptions: Sendable, Equatable {
    public enum Mode: String, Sendable, CaseIterable {
        /// Decide per file (`ByteSource.autoPath`): streams and tiny files
        /// through read/pread, lookups mapped; scans of large files through
        /// pread with read-ahead when cold or when a core is spare, else
        /// copied or mapped by how the page cache holds them.
        case auto
        /// Map the file (in bounded windows when it is larger than one window).
        case mmap
        /// Copy through pread into a reusable buffer (read for pipes and stdin).
        case pread
        /// pread with O_DIRECT for scans: the page cache is bypassed, buffers,
        /// offsets and lengths are aligned to the file's direct-I/O alignment.
        /// Lookups (index files, seeks) still use plain pread.
        case direct
    }

    /// What a mapped scan tells the kernel about its access pattern.
    public enum Advice: String, Sendable, CaseIterable {
        /// Nothing: the kernel's default fault-around and read-ahead.
        case none
        /// MADV_SEQUENTIAL on each window, POSIX_FADV_WILLNEED on the next one.
        case sequential
        /// MADV_WILLNEED over the window just mapped (the kernel starts
        /// reading all of it at once) and POSIX_FADV_WILLNEED on the next
        /// one; no MADV_SEQUENTIAL.
        case willneed
    }

    public var mode: Mode
    /// Prefault each window with MAP_POPULATE. Nil means "decide": populate
    /// for sequential scans, not for index lookups.
    public var populate: Bool?
    /// Ask for huge pages: MAP_HUGETLB on hugetlbfs, madvise(MADV_HUGEPAGE) elsewhere.
    public var hugePages: Bool
    /// Bytes mapped at a time. Files larger than this are scanned window by
    /// window and the window behind the cursor is unmapped.
    public var windowBytes: Int
    /// The pread path's buffer size (also its read size).
    public var readBufferBytes: Int
    /// In auto mode, regular files smaller than this are read, not mapped:
    /// a mapping costs more system calls than one pread of the whole file.
    public var smallFileBytes: Int
    /// In auto mode, a scan of a regular file at least this large asks the
    /// page cache (`PageCacheProbe`) before it chooses: read with pread and
    /// the read-ahead thread when less than `warmFraction` of it is cached;
    /// smaller scans are mapped.
    public var coldPreadBytes = 4 << 20
    public var warmFraction = 0.5
    /// Access-pattern advice for mapped scans. willneed: on cold data it was
    /// the fastest mapping (1.9 s for 1.5 GiB against 2.4 s without advice
    /// and 2.9 s with MADV_SEQUENTIAL), on warm data all three were equal
    /// (docs/BENCHMARKS.md, "I/O paths").
    public var advice: Advice = .willneed
    /// pread scans copy on a reading thread of their own (`ReadAhead`);
    /// false reads synchronously into one buffer (for comparison).
    public var readAheadThread = true
    /// Threads of this process decoding at the same time (a parallel
    /// search's workers). On warm data the read-ahead thread only pays with
    /// a core to itself, so `--io auto` copies warm files synchronously
    /// when every core already decodes.
    public var decodingThreads = 1

    public static let defaultWindowBytes = 64 << 20

    public init(
        mode: Mode = .auto, populate: Bool? = nil, hugePages: Bool = false,
        windowBytes: Int = IOOptions.defaultWindowBytes, readBufferBytes: Int = 1 << 20,
        smallFileBytes: Int = 64 << 10
    ) {
        self.mode = mode
        self.populate = populate
        self.hugePages = hugePages
        self.windowBytes = windowBytes
        self.readBufferBytes = readBufferBytes
        self.smallFileBytes = smallFileBytes
    }
}

/// What the I/O layer actually did for one file, for `--stats` and `bench`.
public struct IOReport: Sendable, Equatable {
    public enum Path: String, Sendable {
        case mmap, pread, stream
        /// Bytes the caller already had in memory.
        case memory
    }
    public enum HugePages: Sendable, Equatable {
        case notRequested
        /// The file lives on hugetlbfs and was mapped with MAP_HUGETLB.
        case hugetlbfs(pageSize: Int)
        /// madvise(MADV_HUGEPAGE) was accepted. For page-cache files the
        /// kernel may still use small pages; this says what was asked.
        case transparentAdvised
        /// madvise(MADV_HUGEPAGE) failed with this errno.
        case transparentRefused(errno: Int32)
        /// Huge pages were requested for a path that does not map.
        case notApplicable
    }

    public var path: Path
    public var populate: Bool
    public var hugePages: HugePages
    /// Mappings made (1 for a file that fits in one window).
    public var windowsMapped: Int
    public var bytesMapped: Int64
    /// Bytes copied by pread/read.
    public var bytesRead: Int64
    public var readCalls: Int
    /// A reading thread copied ahead of the cursor (pread and stream paths).
    public var readAhead = false
    /// pread with O_DIRECT, at this alignment (bytes); nil for cached I/O.
    public var directAlignment: Int? = nil
    /// The advice given to mapped windows.
    public var advice: IOOptions.Advice = .willneed
    /// Why `--io auto` chose this path (nil for an explicit `--io`).
    public var autoReason: String? = nil

    public var summary: String {
        switch path {
        case .mmap:
            var text = populate ? "mmap+populate" : "mmap"
            switch hugePages {
            case .hugetlbfs(let size): text += ", MAP_HUGETLB (\(size >> 10) KiB pages)"
            case .transparentAdvised: text += ", MADV_HUGEPAGE advised"
            case .transparentRefused(let e): text += ", MADV_HUGEPAGE refused (\(errnoDescription(e)))"
            case .notRequested, .notApplicable: break
            }
            if advice != .willneed { text += ", advice \(advice.rawValue)" }
            return text + ", \(windowsMapped) window\(windowsMapped == 1 ? "" : "s")" + autoNote
        case .pread:
            let direct = directAlignment.map { " O_DIRECT (\($0)-byte aligned)" } ?? ""
            return "pread\(direct)\(readAhead ? " with read-ahead thread" : ""), \(readCalls) call\(readCalls == 1 ? "" : "s")" + autoNote
        case .memory: return "memory"
        case .stream: return "read (stream)\(readAhead ? " with read-ahead thread" : ""), \(readCalls) calls"
        }
    }

    private var autoNote: String { autoReason.map { " (auto: \($0))" } ?? "" }
}

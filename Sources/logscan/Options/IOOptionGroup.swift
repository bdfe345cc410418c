import ArgumentParser
import LogScan

/// The I/O options every reading command shares.
struct IOOptionGroup: ParsableArguments {
    @Option(name: .customLong("io"), help: ArgumentHelp(
        "How to read files: auto, mmap, pread or direct.",
        discussion: "auto reads small files with pread, maps index lookups and seeks, and scans large files with pread and a read-ahead thread when they are mostly not in the page cache (asked with mincore) or when a spare core can do the copying. Without a spare core it maps a warm file the page cache holds in large folios and copies one held in order-0 folios (a file just written) synchronously into one buffer. mmap maps scans, in bounded windows. Pipes, stdin and devices are read with read(). direct scans with O_DIRECT pread (bypassing the page cache). --stats shows what was chosen and why."))
    var mode: IOOptions.Mode = .auto

    @Flag(inversion: .prefixedNo, help: "Prefault each mapped window with MAP_POPULATE (default: off; measured slower than the kernel's fault-around on warm data).")
    var populate: Bool?

    @Flag(name: .customLong("huge-pages"), help: "Map with MAP_HUGETLB on hugetlbfs, or advise MADV_HUGEPAGE elsewhere.")
    var hugePages = false

    @Option(help: ArgumentHelp("Bytes mapped at a time (e.g. 64M); larger files are scanned window by window.", valueName: "bytes"))
    var window: ByteCount = ByteCount(IOOptions.defaultWindowBytes)

    var options: IOOptions {
        IOOptions(mode: mode, populate: populate, hugePages: hugePages, windowBytes: window.bytes)
    }
}

extension IOOptions.Mode: ExpressibleByArgument {}
extension LogKind: ExpressibleByArgument {}
extension RecoveryMode: ExpressibleByArgument {}
extension RecordFormat: ExpressibleByArgument {}

/// Which records a reading command looks at.
struct SelectionOptionGroup: ParsableArguments {
    @Option(help: ArgumentHelp("Log format: auto, native, leveldb, rocksdb or kafka.", discussion: """
        auto decides per file: native segments by their magic bytes; in a directory, \
        *.seg files are native segments. Kafka: a directory holding <20 digits>.log segments \
        beside .index files is a partition, replayed in base-offset order (.index, .timeindex, \
        .txnindex, .snapshot, checkpoints and other files are passed over); a single file is a \
        Kafka segment when its name is <20 digits>.log beside .index files, or when it starts \
        with a whole record batch whose CRC holds. --kind kafka reads any file or directory as Kafka. \
        LevelDB/RocksDB: a directory holding CURRENT or MANIFEST-* is a database (RocksDB when it \
        also holds OPTIONS-*, else LevelDB), its NNNNNN.log write-ahead logs replayed in \
        log-number order (LOCK, LOG, MANIFEST-*, OPTIONS-*, IDENTITY, *.sst and other files are \
        passed over); a single file is a WAL when it is named NNNNNN.log beside such files, or \
        when it starts with a whole WAL record whose CRC holds (read as RocksDB).
        """))
    var kind: LogKind = .auto

    @Option(name: .customLong("from"), help: ArgumentHelp("Start at this sequence number (offset); found through the index.", valueName: "seq"))
    var fromOffset: UInt64?

    @Option(name: .customLong("from-time"), help: ArgumentHelp("Only records with a timestamp at or after this many ms since the epoch.", valueName: "ms"))
    var fromTime: Int64?

    @Option(help: ArgumentHelp("Stop after reading this many records.", valueName: "n"))
    var limit: Int?

    @Option(help: ArgumentHelp("What damage means: tolerate-tail, absolute, point-in-time or skip-corrupted.", discussion: """
        point-in-time (default): stop at the first damage, after emitting everything before it. \
        tolerate-tail: ignore only an incomplete last record or zero-filled tail. \
        absolute: any damage is fatal. skip-corrupted: skip damaged blocks and go on.
        """))
    var recovery: RecoveryMode = .pointInTime

    func validate() throws {
        if let limit, limit < 0 { throw ValidationError("--limit must not be negative") }
    }

    func replayOptions(io: IOOptions) -> ReplayOptions {
        ReplayOptions(kind: kind, io: io, fromOffset: fromOffset, fromTime: fromTime, limit: limit, recovery: recovery)
    }
}

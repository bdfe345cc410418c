/// The LevelDB/RocksDB write-ahead log format (db/log_format.h in both):
/// the file is a sequence of 32 KiB blocks; each block holds physical
/// records with a 7-byte header (masked CRC32C over type + payload, u16
/// length, type) or, for RocksDB's recyclable types, an 11-byte header that
/// adds the u32 number of the log the record was written for. A logical
/// record (one WriteBatch) is one FULL record or FIRST, MIDDLE..., LAST.
public enum WALFormat {
    public static let blockSize = 32 * 1024
    public static let headerSize = 7
    public static let recyclableHeaderSize = 11

    // Physical record types.
    public static let zeroType: UInt8 = 0
    public static let fullType: UInt8 = 1
    public static let firstType: UInt8 = 2
    public static let middleType: UInt8 = 3
    public static let lastType: UInt8 = 4
    public static let recyclableFullType: UInt8 = 5
    public static let recyclableLastType: UInt8 = 8
    /// First record of a `wal_compression` WAL: payload fixed32 codec.
    public static let setCompressionType: UInt8 = 9
    /// Newer RocksDB: user-defined timestamp sizes (10, recyclable 11).
    public static let timestampSizeType: UInt8 = 10
    public static let recyclableTimestampSizeType: UInt8 = 11
    /// Types with this bit may be skipped by readers that do not know them.
    public static let safeIgnoreMask: UInt8 = 1 << 7
    /// The codec number of ZSTD in kSetCompressionType records.
    public static let zstdCompression: UInt32 = 7

    /// A WriteBatch starts with a fixed64 sequence and a fixed32 count.
    public static let batchHeaderSize = 12

    /// The log number RocksDB takes from a WAL's file name: digits followed
    /// by `.log` (`000010.log`, `10.log`); any other name gives 0, as in
    /// RocksDB's ParseFileName (and then every recyclable record is stale).
    public static func logNumber(fileName name: String) -> UInt64 {
        logNumberIfLogName(name) ?? 0
    }

    /// The number in `NNN.log`, nil when `name` is not a WAL file name.
    public static func logNumberIfLogName(_ name: String) -> UInt64? {
        let utf8 = Array(name.utf8)
        guard utf8.count > 4, name.hasSuffix(".log") else { return nil }
        var value: UInt64 = 0
        for byte in utf8[0..<(utf8.count - 4)] {
            guard byte >= 0x30 && byte <= 0x39 else { return nil }
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(UInt64(byte - 0x30))
            guard !o1 && !o2 else { return nil }
            value = sum
        }
        return value
    }
}

/// Whose reading rules apply. They differ only at the edges (see docs/WAL.md).
public enum WALDialect: Sendable {
    /// LevelDB's log_reader: types 1-4 and 7-byte headers only; a record's
    /// offset is its own header's.
    case leveldb
    /// RocksDB as it reads today: recyclable types, zstd, types with the
    /// safe-ignore bit and the timestamp-size records skipped.
    case rocksdb
    /// RocksDB 7.8.3's reader exactly as `ldb dump_wal` shows it, quirks
    /// included (record types 10-15 taken as the reader's internal codes,
    /// types of 128 and up reported as unknown), for `--format ldb`.
    case ldb783
}

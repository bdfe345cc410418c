import CLogScanSupport

/// CRC32C (Castagnoli), the checksum of logscan's native blocks, Kafka v2
/// batches and LevelDB/RocksDB WAL records. Hardware accelerated in C.
public enum CRC32C {
    @inlinable
    public static func checksum(_ bytes: UnsafeRawBufferPointer, extending crc: UInt32 = 0) -> UInt32 {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return crc }
        return logscan_crc32c(crc, base, bytes.count)
    }

    /// The checksum of `bytes`, and in the same pass the offsets where
    /// `literal` occurs in them, written to `hits`. Returns the checksum and
    /// how many offsets were written (ascending, every occurrence that starts
    /// before `searched`); bytes from `searched` on were not searched, for
    /// the caller to search (a short buffer, `hits` full, or a CPU without
    /// VPCLMULQDQ: then `searched` is 0). Plain values and pointers only, so
    /// it can run under the SIGBUS guard.
    @inline(__always)
    static func checksum(_ bytes: UnsafeRawBufferPointer, probing literal: UnsafePointer<logscan_literal>,
                                hits: UnsafeMutableBufferPointer<UInt32>) -> (crc: UInt32, found: Int, searched: Int) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return (0, 0, 0) }
        var probe = logscan_probe_hits(offsets: hits.baseAddress, capacity: hits.count, count: 0, searched: 0)
        let crc = logscan_crc32c_probe(0, base, bytes.count, literal, &probe)
        return (crc, probe.count, probe.searched)
    }

    public static func checksum(_ bytes: some Sequence<UInt8>) -> UInt32 {
        let array = Array(bytes)
        return array.withUnsafeBytes { checksum($0) }
    }

    /// LevelDB and RocksDB store CRCs "masked", so that a CRC computed over
    /// data that itself contains CRCs does not look like a valid checksum.
    @inlinable
    public static func mask(_ crc: UInt32) -> UInt32 {
        ((crc >> 15) | (crc << 17)) &+ 0xA282_EAD8
    }

    @inlinable
    public static func unmask(_ masked: UInt32) -> UInt32 {
        let rotated = masked &- 0xA282_EAD8
        return (rotated >> 17) | (rotated << 15)
    }

    public static var isHardwareAccelerated: Bool { logscan_crc32c_is_hardware() != 0 }
}

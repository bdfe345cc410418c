import CLogScanSupport

/// CRC32C (Castagnoli), the checksum of logscan's native blocks, Kafka v2
/// batches and LevelDB/RocksDB WAL records. Hardware accelerated in C.
public enum CRC32C {
    @inlinable
    public static func checksum(_ bytes: UnsafeRawBufferPointer, extending crc: UInt32 = 0) -> UInt32 {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return crc }
        return logscan_crc32c(crc, base, bytes.count)
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

import Testing
import CLogScanSupport
@testable import LogScan

/// CRC32C against published vectors (RFC 3720, appendix B.4, and the common
/// check value), and the hardware path against the portable one.
@Suite struct CRC32CTests {
    @Test func checkValue() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
    }

    @Test func rfc3720Vectors() {
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
        #expect(CRC32C.checksum((0..<32).map { UInt8($0) }) == 0x46DD_794E)
        #expect(CRC32C.checksum((0..<32).reversed().map { UInt8($0) }) == 0x113F_DB5C)
    }

    @Test func hardwareMatchesPortableAtEveryLengthAndAlignment() {
        var rng = SplitMix64(seed: 7)
        let data = rng.bytes(100_000)
        data.withUnsafeBytes { raw in
            // Lengths around every stream boundary of the 3-way split
            // (128, 1024, 8192 bytes per stream), and odd alignments.
            var lengths = Array(0..<80) + [383, 384, 385, 3071, 3072, 3073, 24575, 24576, 24577, 65536, 99_000]
            lengths += (0..<40).map { _ in Int.random(in: 0..<99_000, using: &rng) }
            for length in lengths {
                for start in [0, 1, 3, 7] where start + length <= raw.count {
                    let hw = logscan_crc32c(0, raw.baseAddress! + start, length)
                    let sw = logscan_crc32c_portable(0, raw.baseAddress! + start, length)
                    #expect(hw == sw, "length \(length) start \(start)")
                }
            }
        }
    }

    @Test func extendingEqualsWhole() {
        var rng = SplitMix64(seed: 8)
        let data = rng.bytes(50_000)
        data.withUnsafeBytes { raw in
            let whole = CRC32C.checksum(raw)
            let first = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[0..<12_345]))
            let both = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[12_345...]), extending: first)
            #expect(whole == both)
        }
    }

    @Test func maskRoundTrips() {
        for crc: UInt32 in [0, 1, 0xE306_9283, 0xFFFF_FFFF] {
            #expect(CRC32C.unmask(CRC32C.mask(crc)) == crc)
        }
        // LevelDB's crc32c_test: Mask(Value("foo")) != Value("foo").
        let foo = CRC32C.checksum(Array("foo".utf8))
        #expect(CRC32C.mask(foo) != foo)
        #expect(CRC32C.mask(CRC32C.mask(foo)) != foo)
    }
}

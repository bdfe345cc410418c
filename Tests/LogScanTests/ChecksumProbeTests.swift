import Testing
import CLogScanSupport
@testable import LogScan

/// The fused checksum-and-search pass (`logscan_crc32c_probe`, used by grep
/// on raw native blocks) against the two things it replaces: the plain
/// CRC32C, and a naive search for every occurrence.
@Suite struct ChecksumProbeTests {
    /// Every offset where `needle` occurs in `hay` (overlapping ones too).
    static func naive(_ hay: [UInt8], _ needle: [UInt8], caseless: Bool) -> [Int] {
        func fold(_ b: UInt8) -> UInt8 { caseless ? lowerASCII(b) : b }
        guard hay.count >= needle.count else { return [] }
        return (0...(hay.count - needle.count)).filter { i in
            needle.indices.allSatisfy { fold(hay[i + $0]) == fold(needle[$0]) }
        }
    }

    /// Runs the probe over hay[start...], then searches what it left, as grep does.
    static func probe(_ hay: [UInt8], start: Int, _ finder: LiteralFinder, capacity: Int) -> (crc: UInt32, plain: UInt32, found: [Int], searched: Int, all: [Int]) {
        hay.withUnsafeBytes { raw in
            let bytes = UnsafeRawBufferPointer(rebasing: raw[start...])
            var hits = [UInt32](repeating: 0, count: capacity)
            let result = hits.withUnsafeMutableBufferPointer { CRC32C.checksum(bytes, probing: finder.literal, hits: $0) }
            let found = hits[0..<result.found].map(Int.init)
            let all = found + finder.offsets(in: bytes, from: result.searched)
            return (result.crc, CRC32C.checksum(bytes), found, result.searched, all)
        }
    }

    @Test(arguments: [("needle", false), ("NeEdLe", true), ("ab", false), ("e", false), ("xq", true)])
    func sameChecksumAndEveryOccurrence(needle: String, caseless: Bool) {
        var rng = SplitMix64(seed: 11)
        let alphabet = Array("abeEnNdlxq .".utf8)
        let finder = LiteralFinder(Array(needle.utf8), caseless: caseless)
        // Lengths around the fused loop's limits (it needs 256 + rare2 + 128
        // bytes and works in 128-byte steps), odd starts, and a 64 KiB block.
        var lengths = Array(380...420) + [511, 512, 513, 1000, 4095, 4096, 65536]
        lengths += (0..<20).map { _ in Int.random(in: 0..<20_000, using: &rng) }
        for length in lengths {
            var hay = (0..<(length + 3)).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &rng)] }
            // Occurrences at the very start and the very end.
            hay.replaceSubrange(3..<(3 + min(needle.utf8.count, length)), with: Array(needle.utf8).prefix(length))
            if length >= needle.utf8.count { hay.replaceSubrange((hay.count - needle.utf8.count)..., with: Array(needle.utf8)) }
            for start in [0, 3] {
                let body = Array(hay[start...])
                let expected = Self.naive(body, Array(needle.utf8), caseless: caseless)
                let got = Self.probe(hay, start: start, finder, capacity: 4096)
                #expect(got.crc == got.plain, "length \(length) start \(start)")
                #expect(got.found == expected.filter { $0 < got.searched }, "length \(length) start \(start)")
                #expect(got.all == expected, "length \(length) start \(start)")
                #expect(got.searched <= body.count)
            }
        }
    }

    @Test func fullHitBufferLeavesTheRestToTheCaller() {
        // "ab" repeated: an occurrence every 2 bytes, far more than 16 slots.
        let hay = Array(String(repeating: "ab", count: 4000).utf8)
        let finder = LiteralFinder(Array("ab".utf8))
        let got = Self.probe(hay, start: 0, finder, capacity: 16)
        #expect(got.crc == got.plain)
        #expect(got.found == Array(stride(from: 0, to: 32, by: 2)))
        #expect(got.searched == 32)
        #expect(got.all == Array(stride(from: 0, to: hay.count - 1, by: 2)))
    }

    @Test func shortBuffersAreOnlyChecksummed() {
        let hay = Array("needle in a short haystack".utf8)
        let got = Self.probe(hay, start: 0, LiteralFinder(Array("needle".utf8)), capacity: 16)
        #expect(got.crc == got.plain && got.found.isEmpty && got.searched == 0 && got.all == [0])
    }
}

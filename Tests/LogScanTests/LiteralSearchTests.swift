import Testing
@testable import LogScan

/// The plain SIMD literal search (`logscan_literal_find`, 64 positions a
/// step, then 32, then bytes) against a naive search, at every haystack
/// length around its step limits: it searches what the checksum probe
/// leaves, LZ4-inflated blocks, Kafka batches and WAL records.
@Suite struct LiteralSearchTests {
    @Test(arguments: [("needle", false), ("NeEdLe", true), ("ab", false), ("xq", true), ("a long needle, 31 bytes long..", false)])
    func everyOccurrenceAtEveryLength(needle: String, caseless: Bool) {
        var rng = SplitMix64(seed: 29)
        let alphabet = Array("abeEnNdlxq .,gto31".utf8)
        let finder = LiteralFinder(Array(needle.utf8), caseless: caseless)
        let lengths = Array(0...300) + (0..<30).map { _ in Int.random(in: 300..<5000, using: &rng) }
        for length in lengths {
            var hay = (0..<length).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &rng)] }
            // One occurrence right at the end, where the steps hand over.
            if length >= needle.utf8.count { hay.replaceSubrange((length - needle.utf8.count)..., with: Array(needle.utf8)) }
            let expected = ChecksumProbeTests.naive(hay, Array(needle.utf8), caseless: caseless)
            let got = hay.withUnsafeBytes { finder.offsets(in: $0, from: 0) }
            #expect(got == expected, "length \(length)")
        }
    }
}

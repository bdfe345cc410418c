import Foundation
import CLogScanSupport
import Testing
@testable import logscan

/// The printers' escaping: `logscan_plain_prefix` (32 bytes a step) against
/// a byte-by-byte rule for every byte value at every place in a run, and the
/// escaped text and JSON forms it feeds, whole, against the expected strings.
@Suite struct PrintEscapingTests {
    static func plain(_ b: UInt8, mode: Int32) -> Bool {
        b >= 0x20 && b != 0x22 && b != 0x5C && (mode == LOGSCAN_PLAIN_JSON || b < 0x7F)
    }

    @Test func plainPrefixStopsAtTheFirstByteToEscape() {
        for mode in [LOGSCAN_PLAIN_JSON, LOGSCAN_PLAIN_TEXT] {
            for length in [0, 1, 31, 32, 33, 63, 64, 65, 100] {
                for place in 0..<max(length, 1) {
                    for b in 0...255 {
                        var bytes = [UInt8](repeating: UInt8(ascii: "a"), count: length)
                        if place < length { bytes[place] = UInt8(b) }
                        let expected = bytes.firstIndex { !Self.plain($0, mode: mode) } ?? length
                        let got = bytes.withUnsafeBytes { logscan_plain_prefix($0.baseAddress, $0.count, mode) }
                        if got != expected {
                            Issue.record("mode \(mode), length \(length), byte \(b) at \(place): \(got), expected \(expected)")
                            return
                        }
                    }
                }
            }
        }
    }

    static func render(_ bytes: [UInt8], _ write: (UnsafeRawBufferPointer, inout OutputBuffer) -> Void) -> String {
        let pipe = Pipe()
        var out = OutputBuffer(fd: pipe.fileHandleForWriting.fileDescriptor)
        bytes.withUnsafeBytes { write($0, &out) }
        out.flush()
        try? pipe.fileHandleForWriting.close()
        return String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    }

    @Test func escapedFormsAcrossRunBoundaries() {
        // Specials after long plain runs, at the 32-byte step edges.
        let long = String(repeating: "x", count: 40)
        let input = Array((long + "\"q\\\n\t\r" + long + "\u{1}é\u{7F}" + long).utf8) + [0xFF, 0x41]
        let text = Self.render(input) { ByteEncodings.writeQuoted($0, to: &$1) }
        #expect(text == "\"" + long + "\\\"q\\\\\\n\\t\\r" + long + "\\x01é\\x7f" + long + "\\xffA\"")
        let jsonInput = Array((long + "\"q\\\n\t\r" + long + "\u{1}é\u{7F}" + long).utf8)
        let json = Self.render(jsonInput) { ByteEncodings.writeJSONEscaped($0, to: &$1) }
        #expect(json == long + "\\\"q\\\\\\n\\t\\r" + long + "\\u0001é\u{7F}" + long)
    }

    /// The computed calendar against gmtime_r: epoch, leap days, century
    /// rules, negative times, the ends of years 0 and 9999, random times.
    @Test func iso8601MatchesGmtime() {
        var rng = SplitMix64(seed: 83)
        var times: [Int64] = [0, -1, 1, 999, -999, -1000, -1001, 951_782_400_000, 951_868_799_999,  // 2000-02-29
                              -2_203_891_200_000, 4_107_542_400_000,  // 1900-03-01, 2100-03-01
                              -62_167_219_200_000, -62_167_219_200_001, 253_402_300_799_999, 253_402_300_800_000,
                              1 << 53, -(1 << 53), Int64.max, Int64.min]
        times += (0..<20000).map { _ in Int64.random(in: -62_200_000_000_000...253_500_000_000_000, using: &rng) }
        for t in times {
            let fast = Self.render([]) { _, out in TimeFormat.writeISO8601(t, to: &out) }
            let slow = Self.render([]) { _, out in TimeFormat.writeISO8601ByGmtime(t, to: &out) }
            if fast != slow { Issue.record("\(t): \(fast) against \(slow)"); return }
        }
    }

    /// UTF-8 validation (ASCII eight bytes a step, then the sequences)
    /// against the standard library's, on ASCII runs with valid and broken
    /// sequences at offsets around the step. (32 bytes a step through
    /// logscan_plain_prefix measured slower on ~110-byte values: the call
    /// costs more than the loop it replaces.)
    @Test func utf8ValidationMatchesTheStandardLibrary() {
        var rng = SplitMix64(seed: 97)
        let pieces: [[UInt8]] = [[0xC3, 0xA9], [0xE2, 0x82, 0xAC], [0xF0, 0x9F, 0x98, 0x80], [0xC3], [0xE0, 0x80, 0x80],
                                 [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0x80], [0xFF], [0x7F], [0x00]]
        for _ in 0..<20000 {
            var bytes = [UInt8](repeating: UInt8(ascii: "a"), count: Int.random(in: 0...80, using: &rng))
            for _ in 0..<Int.random(in: 0...2, using: &rng) {
                let at = Int.random(in: 0...bytes.count, using: &rng)
                bytes.insert(contentsOf: pieces[Int.random(in: 0..<pieces.count, using: &rng)], at: at)
            }
            let expected = String(validating: bytes, as: UTF8.self) != nil
            let got = bytes.withUnsafeBytes { ByteEncodings.isValidUTF8($0) }
            if got != expected { Issue.record("\(bytes): \(got), expected \(expected)"); return }
        }
    }
}

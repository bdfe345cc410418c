import CLogScanSupport

/// Finds one byte string in memory at SIMD speed (C: `logscan_literal_find`).
/// The two bytes compared first are the needle's rarest by a frequency
/// ranking of text and log data, so that common bytes (spaces, vowels) do not
/// turn every position into a candidate. Immutable and shareable across
/// threads. Search builds them from patterns; a format reader can be given
/// one as a probe, to find it while checksumming (`CRC32C.checksum(_:probing:)`).
public final class LiteralFinder: @unchecked Sendable {
    // @unchecked: the needle and the C literal are written once in init and only read after.
    public let needle: [UInt8]
    public let caseless: Bool
    private let storage: UnsafeMutablePointer<UInt8>
    /// The C description of the literal, at a stable address so that code
    /// running under the SIGBUS guard can take it as a plain pointer.
    let literal: UnsafeMutablePointer<logscan_literal>

    /// `caseless`: ASCII letters match either case.
    public init(_ needle: [UInt8], caseless: Bool = false) {
        self.needle = needle
        self.caseless = caseless
        storage = .allocate(capacity: max(needle.count, 1))
        storage.initialize(from: needle, count: needle.count)
        let (rare1, rare2) = LiteralFinder.rarestPositions(needle, caseless: caseless)
        literal = .allocate(capacity: 1)
        literal.initialize(to: logscan_literal(needle: storage, length: needle.count, rare1: rare1, rare2: rare2, caseless: caseless ? 1 : 0))
    }

    deinit {
        literal.deallocate()
        storage.deallocate()
    }

    /// Offset of the first occurrence at or after `from`, or nil.
    @inline(__always)
    public func firstIndex(in haystack: UnsafeRawBufferPointer, from: Int = 0) -> Int? {
        guard let base = haystack.baseAddress, from <= haystack.count else { return needle.isEmpty && from <= haystack.count ? from : nil }
        let hit = logscan_literal_find(literal, base + from, haystack.count - from)
        return hit < 0 ? nil : from + hit
    }

    /// The offset of every occurrence at or after `from`, overlapping ones
    /// included, ascending.
    public func offsets(in haystack: UnsafeRawBufferPointer, from: Int = 0) -> [Int] {
        var found: [Int] = []
        var at = from
        while at < haystack.count, let hit = firstIndex(in: haystack, from: at) {
            found.append(hit)
            at = hit + 1
        }
        return found
    }

    /// Every non-overlapping occurrence, as ranges.
    public func allRanges(in haystack: UnsafeRawBufferPointer) -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        var at = 0
        while let hit = firstIndex(in: haystack, from: at) {
            ranges.append(hit..<(hit + needle.count))
            at = hit + max(needle.count, 1)
            if at > haystack.count { break }
        }
        return ranges
    }

    /// The two positions of the rarest bytes (distinct positions when the
    /// needle has two bytes or more).
    static func rarestPositions(_ needle: [UInt8], caseless: Bool) -> (Int, Int) {
        guard needle.count > 1 else { return (0, 0) }
        func rank(_ b: UInt8) -> Int {
            let c = caseless ? lowerASCII(b) : b
            return Int(byteCommonness[Int(c)]) + (caseless && isASCIILetter(c) ? 20 : 0)
        }
        var order = Array(needle.indices)
        order.sort { rank(needle[$0]) < rank(needle[$1]) || (rank(needle[$0]) == rank(needle[$1]) && $0 < $1) }
        let first = order[0]
        let second = order.first { $0 != first && needle[$0] != needle[first] } ?? order[1]
        return (min(first, second), max(first, second))
    }
}

@inline(__always) func lowerASCII(_ b: UInt8) -> UInt8 { b >= 65 && b <= 90 ? b + 32 : b }
@inline(__always) func isASCIILetter(_ b: UInt8) -> Bool { (b >= 65 && b <= 90) || (b >= 97 && b <= 122) }

/// How common each byte is in text and log data, 0 (rare) to 255 (common):
/// a ranking, not measured frequencies. Space and lowercase English letters
/// by their usual frequency at the top, then digits and the punctuation of
/// logs and JSON, then capitals, then everything else.
let byteCommonness: [UInt8] = {
    var table = [UInt8](repeating: 40, count: 256)
    for b in 0x80...0xFF { table[b] = 60 }         // UTF-8 bytes: common in some logs
    table[0] = 90                                   // padding, binary zeros
    for (i, c) in "etaoinsrhldcumfpgwybvkxjqz".utf8.enumerated() { table[Int(c)] = UInt8(250 - i * 4) }
    for (i, c) in "ETAOINSRHLDCUMFPGWYBVKXJQZ".utf8.enumerated() { table[Int(c)] = UInt8(150 - i * 3) }
    for c in "0123456789".utf8 { table[Int(c)] = 170 }
    for c in " ".utf8 { table[Int(c)] = 255 }
    for c in "\".,:=-_/{}\n".utf8 { table[Int(c)] = 175 }
    for c in "()[];'\t|+*#@&%$!?<>~^`\\".utf8 { table[Int(c)] = 100 }
    return table
}()

import Foundation
@testable import LogScan

/// Helpers for the WAL tests: the fixtures' reference files (ldb dumps,
/// DumpFile output, the generators' ops.compact.jsonl) read back in forms
/// that do not go through logscan.
enum WALFixtures {
    static let root = repositoryRoot + "/testdata"

    /// Every WAL in testdata/rocksdb with an ldb dump: (wal path, dump prefix).
    static func ldbCases() -> [(wal: String, ref: String)] {
        var cases: [(String, String)] = []
        let enumerator = FileManager.default.enumerator(atPath: root + "/rocksdb")!
        for case let relative as String in enumerator where relative.hasSuffix(".ldb_dump.txt") {
            let ref = root + "/rocksdb/" + String(relative.dropLast(".ldb_dump.txt".count))
            var wal = ref
            if !FileManager.default.fileExists(atPath: wal) {
                // ref/NNNNNN.log.ldb_dump.txt describes db/NNNNNN.log
                let url = URL(fileURLWithPath: ref)
                wal = url.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("db")
                    .appendingPathComponent(url.lastPathComponent).path
            }
            cases.append((wal, ref))
        }
        return cases.sorted { $0.0 < $1.0 }
    }

    static func text(_ path: String) -> String {
        (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    }

    /// The rows of an ldb dump (no header), each as its fields and the
    /// byte strings of its items (every `0x...` token: keys, values, end keys).
    struct LDBRow {
        var sequence: UInt64
        var count: Int
        var byteSize: Int
        var offset: Int64
        var items: String
        var tokens: [[UInt8]]
    }

    static func ldbRows(_ path: String) -> [LDBRow] {
        text(path).split(separator: "\n", omittingEmptySubsequences: true).compactMap { line -> LDBRow? in
            guard !line.hasPrefix("Sequence,") else { return nil }
            let parts = line.split(separator: ",", maxSplits: 4, omittingEmptySubsequences: false)
            guard parts.count == 5 else { return nil }
            let items = String(parts[4])
            var tokens: [[UInt8]] = []
            for word in items.split(whereSeparator: { " (),".contains($0) }) where word.hasPrefix("0x") {
                tokens.append(hexBytes(word.dropFirst(2)))
            }
            return LDBRow(sequence: UInt64(parts[0])!, count: Int(parts[1])!, byteSize: Int(parts[2])!,
                          offset: Int64(parts[3])!, items: items, tokens: tokens)
        }
    }

    static func hexBytes(_ hex: Substring) -> [UInt8] {
        var out: [UInt8] = []
        var i = hex.startIndex
        while i < hex.endIndex {
            let j = hex.index(i, offsetBy: 2)
            out.append(UInt8(hex[i..<j], radix: 16)!)
            i = j
        }
        return out
    }

    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    /// One line of ops.compact.jsonl.
    static func ops(_ path: String) -> [[String: Any]] {
        text(path).split(separator: "\n").map {
            try! JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
        }
    }

    /// Bytes of a jsonl byte field: {"text": "..."} or {"bytes": "<base64>"}.
    static func bytes(_ field: Any?) -> [UInt8]? {
        guard let object = field as? [String: Any] else { return nil }
        if let text = object["text"] as? String { return Array(text.utf8) }
        if let b64 = object["bytes"] as? String { return Array(Data(base64Encoded: b64)!) }
        return nil
    }

    static func jsonLines(_ output: [UInt8]) -> [[String: Any]] {
        String(decoding: output, as: UTF8.self).split(separator: "\n").map {
            try! JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
        }
    }
}

/// SHA-256 (FIPS 180-4), for the fixtures' `value_sha256` fields.
enum SHA256 {
    private static let k: [UInt32] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
    ]

    static func hex(_ message: [UInt8]) -> String {
        var h: [UInt32] = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]
        var data = message
        data.append(0x80)
        while data.count % 64 != 56 { data.append(0) }
        let bits = UInt64(message.count) * 8
        for i in (0..<8).reversed() { data.append(UInt8(truncatingIfNeeded: bits >> (UInt64(i) * 8))) }
        func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 { (x >> n) | (x << (32 - n)) }
        var w = [UInt32](repeating: 0, count: 64)
        for chunk in stride(from: 0, to: data.count, by: 64) {
            for i in 0..<16 {
                w[i] = (0..<4).reduce(UInt32(0)) { $0 << 8 | UInt32(data[chunk + 4 * i + $1]) }
            }
            for i in 16..<64 {
                let s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3)
                let s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10)
                w[i] = w[i - 16] &+ s0 &+ w[i - 7] &+ s1
            }
            var (a, b, c, d, e, f, g, hh) = (h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7])
            for i in 0..<64 {
                let s1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)
                let ch = (e & f) ^ (~e & g)
                let t1 = hh &+ s1 &+ ch &+ k[i] &+ w[i]
                let s0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)
                let maj = (a & b) ^ (a & c) ^ (b & c)
                let t2 = s0 &+ maj
                (hh, g, f, e, d, c, b, a) = (g, f, e, d &+ t1, c, b, a, t1 &+ t2)
            }
            h = [h[0] &+ a, h[1] &+ b, h[2] &+ c, h[3] &+ d, h[4] &+ e, h[5] &+ f, h[6] &+ g, h[7] &+ hh]
        }
        return h.map { String(format: "%08x", $0) }.joined()
    }
}

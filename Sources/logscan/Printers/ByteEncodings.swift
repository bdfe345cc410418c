import CLogScanSupport
import LogScan

/// The encodings printers need for arbitrary bytes: UTF-8 validation, JSON
/// string escaping, base64, and the escaped form of the text format.
enum ByteEncodings {
    /// True when `bytes` is valid UTF-8 (no overlongs, no surrogates, <= U+10FFFF).
    static func isValidUTF8(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let base = bytes.baseAddress else { return true }
        let n = bytes.count
        var i = 0
        while i < n {
            // ASCII fast path, eight bytes at a time.
            while i + 8 <= n, base.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080 == 0 { i += 8 }
            if i >= n { break }
            let b0 = base.load(fromByteOffset: i, as: UInt8.self)
            if b0 < 0x80 { i += 1; continue }
            @inline(__always) func cont(_ k: Int) -> UInt8? {
                guard i + k < n else { return nil }
                let b = base.load(fromByteOffset: i + k, as: UInt8.self)
                return b & 0xC0 == 0x80 ? b : nil
            }
            if b0 >= 0xC2 && b0 <= 0xDF {
                guard cont(1) != nil else { return false }
                i += 2
            } else if b0 >= 0xE0 && b0 <= 0xEF {
                guard let b1 = cont(1), cont(2) != nil else { return false }
                if b0 == 0xE0 && b1 < 0xA0 { return false }  // overlong
                if b0 == 0xED && b1 > 0x9F { return false }  // surrogate
                i += 3
            } else if b0 >= 0xF0 && b0 <= 0xF4 {
                guard let b1 = cont(1), cont(2) != nil, cont(3) != nil else { return false }
                if b0 == 0xF0 && b1 < 0x90 { return false }  // overlong
                if b0 == 0xF4 && b1 > 0x8F { return false }  // > U+10FFFF
                i += 4
            } else {
                return false
            }
        }
        return true
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)
    private static let base64Alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// The contents of a JSON string for valid UTF-8 `bytes` (no quotes).
    static func writeJSONEscaped(_ bytes: UnsafeRawBufferPointer, to out: inout OutputBuffer) {
        guard let base = bytes.baseAddress else { return }
        let n = bytes.count
        var i = 0
        while i < n {
            // The bytes up to the next one to escape, copied at once.
            let run = logscan_plain_prefix(base + i, n - i, LOGSCAN_PLAIN_JSON)
            if run > 0 { out.bytes(UnsafeRawBufferPointer(start: base + i, count: run)) }
            i += run
            guard i < n else { break }
            let b = base.load(fromByteOffset: i, as: UInt8.self)
            i += 1
            out.byte(0x5C)  // backslash
            switch b {
            case 0x22: out.byte(0x22)
            case 0x5C: out.byte(0x5C)
            case 0x0A: out.byte(UInt8(ascii: "n"))
            case 0x0D: out.byte(UInt8(ascii: "r"))
            case 0x09: out.byte(UInt8(ascii: "t"))
            case 0x08: out.byte(UInt8(ascii: "b"))
            case 0x0C: out.byte(UInt8(ascii: "f"))
            default:
                out.ascii("u00")
                out.byte(hexDigits[Int(b >> 4)])
                out.byte(hexDigits[Int(b & 15)])
            }
        }
    }

    /// A path or name as ripgrep prints one: {"text": "..."}, or
    /// {"bytes": "<base64>"} when it is not valid UTF-8 (`bytes: true`).
    static func writeJSONString(_ text: String, bytes: Bool, to out: inout OutputBuffer) {
        var text = text
        text.withUTF8 { writeJSONBytes(UnsafeRawBufferPointer($0), to: &out) }
    }

    static func writeJSONString(_ text: String, to out: inout OutputBuffer) {
        out.byte(0x22)
        var text = text
        text.withUTF8 { writeJSONEscaped(UnsafeRawBufferPointer($0), to: &out) }
        out.byte(0x22)
    }

    /// ripgrep's convention: {"text": "..."} for valid UTF-8, else {"bytes": "<base64>"}.
    static func writeJSONBytes(_ bytes: UnsafeRawBufferPointer?, to out: inout OutputBuffer) {
        guard let bytes else { out.ascii("null"); return }
        if isValidUTF8(bytes) {
            out.ascii("{\"text\":\"")
            writeJSONEscaped(bytes, to: &out)
        } else {
            out.ascii("{\"bytes\":\"")
            writeBase64(bytes, to: &out)
        }
        out.ascii("\"}")
    }

    static func writeBase64(_ bytes: UnsafeRawBufferPointer, to out: inout OutputBuffer) {
        guard let base = bytes.baseAddress else { return }
        let n = bytes.count
        var i = 0
        base64Alphabet.withUnsafeBufferPointer { alphabet in
            while i + 3 <= n {
                let v = UInt32(base.load(fromByteOffset: i, as: UInt8.self)) << 16
                    | UInt32(base.load(fromByteOffset: i + 1, as: UInt8.self)) << 8
                    | UInt32(base.load(fromByteOffset: i + 2, as: UInt8.self))
                out.ensure(4)
                out.byte(alphabet[Int(v >> 18)])
                out.byte(alphabet[Int((v >> 12) & 63)])
                out.byte(alphabet[Int((v >> 6) & 63)])
                out.byte(alphabet[Int(v & 63)])
                i += 3
            }
            let rest = n - i
            if rest > 0 {
                var v = UInt32(base.load(fromByteOffset: i, as: UInt8.self)) << 16
                if rest == 2 { v |= UInt32(base.load(fromByteOffset: i + 1, as: UInt8.self)) << 8 }
                out.byte(alphabet[Int(v >> 18)])
                out.byte(alphabet[Int((v >> 12) & 63)])
                out.byte(rest == 2 ? alphabet[Int((v >> 6) & 63)] : UInt8(ascii: "="))
                out.byte(UInt8(ascii: "="))
            }
        }
    }

    /// The text format's quoted form: printable ASCII and valid multi-byte
    /// UTF-8 as is; quotes, backslashes and control characters escaped
    /// (\" \\ \n \r \t); every other byte as \xNN.
    static func writeQuoted(_ bytes: UnsafeRawBufferPointer?, highlight: Highlight? = nil, field: Submatch.Field = .value,
                            to out: inout OutputBuffer) {
        let ranges = highlight?.ranges(field) ?? []
        guard let bytes else { out.ascii("null"); return }
        out.byte(0x22)
        guard let base = bytes.baseAddress else { out.byte(0x22); return }
        let n = bytes.count
        var i = 0
        // Highlighting: `next` is the next range to open or close.
        var next = 0
        var open = false
        while i < n {
            // Where the next highlight opens or closes: runs stop there.
            var boundary = n
            if let highlight, next < ranges.count {
                if !open && i >= ranges[next].lowerBound {
                    out.ascii(highlight.on)
                    open = true
                }
                if open && i >= ranges[next].upperBound {
                    out.ascii(highlight.off)
                    open = false
                    next += 1
                    continue
                }
                boundary = min(n, max(i, open ? ranges[next].upperBound : ranges[next].lowerBound))
            }
            // Printable ASCII up to the boundary, copied at once.
            let run = logscan_plain_prefix(base + i, boundary - i, LOGSCAN_PLAIN_TEXT)
            if run > 0 {
                out.bytes(UnsafeRawBufferPointer(start: base + i, count: run))
                i += run
                continue
            }
            let b = base.load(fromByteOffset: i, as: UInt8.self)
            if b >= 0x80, let length = validSequenceLength(base, i, n) {
                out.bytes(UnsafeRawBufferPointer(start: base + i, count: length))
                i += length
                continue
            }
            out.byte(0x5C)
            switch b {
            case 0x22: out.byte(0x22)
            case 0x5C: out.byte(0x5C)
            case 0x0A: out.byte(UInt8(ascii: "n"))
            case 0x0D: out.byte(UInt8(ascii: "r"))
            case 0x09: out.byte(UInt8(ascii: "t"))
            default:
                out.byte(UInt8(ascii: "x"))
                out.byte(hexDigits[Int(b >> 4)])
                out.byte(hexDigits[Int(b & 15)])
            }
            i += 1
        }
        if open, let highlight { out.ascii(highlight.off) }
        out.byte(0x22)
    }

    /// Length of the valid UTF-8 sequence starting at `i`, or nil.
    private static func validSequenceLength(_ base: UnsafeRawPointer, _ i: Int, _ n: Int) -> Int? {
        let b0 = base.load(fromByteOffset: i, as: UInt8.self)
        let length = b0 >= 0xF0 ? 4 : b0 >= 0xE0 ? 3 : b0 >= 0xC0 ? 2 : 0
        guard length > 0, i + length <= n else { return nil }
        return isValidUTF8(UnsafeRawBufferPointer(start: base + i, count: length)) ? length : nil
    }
}

import LogScan

/// Parses one line of `replay --format jsonl` (or anything shaped like it)
/// back into a record: `key` and `value` as null, {"text": "..."} or
/// {"bytes": "<base64>"}, and `timestamp` as a number or null. Other fields
/// are skipped, whatever their type. A small recursive-descent JSON reader;
/// strings are decoded with all escapes, surrogate pairs included.
struct JSONRecordParser {
    struct Record {
        var key: [UInt8]?
        var value: [UInt8]?
        /// nil: the field was absent (the writer uses the current time);
        /// .some(nil): explicitly null.
        var timestamp: Int64??
    }

    struct ParseError: Error, CustomStringConvertible {
        var offset: Int
        var message: String
        var description: String { "at column \(offset + 1): \(message)" }
    }

    private let bytes: UnsafeRawBufferPointer
    private var i = 0

    private init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    static func parse(_ line: UnsafeRawBufferPointer) throws(ParseError) -> Record {
        var parser = JSONRecordParser(line)
        return try parser.parseRecord()
    }

    private mutating func parseRecord() throws(ParseError) -> Record {
        var record = Record()
        skipSpace()
        try expect(UInt8(ascii: "{"))
        skipSpace()
        if peek() == UInt8(ascii: "}") { i += 1; return try finish(record) }
        while true {
            skipSpace()
            let name = try parseString()
            skipSpace()
            try expect(UInt8(ascii: ":"))
            skipSpace()
            switch String(decoding: name, as: UTF8.self) {
            case "key": record.key = try parseBytesField("key")
            case "value": record.value = try parseBytesField("value")
            case "timestamp": record.timestamp = .some(try parseTimestamp())
            default: try skipValue()
            }
            skipSpace()
            guard let c = peek() else { throw error("unexpected end of line in object") }
            i += 1
            if c == UInt8(ascii: "}") { break }
            guard c == UInt8(ascii: ",") else { throw error("expected , or } in object") }
        }
        return try finish(record)
    }

    private mutating func finish(_ record: Record) throws(ParseError) -> Record {
        skipSpace()
        guard i == bytes.count else { throw error("unexpected bytes after the object") }
        return record
    }

    /// null, {"text": "..."} or {"bytes": "..."}.
    private mutating func parseBytesField(_ field: String) throws(ParseError) -> [UInt8]? {
        if try parseNullIfPresent() { return nil }
        try expect(UInt8(ascii: "{"))
        skipSpace()
        var result: [UInt8]? = nil
        if peek() == UInt8(ascii: "}") { throw error("\(field): expected {\"text\": ...} or {\"bytes\": ...}") }
        while true {
            skipSpace()
            let name = String(decoding: try parseString(), as: UTF8.self)
            skipSpace()
            try expect(UInt8(ascii: ":"))
            skipSpace()
            switch name {
            case "text": result = try parseString()
            case "bytes":
                let start = i
                let encoded = try parseString()
                guard let decoded = Base64.decode(encoded) else {
                    i = start
                    throw error("\(field).bytes is not valid base64")
                }
                result = decoded
            default: try skipValue()
            }
            skipSpace()
            guard let c = peek() else { throw error("unexpected end of line") }
            i += 1
            if c == UInt8(ascii: "}") { break }
            guard c == UInt8(ascii: ",") else { throw error("expected , or }") }
        }
        guard let result else { throw error("\(field): expected {\"text\": ...} or {\"bytes\": ...}") }
        return result
    }

    private mutating func parseTimestamp() throws(ParseError) -> Int64? {
        if try parseNullIfPresent() { return nil }
        let start = i
        if peek() == UInt8(ascii: "-") { i += 1 }
        while let c = peek(), c >= 48 && c <= 57 { i += 1 }
        guard i > start, let value = Int64(String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self)) else {
            i = start
            throw error("timestamp must be an integer number of milliseconds or null")
        }
        if let c = peek(), c == UInt8(ascii: ".") || c == UInt8(ascii: "e") || c == UInt8(ascii: "E") {
            throw error("timestamp must be an integer number of milliseconds")
        }
        return value
    }

    private mutating func parseNullIfPresent() throws(ParseError) -> Bool {
        guard peek() == UInt8(ascii: "n") else { return false }
        guard bytes.count - i >= 4, bytes[i + 1] == UInt8(ascii: "u"), bytes[i + 2] == UInt8(ascii: "l"), bytes[i + 3] == UInt8(ascii: "l") else {
            throw error("invalid literal")
        }
        i += 4
        return true
    }

    private mutating func parseString() throws(ParseError) -> [UInt8] {
        try expect(UInt8(ascii: "\""))
        var out: [UInt8] = []
        while true {
            guard let c = peek() else { throw error("unterminated string") }
            i += 1
            switch c {
            case UInt8(ascii: "\""):
                return out
            case UInt8(ascii: "\\"):
                guard let e = peek() else { throw error("unterminated escape") }
                i += 1
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
                case UInt8(ascii: "b"): out.append(8)
                case UInt8(ascii: "f"): out.append(12)
                case UInt8(ascii: "n"): out.append(10)
                case UInt8(ascii: "r"): out.append(13)
                case UInt8(ascii: "t"): out.append(9)
                case UInt8(ascii: "u"):
                    var scalar = try parseHex4()
                    if scalar >= 0xD800 && scalar <= 0xDBFF {
                        guard bytes.count - i >= 6, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") else {
                            throw error("unpaired surrogate in \\u escape")
                        }
                        i += 2
                        let low = try parseHex4()
                        guard low >= 0xDC00 && low <= 0xDFFF else { throw error("unpaired surrogate in \\u escape") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else if scalar >= 0xDC00 && scalar <= 0xDFFF {
                        throw error("unpaired surrogate in \\u escape")
                    }
                    appendUTF8(scalar, to: &out)
                default:
                    throw error("invalid escape \\\(Character(Unicode.Scalar(e)))")
                }
            default:
                guard c >= 0x20 else { throw error("control character in string") }
                out.append(c)
            }
        }
    }

    private mutating func parseHex4() throws(ParseError) -> UInt32 {
        guard bytes.count - i >= 4 else { throw error("short \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let c = bytes[i]
            let digit: UInt32
            switch c {
            case 48...57: digit = UInt32(c - 48)
            case 65...70: digit = UInt32(c - 55)
            case 97...102: digit = UInt32(c - 87)
            default: throw error("bad hex digit in \\u escape")
            }
            value = value << 4 | digit
            i += 1
        }
        return value
    }

    private func appendUTF8(_ scalar: UInt32, to out: inout [UInt8]) {
        switch scalar {
        case 0..<0x80: out.append(UInt8(scalar))
        case 0x80..<0x800:
            out.append(UInt8(0xC0 | scalar >> 6)); out.append(UInt8(0x80 | scalar & 0x3F))
        case 0x800..<0x10000:
            out.append(UInt8(0xE0 | scalar >> 12)); out.append(UInt8(0x80 | (scalar >> 6) & 0x3F)); out.append(UInt8(0x80 | scalar & 0x3F))
        default:
            out.append(UInt8(0xF0 | scalar >> 18)); out.append(UInt8(0x80 | (scalar >> 12) & 0x3F))
            out.append(UInt8(0x80 | (scalar >> 6) & 0x3F)); out.append(UInt8(0x80 | scalar & 0x3F))
        }
    }

    /// Skips any JSON value (for fields the writer does not use).
    private mutating func skipValue(depth: Int = 0) throws(ParseError) {
        guard depth < 64 else { throw error("nesting too deep") }
        skipSpace()
        guard let c = peek() else { throw error("expected a value") }
        switch c {
        case UInt8(ascii: "\""): _ = try parseString()
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            let close = c == UInt8(ascii: "{") ? UInt8(ascii: "}") : UInt8(ascii: "]")
            i += 1
            skipSpace()
            if peek() == close { i += 1; return }
            while true {
                skipSpace()
                if c == UInt8(ascii: "{") {
                    _ = try parseString()
                    skipSpace()
                    try expect(UInt8(ascii: ":"))
                }
                try skipValue(depth: depth + 1)
                skipSpace()
                guard let d = peek() else { throw error("unterminated container") }
                i += 1
                if d == close { return }
                guard d == UInt8(ascii: ",") else { throw error("expected , in container") }
            }
        default:
            // number, true, false, null
            let start = i
            while let d = peek(), d != UInt8(ascii: ","), d != UInt8(ascii: "}"), d != UInt8(ascii: "]"), d > 0x20 { i += 1 }
            if i == start { throw error("expected a value") }
        }
    }

    private func peek() -> UInt8? { i < bytes.count ? bytes[i] : nil }

    private mutating func expect(_ c: UInt8) throws(ParseError) {
        guard peek() == c else { throw error("expected '\(Character(Unicode.Scalar(c)))'") }
        i += 1
    }

    private mutating func skipSpace() {
        while let c = peek(), c == 0x20 || c == 0x09 || c == 0x0D || c == 0x0A { i += 1 }
    }

    private func error(_ message: String) -> ParseError { ParseError(offset: i, message: message) }
}

enum Base64 {
    /// Standard alphabet, padding optional; nil for anything else.
    static func decode(_ text: [UInt8]) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(text.count * 3 / 4)
        var accumulator: UInt32 = 0
        var bits = 0
        var padding = 0
        for c in text {
            let v: UInt32
            switch c {
            case 65...90: v = UInt32(c - 65)
            case 97...122: v = UInt32(c - 71)
            case 48...57: v = UInt32(c + 4)
            case UInt8(ascii: "+"): v = 62
            case UInt8(ascii: "/"): v = 63
            case UInt8(ascii: "="): padding += 1; continue
            default: return nil
            }
            if padding > 0 { return nil }
            accumulator = accumulator << 6 | v
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
            }
        }
        guard padding <= 2, bits < 6 else { return nil }
        return out
    }
}

import LogScan

/// Output formats of `replay` (and of the records `grep` prints).
enum RecordFormat: String, CaseIterable {
    /// One line per record for people: offset, time, quoted key and value.
    case text
    /// One JSON object per line for programs (schema in docs/OUTPUT.md).
    case jsonl
}

/// Writes records in one format. Knows nothing about files: it is told the
/// segment path once per segment and gets records as views.
struct RecordPrinter: ~Copyable {
    let format: RecordFormat
    var out: OutputBuffer
    /// `{"path":"<segment>","position":` for the current segment, pre-encoded.
    private var jsonPrefix: [UInt8] = []

    init(format: RecordFormat, fd: Int32 = 1) {
        self.format = format
        out = OutputBuffer(fd: fd)
    }

    mutating func beginSegment(path: String) {
        guard format == .jsonl else { return }
        var prefix = OutputBuffer.inMemory()
        prefix.ascii("{\"path\":")
        ByteEncodings.writeJSONString(path, to: &prefix)
        prefix.ascii(",\"position\":")
        jsonPrefix = prefix.takeBytes()
    }

    mutating func print(_ record: LogRecord) {
        switch format {
        case .jsonl: printJSON(record)
        case .text: printText(record)
        }
    }

    /// `{"path":..., "position":N, "offset":N, "timestamp":N|null, "key":B|null, "value":B|null, "resume":"TOKEN"}`
    mutating func printJSON(_ record: LogRecord) {
        out.bytes(jsonPrefix)
        out.decimal(record.position)
        out.ascii(",\"offset\":")
        out.decimal(record.offset)
        out.ascii(",\"timestamp\":")
        if let ts = record.timestamp { out.decimal(ts) } else { out.ascii("null") }
        out.ascii(",\"key\":")
        ByteEncodings.writeJSONBytes(record.key, to: &out)
        out.ascii(",\"value\":")
        ByteEncodings.writeJSONBytes(record.value, to: &out)
        // Appended last, after the original fields: an opaque token to hand
        // back to `--after` (ResumeToken; only [0-9a-z.] so no escaping).
        let token = record.resumeToken
        out.ascii(",\"resume\":\"")
        out.byte(ResumeToken.letter(token.kind))
        out.byte(ResumeToken.versionDigit)
        out.dottedHex(token.offset, UInt64(bitPattern: token.unitPosition), UInt64(token.check), token.file)
        out.ascii("\"}\n")
    }

    /// `12 2026-11-23T18:43:00.123Z key="k" value="v"` (`-` for no time).
    mutating func printText(_ record: LogRecord) {
        out.decimal(record.offset)
        out.byte(0x20)
        if let ts = record.timestamp { TimeFormat.writeISO8601(ts, to: &out) } else { out.byte(UInt8(ascii: "-")) }
        out.ascii(" key=")
        ByteEncodings.writeQuoted(record.key, to: &out)
        out.ascii(" value=")
        ByteEncodings.writeQuoted(record.value, to: &out)
        out.byte(0x0A)
    }
}

import LogScan

/// Output formats of `replay` (and of the records `grep` prints).
enum RecordFormat: String, CaseIterable {
    /// One line per record for people: offset, time, quoted key and value.
    case text
    /// One JSON object per line for programs (schema in docs/OUTPUT.md).
    case jsonl
    /// WALs only: what `ldb dump_wal --print_value` prints (LDBDumpPrinter).
    case ldb
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
        jsonPrefix = RecordPrinter.jsonPrefix(path: path)
    }

    mutating func print(_ record: LogRecord) {
        switch format {
        case .jsonl: printJSON(record)
        case .text, .ldb: printText(record)
        }
    }

    mutating func printJSON(_ record: LogRecord) {
        RecordEncoding.writeJSON(record, prefix: jsonPrefix, to: &out)
        out.byte(0x0A)
    }

    mutating func printText(_ record: LogRecord) {
        RecordEncoding.writeText(record, to: &out)
        out.byte(0x0A)
    }

    /// `{"path":"<segment>","position":` for `path`, the start of every
    /// JSON record object of that segment.
    static func jsonPrefix(path: String) -> [UInt8] {
        var prefix = OutputBuffer.inMemory()
        prefix.ascii("{\"path\":")
        ByteEncodings.writeJSONString(path, to: &prefix)
        prefix.ascii(",\"position\":")
        return prefix.takeBytes()
    }
}

/// Where matches are, for the text format to highlight them: in a record's
/// key or value, a Kafka header's value, or a WAL batch's op fields.
struct Highlight {
    var submatches: [Submatch]
    /// ANSI sequences around each match.
    var on: StaticString = "\u{1B}[1;31m"
    var off: StaticString = "\u{1B}[0m"

    /// The matches in one field, in order.
    func ranges(_ field: Submatch.Field) -> [Range<Int>] {
        submatches.filter { $0.field == field }.map(\.range)
    }
}

/// A record's two printed forms, shared by `replay` and `grep`.
enum RecordEncoding {
    /// `{"path":..., "position":N, "offset":N, "timestamp":N|null, "key":B|null, "value":B|null}`
    /// (no newline); `prefix` is `RecordPrinter.jsonPrefix(path:)`.
    static func writeJSON(_ record: LogRecord, prefix: [UInt8], to out: inout OutputBuffer) {
        if case .writeBatch(let batch) = record {
            WALFields.writeJSON(batch, prefix: prefix, to: &out)
            writeResume(record, to: &out)
            return
        }
        out.bytes(prefix)
        out.decimal(record.position)
        out.ascii(",\"offset\":")
        out.decimal(record.offset)
        out.ascii(",\"timestamp\":")
        if let ts = record.timestamp { out.decimal(ts) } else { out.ascii("null") }
        out.ascii(",\"key\":")
        ByteEncodings.writeJSONBytes(record.key, to: &out)
        out.ascii(",\"value\":")
        ByteEncodings.writeJSONBytes(record.value, to: &out)
        if case .kafka(let kafka) = record { KafkaFields.writeJSON(kafka, to: &out) }
        writeResume(record, to: &out)
    }

    /// Appended after the original fields: an opaque token to hand back
    /// to `--after` (ResumeToken; only [0-9a-z.] so no escaping).
    private static func writeResume(_ record: LogRecord, to out: inout OutputBuffer) {
        let token = record.resumeToken
        out.ascii(",\"resume\":\"")
        out.byte(ResumeToken.letter(token.kind))
        out.byte(ResumeToken.versionDigit)
        out.dottedHex(token.offset, UInt64(bitPattern: token.unitPosition), UInt64(token.check), token.file)
        out.ascii("\"}")
    }

    /// `12 2026-11-23T18:43:00.123Z key="k" value="v"` (`-` for no time), no newline.
    static func writeText(_ record: LogRecord, highlight: Highlight? = nil, to out: inout OutputBuffer) {
        if case .writeBatch(let batch) = record {
            WALFields.writeText(batch, highlight: highlight, to: &out)
            return
        }
        out.decimal(record.offset)
        out.byte(0x20)
        if let ts = record.timestamp { TimeFormat.writeISO8601(ts, to: &out) } else { out.byte(UInt8(ascii: "-")) }
        out.ascii(" key=")
        ByteEncodings.writeQuoted(record.key, highlight: highlight, field: .key, to: &out)
        out.ascii(" value=")
        ByteEncodings.writeQuoted(record.value, highlight: highlight, field: .value, to: &out)
        if case .kafka(let kafka) = record { KafkaFields.writeText(kafka, highlight: highlight, to: &out) }
    }
}

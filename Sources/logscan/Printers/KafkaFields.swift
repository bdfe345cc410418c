import LogScan

/// The fields a Kafka record has beyond the common ones, for RecordPrinter.
///
/// jsonl, after the common fields:
///   "batch_position": N                 byte offset of the record's batch (v0/v1: its message)
///   "headers": [{"key": "...", "value": B|null}, ...]   in stored order; the key is a JSON
///                                       string (bytes that are not UTF-8 become U+FFFD, as in Java)
///   "timestamp_type": "CreateTime" | "LogAppendTime" | null (v0 messages have no timestamps)
///   "transactional": bool, "control": bool
///   "control_type": N                   control records only: 0 abort, 1 commit, 2 and up KRaft
///                                       (the key's second int16; the key itself is printed too)
/// text, after the value: ` headers=["k"="v", "n"=null]` when there are headers,
/// ` transactional`, and ` control=commit` (or ` control=type N`).
enum KafkaFields {
    static func writeJSON(_ record: KafkaRecord, to out: inout OutputBuffer) {
        out.ascii(",\"batch_position\":")
        out.decimal(record.batchPosition)
        out.ascii(",\"headers\":[")
        var first = true
        for header in record.headers {
            out.ascii(first ? "{\"key\":" : ",{\"key\":")
            first = false
            writeJSONKey(header.key, to: &out)
            out.ascii(",\"value\":")
            ByteEncodings.writeJSONBytes(header.value, to: &out)
            out.byte(UInt8(ascii: "}"))
        }
        out.ascii("],\"timestamp_type\":")
        switch record.timestampType {
        case .createTime: out.ascii("\"CreateTime\"")
        case .logAppendTime: out.ascii("\"LogAppendTime\"")
        case nil: out.ascii("null")
        }
        out.ascii(record.isTransactional ? ",\"transactional\":true" : ",\"transactional\":false")
        if let control = record.control {
            out.ascii(",\"control\":true,\"control_type\":")
            out.decimal(Int64(control.type))
        } else {
            out.ascii(",\"control\":false")
        }
    }

    static func writeText(_ record: KafkaRecord, highlight: Highlight? = nil, to out: inout OutputBuffer) {
        if !record.headers.isEmpty {
            out.ascii(" headers=[")
            var first = true
            for (index, header) in record.headers.enumerated() {
                if !first { out.ascii(", ") }
                first = false
                ByteEncodings.writeQuoted(header.key, to: &out)
                out.byte(UInt8(ascii: "="))
                ByteEncodings.writeQuoted(header.value, highlight: highlight, field: .headerValue(index), to: &out)
            }
            out.byte(UInt8(ascii: "]"))
        }
        if record.isTransactional { out.ascii(" transactional") }
        if let control = record.control {
            out.ascii(" control=")
            if let name = control.typeName { out.string(name) } else { out.ascii("type "); out.decimal(Int64(control.type)) }
        }
    }

    /// Header keys are strings in Kafka: a JSON string, with bytes that are
    /// not UTF-8 replaced by U+FFFD (what Java's decoder does).
    private static func writeJSONKey(_ key: UnsafeRawBufferPointer, to out: inout OutputBuffer) {
        if ByteEncodings.isValidUTF8(key) {
            out.byte(0x22)
            ByteEncodings.writeJSONEscaped(key, to: &out)
            out.byte(0x22)
        } else {
            ByteEncodings.writeJSONString(String(decoding: key, as: UTF8.self), to: &out)
        }
    }
}

import LogScan

/// How a WAL record (one WriteBatch) is printed by `replay` and `grep`.
///
/// jsonl: `{"path", "position", "offset": SEQ, "sequence": SEQ, "count": N,
/// "ops": [...], "resume"}`; no timestamp, key or value at the top level.
/// Each op: `{"op": "put|delete|single_delete|merge|delete_range|log_data|
/// blob_index|put_entity|begin_prepare|end_prepare|commit|rollback|noop|
/// begin_persisted_prepare|begin_unprepare|commit_with_timestamp"}` plus what
/// applies: `"cf"` (data ops), `"key"`, `"value"` (put, merge, blob_index,
/// put_entity, and a log_data blob), `"end_key"` (delete_range), `"xid"`
/// (2PC markers), `"timestamp"` (commit_with_timestamp). Bytes as for native
/// keys and values.
///
/// text: `SEQ count=N: put(0) key="k" value="v"; delete(1) key="x"`.
enum WALFields {
    static func writeJSON(_ batch: WriteBatchRecord, prefix: [UInt8], to out: inout OutputBuffer) {
        out.bytes(prefix)
        out.decimal(batch.position)
        out.ascii(",\"offset\":")
        out.decimal(batch.sequence)
        out.ascii(",\"sequence\":")
        out.decimal(batch.sequence)
        out.ascii(",\"count\":")
        out.decimal(UInt64(batch.count))
        out.ascii(",\"ops\":[")
        var first = true
        for op in batch.ops {
            out.ascii(first ? "{\"op\":\"" : ",{\"op\":\"")
            first = false
            out.string(op.kind.name)
            out.byte(UInt8(ascii: "\""))
            if op.kind.hasColumnFamily {
                out.ascii(",\"cf\":")
                out.decimal(UInt64(op.columnFamily))
            }
            if let key = op.key {
                out.ascii(",\"key\":")
                ByteEncodings.writeJSONBytes(key, to: &out)
            }
            if let value = op.value {
                out.ascii(",\"value\":")
                ByteEncodings.writeJSONBytes(value, to: &out)
            }
            if let end = op.endKey {
                out.ascii(",\"end_key\":")
                ByteEncodings.writeJSONBytes(end, to: &out)
            }
            if let xid = op.xid {
                out.ascii(",\"xid\":")
                ByteEncodings.writeJSONBytes(xid, to: &out)
            }
            if let ts = op.commitTimestamp {
                out.ascii(",\"timestamp\":")
                ByteEncodings.writeJSONBytes(ts, to: &out)
            }
            out.byte(UInt8(ascii: "}"))
        }
        out.byte(UInt8(ascii: "]"))
    }

    static func writeText(_ batch: WriteBatchRecord, highlight: Highlight? = nil, to out: inout OutputBuffer) {
        out.decimal(batch.sequence)
        out.ascii(" count=")
        out.decimal(UInt64(batch.count))
        out.byte(UInt8(ascii: ":"))
        var first = true
        for (index, op) in batch.ops.enumerated() {
            out.ascii(first ? " " : "; ")
            first = false
            out.string(op.kind.name)
            if op.kind.hasColumnFamily {
                out.byte(UInt8(ascii: "("))
                out.decimal(UInt64(op.columnFamily))
                out.byte(UInt8(ascii: ")"))
            }
            if let key = op.key { out.ascii(" key="); ByteEncodings.writeQuoted(key, highlight: highlight, field: .opKey(index), to: &out) }
            if let value = op.value {
                out.ascii(" value=")
                ByteEncodings.writeQuoted(value, highlight: highlight, field: .opValue(index), to: &out)
            }
            if let end = op.endKey {
                out.ascii(" end_key=")
                ByteEncodings.writeQuoted(end, highlight: highlight, field: .opEndKey(index), to: &out)
            }
            if let xid = op.xid { out.ascii(" xid="); ByteEncodings.writeQuoted(xid, to: &out) }
            if let ts = op.commitTimestamp { out.ascii(" timestamp="); ByteEncodings.writeQuoted(ts, to: &out) }
        }
    }
}

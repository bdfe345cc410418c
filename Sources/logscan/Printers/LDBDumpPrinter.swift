import LogScan

/// `replay --format ldb`: what RocksDB 7.8.3's `ldb dump_wal --walfile=F
/// --print_value [--header]` prints for each WAL file, byte for byte:
/// rows on stdout, the reader's corruption reports and a `Failed: ...` line
/// on stderr (docs/notes/ldb-dump-wal.md has every rule, docs/WAL.md how it
/// is tested). The reading itself is the library's WAL reader with 7.8.3's
/// rules (`WALDialect.ldb783`).
struct LDBDumpPrinter: ~Copyable {
    var out = OutputBuffer(fd: 1, capacity: 1 << 20)
    var err = OutputBuffer(fd: 2, capacity: 4096)
    let header: Bool

    init(header: Bool) {
        self.header = header
    }

    enum Outcome {
        /// Read to the end with nothing reported.
        case clean
        /// The reader reported corruption (ldb exits 0 there).
        case reported
        /// ldb would have stopped with `Failed: ...` (ldb exits 1).
        case failed
    }

    /// Dumps one WAL file. `logNumber` is what its name gives.
    mutating func dump(_ source: ByteSource, logNumber: UInt64) throws(LogScanError) -> Outcome {
        if header { out.ascii("Sequence,Count,ByteSize,Physical Offset,Key(s) : value \n") }
        let reader = WALLogReader(source: source, dialect: .ldb783, logNumber: logNumber)
        var outcome = Outcome.clean
        while true {
            switch try reader.next() {
            case .record(let record):
                if record.bytes.count < WALFormat.batchHeaderSize {
                    corruption("log record too small")
                    outcome = .reported
                    continue
                }
                if let failure = WriteBatchOps.validate(record.bytes, leveldb: false, refusing: LDBDumpPrinter.refusal) {
                    // ldb drops the row it was building and stops.
                    err.ascii("Failed: Print write batch error: ")
                    err.string(failure.message)
                    err.byte(0x0A)
                    err.flush()
                    return .failed
                }
                row(record)
            case .report(let report):
                corruption(report.message)
                outcome = .reported
            case .end:
                return outcome
            }
        }
    }

    private mutating func corruption(_ message: String) {
        err.ascii("Corruption detected in log file Corruption: ")
        err.string(message)
        err.byte(0x0A)
        err.flush()
    }

    /// The ops 7.8.3's printer (InMemoryHandler) cannot print; their message.
    static func refusal(_ op: WriteBatchOp) -> String? {
        switch op.kind {
        case .blobIndex: return "Invalid argument: PutBlobIndexCF not implemented"
        case .putEntity: return "Not implemented: PutEntityCF not implemented"
        case .beginPersistedPrepare:
            return "Not implemented: WritePrepared/WriteUnprepared txn tag when write_after_commit_ is enabled (in default WriteCommitted mode). If it is not due to corruption, the WAL must be emptied before changing the WritePolicy."
        case .beginUnprepare:
            return "Not implemented: WriteUnprepared txn tag when write_after_commit_ is enabled (in default WriteCommitted mode). If it is not due to corruption, the WAL must be emptied before changing the WritePolicy."
        default: return nil
        }
    }

    /// `seq,count,bytesize,offset,` then one item per op (each ending in a space).
    @inline(__always)
    private mutating func row(_ record: WALLogicalRecord) {
        out.decimal(record.batchSequence)
        out.byte(UInt8(ascii: ","))
        out.decimal(UInt64(record.batchCount))
        out.byte(UInt8(ascii: ","))
        out.decimal(Int64(record.bytes.count))
        out.byte(UInt8(ascii: ","))
        out.decimal(record.offset)
        out.byte(UInt8(ascii: ","))
        for op in WriteBatchOps(record.bytes) {
            item(op)
        }
        out.byte(0x0A)
    }

    @inline(__always)
    private mutating func item(_ op: WriteBatchOp) {
        switch op.kind {
        case .put:
            named("PUT(", op)
            out.upperHex(op.first!)
            out.ascii(" : ")
            out.upperHex(op.second!)
            out.byte(0x20)
        case .merge:
            named("MERGE(", op)
            out.upperHex(op.first!)
            out.ascii(" : ")
            out.upperHex(op.second!)
            out.byte(0x20)
        case .delete:
            named("DELETE(", op)
            out.upperHex(op.first!)
            out.byte(0x20)
        case .singleDelete:
            named("SINGLE_DELETE(", op)
            out.upperHex(op.first!)
            out.byte(0x20)
        case .deleteRange:
            named("DELETE_RANGE(", op)
            out.upperHex(op.first!)
            out.byte(0x20)
            out.upperHex(op.second!)
            out.byte(0x20)
        case .logData:
            break
        case .noop:
            out.ascii("NOOP ")
        case .beginPrepare:
            out.ascii("BEGIN_PREPARE(false) ")
        case .endPrepare:
            xid("END_PREPARE(", op)
        case .commit:
            xid("COMMIT(", op)
        case .rollback:
            xid("ROLLBACK(", op)
        case .commitWithTimestamp:
            out.ascii("COMMIT_WITH_TIMESTAMP(")
            out.upperHex(op.first!)
            out.ascii(", ")
            out.upperHex(op.second!)
            out.ascii(") ")
        case .blobIndex, .putEntity, .beginPersistedPrepare, .beginUnprepare:
            break  // refused before the row is printed
        }
    }

    /// `NAME(cf) : `
    @inline(__always)
    private mutating func named(_ name: StaticString, _ op: WriteBatchOp) {
        out.ascii(name)
        out.decimal(UInt64(op.columnFamily))
        out.ascii(") : ")
    }

    private mutating func xid(_ name: StaticString, _ op: WriteBatchOp) {
        out.ascii(name)
        out.upperHex(op.first!)
        out.ascii(") ")
    }
}

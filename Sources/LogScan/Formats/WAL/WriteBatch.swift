/// A WriteBatch, the payload of every logical WAL record (write_batch.cc):
/// fixed64 sequence, fixed32 count, then the operations, each a tag byte,
/// a varint32 column family id for the `*CF` tags, and varint32-length-
/// prefixed slices. `count` counts the operations that use a sequence
/// number (not LogData, Noop or the two-phase-commit markers).
public enum WriteBatchTag {
    // RocksDB db/dbformat.h ValueType (the WAL's subset).
    public static let deletion: UInt8 = 0x0
    public static let value: UInt8 = 0x1
    public static let merge: UInt8 = 0x2
    public static let logData: UInt8 = 0x3
    public static let columnFamilyDeletion: UInt8 = 0x4
    public static let columnFamilyValue: UInt8 = 0x5
    public static let columnFamilyMerge: UInt8 = 0x6
    public static let singleDeletion: UInt8 = 0x7
    public static let columnFamilySingleDeletion: UInt8 = 0x8
    public static let beginPrepareXID: UInt8 = 0x9
    public static let endPrepareXID: UInt8 = 0xA
    public static let commitXID: UInt8 = 0xB
    public static let rollbackXID: UInt8 = 0xC
    public static let noop: UInt8 = 0xD
    public static let columnFamilyRangeDeletion: UInt8 = 0xE
    public static let rangeDeletion: UInt8 = 0xF
    public static let columnFamilyBlobIndex: UInt8 = 0x10
    public static let blobIndex: UInt8 = 0x11
    public static let beginPersistedPrepareXID: UInt8 = 0x12
    public static let beginUnprepareXID: UInt8 = 0x13
    public static let commitXIDAndTimestamp: UInt8 = 0x15
    public static let wideColumnEntity: UInt8 = 0x16
    public static let columnFamilyWideColumnEntity: UInt8 = 0x17
}

/// What an operation does.
public enum WriteBatchOpKind: UInt8, Sendable, CaseIterable {
    case put, delete, singleDelete, merge, deleteRange, logData, blobIndex, putEntity
    case beginPrepare, endPrepare, commit, rollback, noop
    case beginPersistedPrepare, beginUnprepare, commitWithTimestamp

    /// The name in `replay --format jsonl` (`"op"`).
    public var name: String {
        switch self {
        case .put: return "put"
        case .delete: return "delete"
        case .singleDelete: return "single_delete"
        case .merge: return "merge"
        case .deleteRange: return "delete_range"
        case .logData: return "log_data"
        case .blobIndex: return "blob_index"
        case .putEntity: return "put_entity"
        case .beginPrepare: return "begin_prepare"
        case .endPrepare: return "end_prepare"
        case .commit: return "commit"
        case .rollback: return "rollback"
        case .noop: return "noop"
        case .beginPersistedPrepare: return "begin_persisted_prepare"
        case .beginUnprepare: return "begin_unprepare"
        case .commitWithTimestamp: return "commit_with_timestamp"
        }
    }

    /// Operations that take a sequence number (and are in the batch's count).
    public var isCounted: Bool {
        switch self {
        case .put, .delete, .singleDelete, .merge, .deleteRange, .blobIndex, .putEntity: return true
        default: return false
        }
    }

    /// Operations that carry a column family id (0 for the non-CF tags).
    public var hasColumnFamily: Bool { isCounted }
}

/// One operation of a batch: views into the batch's bytes.
public struct WriteBatchOp {
    public var tag: UInt8
    public var kind: WriteBatchOpKind
    /// The column family id (0 when the tag has none).
    public var columnFamily: UInt32
    /// The first slice: key (data ops), xid (end_prepare, commit, rollback,
    /// commit_with_timestamp), blob (log_data).
    public var first: UnsafeRawBufferPointer?
    /// The second slice: value, end key (delete_range), blob index,
    /// entity (put_entity), timestamp (commit_with_timestamp).
    public var second: UnsafeRawBufferPointer?
    /// Where the op's tag is in the batch.
    public var offset: Int

    /// The key of a data op.
    public var key: UnsafeRawBufferPointer? { kind.isCounted ? first : nil }
    /// The value of put, merge, blob_index, put_entity.
    public var value: UnsafeRawBufferPointer? {
        switch kind {
        case .put, .merge, .blobIndex, .putEntity: return second
        case .logData: return first
        default: return nil
        }
    }
    public var endKey: UnsafeRawBufferPointer? { kind == .deleteRange ? second : nil }
    public var xid: UnsafeRawBufferPointer? {
        switch kind {
        case .endPrepare, .commit, .rollback, .commitWithTimestamp: return first
        default: return nil
        }
    }
    public var commitTimestamp: UnsafeRawBufferPointer? { kind == .commitWithTimestamp ? second : nil }
}

/// Why a batch cannot be decoded, in RocksDB's words (`Status::ToString()`).
public struct WriteBatchFailure: Error, Sendable, Equatable {
    /// Offset in the batch of the operation that failed (or of the count).
    public var offset: Int
    public var message: String
}

/// Walks the operations of a batch's bytes.
public struct WriteBatchOps: Sequence, IteratorProtocol {
    public let bytes: UnsafeRawBufferPointer
    public let leveldb: Bool
    private var at = WALFormat.batchHeaderSize
    /// Set when the walk stopped at an operation it could not decode.
    public private(set) var failure: WriteBatchFailure? = nil

    public init(_ bytes: UnsafeRawBufferPointer, leveldb: Bool = false) {
        self.bytes = bytes
        self.leveldb = leveldb
        if bytes.count < WALFormat.batchHeaderSize { at = bytes.count }
    }

    public mutating func next() -> WriteBatchOp? {
        guard failure == nil, at < bytes.count else { return nil }
        switch WriteBatchOps.decode(bytes, at: &at, leveldb: leveldb) {
        case .success(let op): return op
        case .failure(let f):
            failure = f
            return nil
        }
    }

    /// Decodes the op at `at` and moves past it.
    @inline(__always)
    static func decode(_ bytes: UnsafeRawBufferPointer, at: inout Int, leveldb: Bool) -> Result<WriteBatchOp, WriteBatchFailure> {
        let base = bytes.baseAddress!
        let end = bytes.count
        let start = at
        let tag = base.load(fromByteOffset: at, as: UInt8.self)
        var i = at + 1
        func fail(_ what: String) -> Result<WriteBatchOp, WriteBatchFailure> {
            .failure(WriteBatchFailure(offset: start, message: "Corruption: " + what))
        }
        @inline(__always) func varint32() -> UInt32? {
            var result: UInt32 = 0
            var shift: UInt32 = 0
            while shift <= 28 && i < end {
                let byte = base.load(fromByteOffset: i, as: UInt8.self)
                i += 1
                result |= UInt32(byte & 0x7F) << shift
                if byte < 0x80 { return result }
                shift += 7
            }
            return nil
        }
        @inline(__always) func slice() -> UnsafeRawBufferPointer? {
            guard let length = varint32(), Int(length) <= end - i else { return nil }
            let s = UnsafeRawBufferPointer(start: base + i, count: Int(length))
            i += Int(length)
            return s
        }
        var op = WriteBatchOp(tag: tag, kind: .put, columnFamily: 0, first: nil, second: nil, offset: start)
        if leveldb {
            switch tag {
            case WriteBatchTag.value:
                guard let k = slice(), let v = slice() else { return fail("bad WriteBatch Put") }
                op.first = k; op.second = v
            case WriteBatchTag.deletion:
                guard let k = slice() else { return fail("bad WriteBatch Delete") }
                op.kind = .delete; op.first = k
            default:
                return fail("unknown WriteBatch tag")
            }
            at = i
            return .success(op)
        }
        switch tag {
        case WriteBatchTag.columnFamilyValue, WriteBatchTag.value:
            if tag == WriteBatchTag.columnFamilyValue {
                guard let cf = varint32() else { return fail("bad WriteBatch Put") }
                op.columnFamily = cf
            }
            guard let k = slice(), let v = slice() else { return fail("bad WriteBatch Put") }
            op.first = k; op.second = v
        case WriteBatchTag.columnFamilyDeletion, WriteBatchTag.deletion,
             WriteBatchTag.columnFamilySingleDeletion, WriteBatchTag.singleDeletion:
            if tag == WriteBatchTag.columnFamilyDeletion || tag == WriteBatchTag.columnFamilySingleDeletion {
                guard let cf = varint32() else { return fail("bad WriteBatch Delete") }
                op.columnFamily = cf
            }
            guard let k = slice() else { return fail("bad WriteBatch Delete") }
            op.kind = tag == WriteBatchTag.columnFamilyDeletion || tag == WriteBatchTag.deletion ? .delete : .singleDelete
            op.first = k
        case WriteBatchTag.columnFamilyRangeDeletion, WriteBatchTag.rangeDeletion:
            if tag == WriteBatchTag.columnFamilyRangeDeletion {
                guard let cf = varint32() else { return fail("bad WriteBatch DeleteRange") }
                op.columnFamily = cf
            }
            guard let b = slice(), let e = slice() else { return fail("bad WriteBatch DeleteRange") }
            op.kind = .deleteRange; op.first = b; op.second = e
        case WriteBatchTag.columnFamilyMerge, WriteBatchTag.merge:
            if tag == WriteBatchTag.columnFamilyMerge {
                guard let cf = varint32() else { return fail("bad WriteBatch Merge") }
                op.columnFamily = cf
            }
            guard let k = slice(), let v = slice() else { return fail("bad WriteBatch Merge") }
            op.kind = .merge; op.first = k; op.second = v
        case WriteBatchTag.columnFamilyBlobIndex, WriteBatchTag.blobIndex:
            if tag == WriteBatchTag.columnFamilyBlobIndex {
                guard let cf = varint32() else { return fail("bad WriteBatch BlobIndex") }
                op.columnFamily = cf
            }
            guard let k = slice(), let v = slice() else { return fail("bad WriteBatch BlobIndex") }
            op.kind = .blobIndex; op.first = k; op.second = v
        case WriteBatchTag.columnFamilyWideColumnEntity, WriteBatchTag.wideColumnEntity:
            if tag == WriteBatchTag.columnFamilyWideColumnEntity {
                guard let cf = varint32() else { return fail("bad WriteBatch PutEntity") }
                op.columnFamily = cf
            }
            guard let k = slice(), let v = slice() else { return fail("bad WriteBatch PutEntity") }
            op.kind = .putEntity; op.first = k; op.second = v
        case WriteBatchTag.logData:
            guard let blob = slice() else { return fail("bad WriteBatch Blob") }
            op.kind = .logData; op.first = blob
        case WriteBatchTag.beginPrepareXID: op.kind = .beginPrepare
        case WriteBatchTag.beginPersistedPrepareXID: op.kind = .beginPersistedPrepare
        case WriteBatchTag.beginUnprepareXID: op.kind = .beginUnprepare
        case WriteBatchTag.noop: op.kind = .noop
        case WriteBatchTag.endPrepareXID, WriteBatchTag.commitXID, WriteBatchTag.rollbackXID:
            guard let xid = slice() else { return fail("bad EndPrepare XID") }
            op.kind = tag == WriteBatchTag.endPrepareXID ? .endPrepare : (tag == WriteBatchTag.commitXID ? .commit : .rollback)
            op.first = xid
        case WriteBatchTag.commitXIDAndTimestamp:
            // On disk the timestamp comes first, then the xid.
            guard let ts = slice() else { return fail("bad commit timestamp") }
            guard let xid = slice() else { return fail("bad commit XID") }
            op.kind = .commitWithTimestamp; op.first = xid; op.second = ts
        default:
            return fail("unknown WriteBatch tag")
        }
        at = i
        return .success(op)
    }

    /// Checks a whole batch: header present, every op decodable, the count
    /// right. Returns the first failure, in the order RocksDB's Iterate
    /// would meet it; `extra` may refuse ops a caller cannot use.
    public static func validate(_ bytes: UnsafeRawBufferPointer, leveldb: Bool,
                                refusing extra: ((WriteBatchOp) -> String?)? = nil) -> WriteBatchFailure? {
        guard bytes.count >= WALFormat.batchHeaderSize else {
            return WriteBatchFailure(offset: 0, message: "Corruption: malformed WriteBatch (too small)")
        }
        let count = bytes.baseAddress!.le32(8)
        var found: UInt32 = 0
        var at = WALFormat.batchHeaderSize
        while at < bytes.count {
            switch decode(bytes, at: &at, leveldb: leveldb) {
            case .failure(let f): return f
            case .success(let op):
                if let extra, let refusal = extra(op) { return WriteBatchFailure(offset: op.offset, message: refusal) }
                if op.kind.isCounted { found &+= 1 }
            }
        }
        if found != count {
            return WriteBatchFailure(offset: 8, message: "Corruption: WriteBatch has wrong count")
        }
        return nil
    }
}

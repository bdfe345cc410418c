/// Records copied out of a log so they can cross threads: one owned byte
/// buffer for the keys and values of the whole batch and a table of offsets
/// into it (two allocations per batch, none per record). All records of a
/// batch come from one segment, in log order.
public struct RecordBatch: Sendable, RandomAccessCollection {
    /// The segment file the records come from.
    public let path: String
    public let kind: LogKind
    let storage: [UInt8]
    let entries: [Entry]

    struct Entry: Sendable {
        var offset: UInt64
        var position: Int64
        var timestamp: Int64
        var hasTimestamp: Bool
        /// Start of the key in `storage`; the value follows it.
        var start: Int
        /// -1 for a missing key or value.
        var keyCount: Int32
        var valueCount: Int32
        var token: ResumeToken
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { entries.count }

    public subscript(index: Int) -> OwnedLogRecord {
        let e = entries[index]
        let keyEnd = e.start + Int(Swift.max(0, e.keyCount))
        return OwnedLogRecord(
            offset: e.offset, position: e.position, timestamp: e.hasTimestamp ? e.timestamp : nil,
            key: e.keyCount < 0 ? nil : storage[e.start..<keyEnd],
            value: e.valueCount < 0 ? nil : storage[keyEnd..<(keyEnd + Int(e.valueCount))],
            resumeToken: e.token)
    }

    /// Bytes of keys and values held.
    public var byteCount: Int { storage.count }
}

/// A record that owns its bytes (slices of its batch's buffer: no copy).
public struct OwnedLogRecord: Sendable {
    public var offset: UInt64
    /// Byte offset of the record (or of its compressed block) in its segment.
    public var position: Int64
    public var timestamp: Int64?
    /// nil is a missing key; an empty slice is an empty key.
    public var key: ArraySlice<UInt8>?
    public var value: ArraySlice<UInt8>?
    /// Hand back in `ReplayOptions.after` to resume after this record.
    public var resumeToken: ResumeToken
}

/// Fills a batch on the scanning thread.
struct RecordBatchBuilder {
    let maxRecords: Int
    let maxBytes: Int
    var path = ""
    var kind = LogKind.native
    private var storage: [UInt8] = []
    private var entries: [RecordBatch.Entry] = []

    init(maxRecords: Int, maxBytes: Int) {
        self.maxRecords = max(1, maxRecords)
        self.maxBytes = max(1, maxBytes)
    }

    var isEmpty: Bool { entries.isEmpty }
    var isFull: Bool { entries.count >= maxRecords || storage.count >= maxBytes }

    /// Copies the record's key and value out of the reader's views. Like the
    /// printers, this reads mapped bytes outside the SIGBUS guard: a file
    /// truncated under the scan makes the mapping read zeros instead of
    /// killing the process, and the cursor reports the shrink at the end of
    /// the segment (`ByteSource.windowFaulted`).
    mutating func append(_ record: LogRecord) {
        if entries.isEmpty {
            storage.reserveCapacity(maxBytes)
            entries.reserveCapacity(maxRecords)
        }
        let start = storage.count
        let key = record.key, value = record.value
        if let key { storage.append(contentsOf: key) }
        if let value { storage.append(contentsOf: value) }
        let timestamp = record.timestamp
        entries.append(RecordBatch.Entry(
            offset: record.offset, position: record.position, timestamp: timestamp ?? 0, hasTimestamp: timestamp != nil,
            start: start, keyCount: key.map { Int32($0.count) } ?? -1, valueCount: value.map { Int32($0.count) } ?? -1,
            token: record.resumeToken))
    }

    /// The batch so far; the builder starts a new one.
    mutating func take() -> RecordBatch {
        defer {
            storage = []
            entries = []
        }
        return RecordBatch(path: path, kind: kind, storage: storage, entries: entries)
    }
}

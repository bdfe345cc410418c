#if canImport(Glibc)
import Glibc
#endif

public struct NativeWriterOptions: Sendable, Equatable {
    /// Compress blocks with LZ4 (a block is still stored raw when that does not pay).
    public var compression: NativeFormat.Codec
    /// Roll to a new segment before one would grow past this.
    public var segmentBytes: Int
    /// Close a block once its records reach this many bytes.
    public var blockBytes: Int
    /// fsync segments, indexes and the directory on close and roll.
    public var syncOnClose: Bool

    public static let defaultSegmentBytes = 256 << 20
    public static let defaultBlockBytes = 64 << 10

    public init(compression: NativeFormat.Codec = .none, segmentBytes: Int = NativeWriterOptions.defaultSegmentBytes,
                blockBytes: Int = NativeWriterOptions.defaultBlockBytes, syncOnClose: Bool = true) {
        self.compression = compression
        self.segmentBytes = segmentBytes
        self.blockBytes = blockBytes
        self.syncOnClose = syncOnClose
    }
}

/// Appends records to a native log directory: records gather into a block,
/// a full block is written with one pwrite (compressed when that pays) and
/// indexed, segments roll by size, and close syncs everything.
///
/// Opening an existing log continues its sequence numbers. A torn tail left
/// by a writer that died mid-append is cut off first; damage anywhere else
/// stops the writer with an error, since appending after it would hide it.
/// Only one writer may have a directory open (an exclusive flock).
public final class NativeLogWriter {
    public let directory: String
    public let options: NativeWriterOptions
    /// The sequence number the next appended record gets.
    public private(set) var nextSequence: UInt64
    /// What opening the log found and repaired, for the caller to report.
    public private(set) var recoveryNote: String?

    private let lockFD: Int32
    private var segment: OpenSegment?
    private var closed = false

    // The block being filled: 48 bytes reserved for its header, then records.
    private var block = RawBuffer(capacity: 64 << 10)
    private var blockRawSize = 0
    private var blockCount = 0
    private var blockFirstSequence: UInt64 = 0
    private var blockMaxTimestamp = NativeBlockHeader.noTimestamp
    private var compressed = RawBuffer()

    private final class OpenSegment {
        let file: WritableFile
        let baseSequence: UInt64
        var size: Int64
        var maxTimestampSoFar: Int64
        /// The index file, and entries not yet written to it.
        let index: WritableFile
        var indexSize: Int64
        var pendingEntries: [UInt8] = []
        var needsSync = true

        init(file: consuming WritableFile, baseSequence: UInt64, size: Int64, maxTimestampSoFar: Int64,
             index: consuming WritableFile, indexSize: Int64) {
            self.file = file
            self.baseSequence = baseSequence
            self.size = size
            self.maxTimestampSoFar = maxTimestampSoFar
            self.index = index
            self.indexSize = indexSize
        }
    }

    public init(directory: String, options: NativeWriterOptions = NativeWriterOptions()) throws(LogScanError) {
        guard options.blockBytes > 0, options.segmentBytes > 0 else {
            throw LogScanError(path: directory, .usage("block and segment sizes must be positive"))
        }
        try Directory.create(directory)
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw LogScanError(path: directory, .system(operation: "open", errno: errno)) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let e = errno
            Glibc.close(fd)
            if e == EWOULDBLOCK {
                throw LogScanError(path: directory, .usage("another writer has this log open"))
            }
            throw LogScanError(path: directory, .system(operation: "flock", errno: e))
        }
        self.directory = directory
        self.options = options
        lockFD = fd
        nextSequence = 0
        do {
            try reopenLastSegment()
        } catch {
            Glibc.close(fd)
            throw error
        }
    }

    deinit {
        if !closed { try? close() }
    }

    // MARK: Appending

    /// Appends one record; returns its sequence number. The record is in the
    /// file once its block is written (when full, on `flush`, or on `close`).
    @discardableResult
    public func append(key: UnsafeRawBufferPointer?, value: UnsafeRawBufferPointer?, timestamp: Int64?) throws(LogScanError) -> UInt64 {
        precondition(!closed, "append after close")
        let size = NativeFormat.recordHeaderSize + (key?.count ?? 0) + (value?.count ?? 0)
        guard size <= NativeFormat.maxRecordSize else {
            throw LogScanError(path: directory, .usage("record of \(size) bytes exceeds the format's maximum of \(NativeFormat.maxRecordSize)"))
        }
        if blockCount > 0 && blockRawSize + size > options.blockBytes { try writeBlock() }
        if blockCount == 0 { blockFirstSequence = nextSequence }
        block.reserve(NativeFormat.blockHeaderSize + blockRawSize + size, preserving: NativeFormat.blockHeaderSize + blockRawSize)
        let written = NativeRecordLayout.encode(into: block.pointer + NativeFormat.blockHeaderSize + blockRawSize,
                                                key: key, value: value, timestamp: timestamp)
        blockRawSize += written
        blockCount += 1
        if let timestamp, timestamp > blockMaxTimestamp { blockMaxTimestamp = timestamp }
        let sequence = nextSequence
        nextSequence += 1
        if blockRawSize >= options.blockBytes { try writeBlock() }
        return sequence
    }

    @discardableResult
    public func append(key: [UInt8]?, value: [UInt8]?, timestamp: Int64? = nil) throws(LogScanError) -> UInt64 {
        try withOptionalBytes(key) { (k) throws(LogScanError) in
            try withOptionalBytes(value) { (v) throws(LogScanError) in try append(key: k, value: v, timestamp: timestamp) }
        }
    }

    /// Writes the block being filled, so that every record appended so far is
    /// in the file (not yet synced) and visible to readers.
    public func flush() throws(LogScanError) {
        try writeBlock()
        try writePendingIndexEntries()
    }

    /// flush, then fsync the segment, its index and the directory.
    public func sync() throws(LogScanError) {
        try flush()
        try syncSegment()
    }

    public func close() throws(LogScanError) {
        guard !closed else { return }
        defer {
            closed = true
            segment = nil
            flock(lockFD, LOCK_UN)
            Glibc.close(lockFD)
        }
        try flush()
        if options.syncOnClose { try syncSegment() }
    }

    // MARK: Blocks and segments

    private func writeBlock() throws(LogScanError) {
        guard blockCount > 0 else { return }
        let raw = UnsafeRawBufferPointer(start: block.pointer + NativeFormat.blockHeaderSize, count: blockRawSize)
        var codec = NativeFormat.Codec.none
        var framed = UnsafeMutableRawPointer(block.pointer)
        var storedSize = blockRawSize
        if options.compression == .lz4 {
            compressed.reserve(NativeFormat.blockHeaderSize + LZ4Block.compressBound(blockRawSize))
            let out = UnsafeMutableRawBufferPointer(start: compressed.pointer + NativeFormat.blockHeaderSize,
                                                    count: compressed.capacity - NativeFormat.blockHeaderSize)
            // Store compressed only when it saves at least 1/32 of the block:
            // below that, inflating costs more than the bytes it saves.
            if let n = LZ4Block.compress(raw, into: out), 32 * (blockRawSize - n) >= blockRawSize {
                codec = .lz4
                framed = compressed.pointer
                storedSize = n
            }
        }
        let stored = UnsafeRawBufferPointer(start: framed + NativeFormat.blockHeaderSize, count: storedSize)
        let header = NativeBlockHeader(payloadChecksum: CRC32C.checksum(stored), storedSize: storedSize, rawSize: blockRawSize,
                                       recordCount: blockCount, firstSequence: blockFirstSequence,
                                       maxTimestamp: blockMaxTimestamp, codec: codec)
        header.encode(into: framed)
        let blockLength = NativeFormat.blockHeaderSize + storedSize

        if let size = segment?.size, size > Int64(NativeFormat.segmentHeaderSize),
           size + Int64(blockLength) > Int64(options.segmentBytes) {
            try rollSegment()
        }
        if segment == nil { try createSegment(baseSequence: blockFirstSequence) }
        let position = segment!.size
        try segment!.file.write(UnsafeRawBufferPointer(start: framed, count: blockLength), at: position)
        segment!.size += Int64(blockLength)
        segment!.maxTimestampSoFar = max(segment!.maxTimestampSoFar, blockMaxTimestamp)
        segment!.needsSync = true
        NativeIndex.encode(NativeIndexEntry(firstSequence: blockFirstSequence, position: position,
                                            maxTimestampSoFar: segment!.maxTimestampSoFar),
                           into: &segment!.pendingEntries)
        if segment!.pendingEntries.count >= 4096 { try writePendingIndexEntries() }

        blockRawSize = 0
        blockCount = 0
        blockMaxTimestamp = NativeBlockHeader.noTimestamp
    }

    private func writePendingIndexEntries() throws(LogScanError) {
        guard segment != nil, !segment!.pendingEntries.isEmpty else { return }
        try segment!.index.write(segment!.pendingEntries, at: segment!.indexSize)
        segment!.indexSize += Int64(segment!.pendingEntries.count)
        segment!.pendingEntries.removeAll(keepingCapacity: true)
    }

    private func syncSegment() throws(LogScanError) {
        guard segment != nil, segment!.needsSync else { return }
        try segment!.file.sync()
        try segment!.index.sync()
        try WritableFile.syncDirectory(directory)
        segment!.needsSync = false
    }

    private func rollSegment() throws(LogScanError) {
        try writePendingIndexEntries()
        if options.syncOnClose { try syncSegment() }
        segment = nil
    }

    private func createSegment(baseSequence: UInt64) throws(LogScanError) {
        let segmentPath = Directory.join(directory, NativeFormat.segmentFileName(baseSequence: baseSequence))
        let indexPath = Directory.join(directory, NativeFormat.indexFileName(baseSequence: baseSequence))
        let header = NativeSegmentHeader(pageSize: UInt32(PageSize.bytes), blockBytes: UInt32(clamping: options.blockBytes),
                                         baseSequence: baseSequence, createdMillis: currentTimeMillis())
        let file = try WritableFile(path: segmentPath, .createNew)
        try file.write(header.encoded(), at: 0)
        let index = try WritableFile(path: indexPath, .replace)
        let indexHeader = NativeIndex.encodeHeader(baseSequence: baseSequence)
        try index.write(indexHeader, at: 0)
        segment = OpenSegment(file: file, baseSequence: baseSequence, size: Int64(NativeFormat.segmentHeaderSize),
                              maxTimestampSoFar: NativeBlockHeader.noTimestamp, index: index, indexSize: Int64(indexHeader.count))
    }

    /// Continues the last segment of an existing log: reads it to its valid
    /// end, cuts a torn tail, and rewrites its index from what it found.
    private func reopenLastSegment() throws(LogScanError) {
        guard let last = try NativeLogDirectory.segments(in: directory).last else { return }
        let file = try OpenFile(path: last.path)
        if file.sizeAtOpen < Int64(NativeFormat.segmentHeaderSize) {
            // Created but its header never fully written: no records in it.
            file.close()
            guard unlink(last.path) == 0 else { throw LogScanError(path: last.path, .system(operation: "unlink", errno: errno)) }
            nextSequence = last.baseSequence
            recoveryNote = "removed \(last.path): header incomplete (\(file.sizeAtOpen) bytes), no records lost"
            return
        }
        let reader = try NativeSegmentReader(source: ByteSource(file: file, options: IOOptions(mode: .pread)))
        var entries: [UInt8] = []
        var validEnd = Int64(NativeFormat.segmentHeaderSize)
        var maxSoFar = NativeBlockHeader.noTimestamp
        do {
            while try reader.nextBlock() {
                let header = reader.blockHeader!
                maxSoFar = max(maxSoFar, header.maxTimestamp)
                NativeIndex.encode(NativeIndexEntry(firstSequence: header.firstSequence, position: reader.blockPosition,
                                                    maxTimestampSoFar: maxSoFar), into: &entries)
                validEnd = reader.nextBlockPosition
            }
        } catch {
            guard case .damaged(let reason, let detail) = error.kind, reason.isTornTail else {
                throw LogScanError(path: last.path, position: error.position,
                                   .usage("cannot append: the last segment is damaged (\(error)); run `logscan verify` and repair or move it first"))
            }
            recoveryNote = "\(last.path): cut a torn tail of \(file.sizeAtOpen - validEnd) bytes at byte \(validEnd) (\(detail))"
        }
        let baseSequence = reader.header.baseSequence
        nextSequence = reader.expectedSequence
        file.close()
        let writable = try WritableFile(path: last.path, .openExisting)
        if validEnd < (try OpenFile(path: last.path).sizeAtOpen) { try writable.truncate(to: validEnd) }
        var indexBytes = NativeIndex.encodeHeader(baseSequence: baseSequence)
        indexBytes += entries
        try WritableFile.replaceAtomically(last.indexPath, with: indexBytes)
        let index = try WritableFile(path: last.indexPath, .openExisting)
        segment = OpenSegment(file: writable, baseSequence: baseSequence, size: validEnd, maxTimestampSoFar: maxSoFar,
                              index: index, indexSize: Int64(indexBytes.count))
    }
}

@inline(__always)
func withOptionalBytes<R, E: Error>(_ bytes: [UInt8]?, _ body: (UnsafeRawBufferPointer?) throws(E) -> R) throws(E) -> R {
    guard let bytes else { return try body(nil) }
    // An empty array gives a buffer with no base address: still .some, so
    // an empty key stays a key.
    return try bytes.withTypedThrowingBytes(body)
}

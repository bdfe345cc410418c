#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Reads a file front to back on a thread of its own, into a ring of chunks,
/// so that copying out of the page cache (or a pipe) overlaps the decoding
/// instead of preceding it. The consumer gets views into the chunks; only a
/// request that straddles two chunks is copied, into a stitch buffer.
///
/// One producer, one consumer, two counting semaphores: `free` slots for the
/// producer to fill, `filled` slots for the consumer to take. A slot of
/// length 0 marks the end of the file.
final class ReadAhead {
    /// Chunks smaller than this cost more in hand-overs than they save.
    static let minimumChunk = 1 << 20

    let path: String
    let chunkBytes: Int
    private let ring: Ring
    private var thread = pthread_t()
    private var running = false

    /// Slots the consumer holds, oldest first: indices into the ring.
    private var held: [Int] = []
    private var nextToTake = 0
    private var reachedEnd = false
    /// The file's size, once the reading thread has met its end.
    private(set) var endOfFile: Int64?
    private var stitch = RawBuffer()
    private(set) var bytesRead: Int64 = 0
    private(set) var readCalls = 0

    /// Starts reading `fd` at `offset` (with pread) or from its current
    /// position (with read, for pipes). The descriptor stays open for as
    /// long as this object lives (its owner keeps it).
    /// `directAlignment`: the descriptor has O_DIRECT; `offset` and
    /// `chunkBytes` are multiples of it, and so are the chunks' addresses.
    init(fd: Int32, path: String, at offset: Int64, positional: Bool, chunkBytes: Int, slots: Int = 4,
         directAlignment: Int? = nil) {
        self.path = path
        self.chunkBytes = chunkBytes
        ring = Ring(fd: fd, offset: offset, positional: positional, chunkBytes: chunkBytes, slots: slots,
                    alignment: max(4096, directAlignment ?? 0), direct: directAlignment != nil)
        let context = Unmanaged.passRetained(ring).toOpaque()
        running = pthread_create(&thread, nil, { context in
            let ring = Unmanaged<Ring>.fromOpaque(context!).takeRetainedValue()
            ring.produce()
            return nil
        }, context) == 0
        if !running {
            // No thread: read inline, slot by slot, when the consumer asks.
            Unmanaged<Ring>.fromOpaque(context).release()
        }
    }

    deinit {
        if running {
            ring.stop.store(true, ordering: .relaxed)
            sem_post(ring.free)  // wake a producer waiting for a slot
            pthread_join(thread, nil)
        }
    }

    /// The end of what has been read ahead and handed to the consumer: a
    /// request far beyond it is better served by starting over there.
    var frontier: Int64 {
        held.last.map { ring.slots[$0].end } ?? ring.slots[(nextToTake + ring.slotCount - 1) % ring.slotCount].end
    }

    /// Up to `count` bytes at `offset` (fewer at the end of the file), or nil
    /// when `offset` lies before what is still buffered (the caller then
    /// starts a new read-ahead there). Valid until the next call.
    func bytes(at offset: Int64, count: Int) throws(LogScanError) -> UnsafeRawBufferPointer? {
        // Give back the slots wholly before `offset`, taking new ones as
        // needed (this also skips forward when the caller jumps ahead).
        while true {
            if held.isEmpty {
                guard try take() else { return UnsafeRawBufferPointer(start: nil, count: 0) }
            }
            if ring.slots[held[0]].end > offset { break }
            release()
        }
        let first = ring.slots[held[0]]
        guard offset >= first.offset else { return nil }
        let end = offset + Int64(count)
        if end <= first.end {
            return UnsafeRawBufferPointer(start: first.storage + Int(offset - first.offset), count: count)
        }
        // The request straddles slots: copy its pieces into the stitch
        // buffer. Of the slots it uses up, the last one is kept: a reader
        // that could not finish its last unit asks again from that unit's
        // start, inside the request, and finding it gone meant a new
        // read-ahead thread (Kafka's 1 MiB views: one every ~16 MiB, a
        // fifth of the file read twice). The ones before it are given back.
        stitch.reserve(count)
        var copied = 0
        var k = 0  // the slot being copied from, in `held`
        while copied < count {
            if k == held.count {
                guard try take() else { break }
            }
            let slot = ring.slots[held[k]]
            let from = offset + Int64(copied)
            let n = Int(min(slot.end, end) - from)
            (stitch.pointer + copied).copyMemory(from: slot.storage + Int(from - slot.offset), byteCount: n)
            copied += n
            guard slot.end <= end else { break }
            if k == 0 { k = 1 } else { release() }
        }
        return UnsafeRawBufferPointer(start: stitch.pointer, count: copied)
    }

    /// The bytes from `offset` to the end of the chunk holding it, up to
    /// `count`, without a copy: nil when that chunk holds fewer than
    /// `minimum` of them, is the file's last (so the view would end at the
    /// file's end, which the caller must be told about), or is not held.
    func tail(at offset: Int64, upTo count: Int, atLeast minimum: Int) -> UnsafeRawBufferPointer? {
        guard let index = held.first(where: { ring.slots[$0].offset <= offset && offset < ring.slots[$0].end }) else { return nil }
        let slot = ring.slots[index]
        guard slot.length == chunkBytes else { return nil }
        let available = slot.end - offset
        guard available >= Int64(minimum) else { return nil }
        return UnsafeRawBufferPointer(start: slot.storage + Int(offset - slot.offset), count: Int(min(Int64(count), available)))
    }

    /// Takes the next filled slot; false at the end of the file.
    private func take() throws(LogScanError) -> Bool {
        if reachedEnd { return false }
        if running {
            while sem_wait(ring.filled) != 0 && errno == EINTR {}
        } else {
            ring.fillInline(nextToTake)
        }
        let index = nextToTake
        nextToTake = (nextToTake + 1) % ring.slotCount
        let slot = ring.slots[index]
        readCalls += slot.calls
        if slot.error != 0 {
            reachedEnd = true
            throw LogScanError(path: path, position: slot.offset, .system(operation: ring.positional ? "pread" : "read", errno: slot.error))
        }
        if slot.length == 0 {
            reachedEnd = true
            endOfFile = slot.offset
            return false
        }
        bytesRead += Int64(slot.length)
        held.append(index)
        return true
    }

    private func release() {
        held.removeFirst()
        if running { sem_post(ring.free) }
    }

    /// The state shared with the reading thread. Slots are handed over
    /// through the semaphores, which order the memory accesses.
    final class Ring: @unchecked Sendable {
        struct Slot {
            var storage: UnsafeMutableRawPointer
            var offset: Int64 = 0
            var length = 0
            var error: Int32 = 0
            var calls = 0
            var end: Int64 { offset + Int64(length) }
        }

        let fd: Int32
        let positional: Bool
        let chunkBytes: Int
        let slotCount: Int
        let slots: UnsafeMutablePointer<Slot>
        let free = UnsafeMutablePointer<sem_t>.allocate(capacity: 1)
        let filled = UnsafeMutablePointer<sem_t>.allocate(capacity: 1)
        let stop = Atomic<Bool>(false)
        /// O_DIRECT: a short read is the end of the file (the next read would
        /// start at an unaligned offset, which O_DIRECT refuses).
        let direct: Bool
        private var ended = false
        private var nextOffset: Int64
        private var nextSlot = 0

        init(fd: Int32, offset: Int64, positional: Bool, chunkBytes: Int, slots count: Int, alignment: Int, direct: Bool) {
            self.fd = fd
            self.direct = direct
            self.positional = positional
            self.chunkBytes = chunkBytes
            slotCount = count
            nextOffset = offset
            slots = .allocate(capacity: count)
            for i in 0..<count {
                slots.advanced(by: i).initialize(to: Slot(storage: .allocate(byteCount: chunkBytes, alignment: alignment), offset: offset))
            }
            sem_init(free, 0, UInt32(count))
            sem_init(filled, 0, 0)
        }

        deinit {
            for i in 0..<slotCount { slots[i].storage.deallocate() }
            slots.deinitialize(count: slotCount)
            slots.deallocate()
            sem_destroy(free)
            sem_destroy(filled)
            free.deallocate()
            filled.deallocate()
        }

        /// The reading thread: fill a free slot, hand it over, until the end.
        func produce() {
            while true {
                while sem_wait(free) != 0 && errno == EINTR {}
                if stop.load(ordering: .relaxed) { return }
                let done = fill(nextSlot)
                nextSlot = (nextSlot + 1) % slotCount
                sem_post(filled)
                if done { return }
            }
        }

        /// Without a thread (pthread_create failed): the consumer fills.
        func fillInline(_ index: Int) {
            _ = fill(index)
            nextSlot = (index + 1) % slotCount
        }

        /// Reads one chunk into slot `index`; true at the end or on error.
        private func fill(_ index: Int) -> Bool {
            var length = 0
            var calls = 0
            var error: Int32 = 0
            let storage = slots[index].storage
            // Fill the whole chunk (a pipe returns little at a time), but
            // hand over what there is once the source has nothing more.
            while length < chunkBytes && !ended {
                let n = positional
                    ? pread(fd, storage + length, chunkBytes - length, off_t(nextOffset + Int64(length)))
                    : read(fd, storage + length, chunkBytes - length)
                calls += 1
                if n < 0 {
                    if errno == EINTR { continue }
                    error = errno
                    break
                }
                if n == 0 { break }
                length += n
                if direct && length < chunkBytes { ended = true }
            }
            slots[index].offset = nextOffset
            slots[index].length = length
            slots[index].error = error
            slots[index].calls = calls
            nextOffset += Int64(length)
            return length == 0 || error != 0
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif

/// Buffered output to a file descriptor (stdout for records, stderr for
/// reports). Printers append bytes; `flush` writes them with few system
/// calls. A failed write (EPIPE when the reader went away) is remembered and
/// further output is dropped, so the caller can stop and choose the status.
struct OutputBuffer: ~Copyable {
    let fd: Int32
    private let storage: UnsafeMutablePointer<UInt8>
    private let capacity: Int
    private var count = 0
    private(set) var failure: Int32? = nil
    /// For in-memory buffers (fd -1): what has been flushed so far.
    private var collected: [UInt8] = []
    /// Instead of a file descriptor: where flushed chunks go (the ordered
    /// output of a parallel search job).
    private let chunkSink: (([UInt8]) -> Void)?

    init(fd: Int32, capacity: Int = 256 << 10) {
        self.fd = fd
        self.capacity = capacity
        storage = .allocate(capacity: capacity)
        chunkSink = nil
    }

    /// A buffer whose flushes hand chunks to `sink`.
    init(chunks sink: @escaping ([UInt8]) -> Void, capacity: Int = 256 << 10) {
        fd = -2
        self.capacity = capacity
        storage = .allocate(capacity: capacity)
        chunkSink = sink
    }

    /// A buffer that collects bytes instead of writing them anywhere.
    static func inMemory() -> OutputBuffer { OutputBuffer(fd: -1, capacity: 4096) }

    /// Everything written to an in-memory buffer.
    mutating func takeBytes() -> [UInt8] {
        flush()
        defer { collected = [] }
        return collected
    }

    deinit {
        // Whatever was not flushed still goes out (a deinit cannot mutate).
        if count > 0, let chunkSink {
            chunkSink(Array(UnsafeBufferPointer(start: storage, count: count)))
        }
        if count > 0 && fd >= 0 && failure == nil {
            var done = 0
            while done < count {
                let w = write(fd, storage + done, count - done)
                if w < 0 && errno == EINTR { continue }
                if w <= 0 { break }
                done += w
            }
        }
        storage.deallocate()
    }

    var failed: Bool { failure != nil }

    @inline(__always)
    mutating func ensure(_ n: Int) {
        if count + n > capacity { flush() }
    }

    @inline(__always)
    mutating func byte(_ b: UInt8) {
        if count == capacity { flush() }
        storage[count] = b
        count += 1
    }

    // Inlined, so that a static string's copy has a constant length and
    // compiles to a few moves instead of a memmove call (~10 per jsonl record).
    @inline(__always)
    mutating func bytes(_ raw: UnsafeRawBufferPointer) {
        guard let base = raw.baseAddress, raw.count > 0 else { return }
        if raw.count > capacity - count {
            guard flushMakingRoom(for: raw) else { return }
        }
        UnsafeMutableRawPointer(storage + count).copyMemory(from: base, byteCount: raw.count)
        count += raw.count
    }

    /// `bytes`' slow path: flushes, and writes `raw` itself when it would
    /// not fit in an empty buffer. Returns whether `raw` is still to copy.
    private mutating func flushMakingRoom(for raw: UnsafeRawBufferPointer) -> Bool {
        flush()
        guard raw.count >= capacity else { return true }
        writeAll(raw.baseAddress!, raw.count)
        return false
    }

    mutating func bytes(_ array: [UInt8]) {
        array.withUnsafeBytes { bytes($0) }
    }

    mutating func string(_ text: String) {
        var text = text
        text.withUTF8 { bytes(UnsafeRawBufferPointer($0)) }
    }

    @inline(__always)
    mutating func ascii(_ text: StaticString) {
        bytes(UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    /// Decimal digits of `value`, written straight into the buffer.
    @inline(__always)
    mutating func decimal(_ value: Int64) {
        if value < 0 {
            byte(UInt8(ascii: "-"))
            decimal(UInt64(bitPattern: 0 &- value))  // Int64.min wraps to its magnitude
        } else {
            decimal(UInt64(value))
        }
    }

    @inline(__always)
    mutating func decimal(_ value: UInt64) {
        ensure(20)
        var digits: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)  // 32 bytes of scratch
        let n = withUnsafeMutableBytes(of: &digits) { scratch -> Int in
            var v = value
            var i = 32
            repeat {
                i -= 1
                scratch[i] = UInt8(truncatingIfNeeded: v % 10) &+ 48
                v /= 10
            } while v > 0
            let n = 32 - i
            UnsafeMutableRawPointer(storage + count).copyMemory(from: scratch.baseAddress! + i, byteCount: n)
            return n
        }
        count += n
    }

    /// `.a.b.c.d` in lower-case hex (the numbers of a resume token), with
    /// one capacity check for all four.
    @inline(__always)
    mutating func dottedHex(_ a: UInt64, _ b: UInt64, _ c: UInt64, _ d: UInt64) {
        ensure(4 * 17)
        var n = count
        OutputBuffer.storeDottedHex(a, storage, &n)
        OutputBuffer.storeDottedHex(b, storage, &n)
        OutputBuffer.storeDottedHex(c, storage, &n)
        OutputBuffer.storeDottedHex(d, storage, &n)
        count = n
    }

    /// "000102...ff": two hex digits per byte value, for writing a byte at a time.
    private static let hexPairs: StaticString = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff"

    @inline(__always)
    private static func storeDottedHex(_ value: UInt64, _ storage: UnsafeMutablePointer<UInt8>, _ n: inout Int) {
        storage[n] = UInt8(ascii: ".")
        let width = value == 0 ? 1 : (67 - value.leadingZeroBitCount) / 4
        let pairs = hexPairs.utf8Start
        var v = value
        var i = width  // write from the last digit back, two at a time
        while i >= 2 {
            let pair = Int(v & 0xFF) &* 2
            storage[n + i - 1] = pairs[pair]
            storage[n + i] = pairs[pair &+ 1]
            v >>= 8
            i -= 2
        }
        if i == 1 { storage[n + 1] = pairs[Int(v & 0xF) &* 2 &+ 1] }
        n += width + 1
    }

    /// `0x` and the upper-case hex of `raw` (how `ldb` prints keys and
    /// values): two digits per byte from a table, straight into the buffer,
    /// in pieces when it runs full.
    @inline(__always)
    mutating func upperHex(_ raw: UnsafeRawBufferPointer) {
        ensure(2)
        storage[count] = UInt8(ascii: "0")
        storage[count + 1] = UInt8(ascii: "x")
        count += 2
        guard var from = raw.baseAddress, raw.count > 0 else { return }
        var left = raw.count
        let table = OutputBuffer.upperHexTable
        while left > 0 {
            var room = (capacity - count) / 2
            if room == 0 { flush(); room = capacity / 2 }
            let n = min(room, left)
            let to = UnsafeMutableRawPointer(storage + count)
            for i in 0..<n {
                to.storeBytes(of: table[Int(from.load(fromByteOffset: i, as: UInt8.self))], toByteOffset: 2 &* i, as: UInt16.self)
            }
            count += 2 * n
            from += n
            left -= n
        }
    }

    /// Byte value -> its two upper-case hex digits, as stored in memory.
    nonisolated(unsafe) private static let upperHexTable: UnsafePointer<UInt16> = {
        let table = UnsafeMutablePointer<UInt16>.allocate(capacity: 256)
        let digits = Array("0123456789ABCDEF".utf8)
        for b in 0..<256 {
            let pair: [UInt8] = [digits[b >> 4], digits[b & 15]]
            table[b] = pair.withUnsafeBytes { $0.loadUnaligned(as: UInt16.self) }
        }
        return UnsafePointer(table)
    }()

    mutating func flush() {
        guard count > 0 else { return }
        writeAll(UnsafeRawPointer(storage), count)
        count = 0
    }

    private mutating func writeAll(_ base: UnsafeRawPointer, _ n: Int) {
        guard failure == nil else { return }
        if let chunkSink {
            chunkSink(Array(UnsafeRawBufferPointer(start: base, count: n)))
            return
        }
        if fd < 0 {
            collected.append(contentsOf: UnsafeRawBufferPointer(start: base, count: n))
            return
        }
        var done = 0
        while done < n {
            let w = write(fd, base + done, n - done)
            if w < 0 {
                if errno == EINTR { continue }
                failure = errno
                return
            }
            done += w
        }
    }
}

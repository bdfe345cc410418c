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

    mutating func bytes(_ raw: UnsafeRawBufferPointer) {
        guard let base = raw.baseAddress, raw.count > 0 else { return }
        if raw.count > capacity - count {
            flush()
            if raw.count >= capacity {
                writeAll(base, raw.count)
                return
            }
        }
        UnsafeMutableRawPointer(storage + count).copyMemory(from: base, byteCount: raw.count)
        count += raw.count
    }

    mutating func bytes(_ array: [UInt8]) {
        array.withUnsafeBytes { bytes($0) }
    }

    mutating func string(_ text: String) {
        var text = text
        text.withUTF8 { bytes(UnsafeRawBufferPointer($0)) }
    }

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

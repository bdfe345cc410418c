#if canImport(Glibc)
import Glibc
#endif
import LogScan

/// Reads standard input (or any fd) in large chunks and hands out lines as
/// views into the chunk: no allocation per line. Only "\n" ends a line; a
/// last line without one is still a line.
struct InputLines: ~Copyable {
    private let fd: Int32
    private var buffer: UnsafeMutableRawPointer
    private var capacity: Int
    private var start = 0
    private var end = 0
    private var atEOF = false
    /// Bytes consumed before the current buffer start, for error positions.
    private(set) var consumed: Int64 = 0
    private(set) var lineNumber = 0

    init(fd: Int32 = 0, capacity: Int = 1 << 20) {
        self.fd = fd
        self.capacity = capacity
        buffer = .allocate(byteCount: capacity, alignment: 64)
    }

    deinit { buffer.deallocate() }

    /// The next line without its "\n", valid until the next call; nil at the end.
    mutating func next() throws(LogScanError) -> UnsafeRawBufferPointer? {
        var searchFrom = start
        while true {
            if let newline = memchr(buffer + searchFrom, 0x0A, end - searchFrom) {
                let lineEnd = UnsafeRawPointer(newline) - UnsafeRawPointer(buffer)
                let line = UnsafeRawBufferPointer(start: buffer + start, count: lineEnd - start)
                consumed += Int64(lineEnd + 1 - start)
                start = lineEnd + 1
                lineNumber += 1
                return line
            }
            if atEOF {
                guard end > start else { return nil }
                let line = UnsafeRawBufferPointer(start: buffer + start, count: end - start)
                consumed += Int64(end - start)
                start = end
                lineNumber += 1
                return line
            }
            // Move the partial line to the front, grow if it fills the buffer, read more.
            searchFrom = end - start
            if start > 0 {
                buffer.copyMemory(from: buffer + start, byteCount: end - start)
                end -= start
                start = 0
            }
            if end == capacity {
                let bigger = UnsafeMutableRawPointer.allocate(byteCount: capacity * 2, alignment: 64)
                bigger.copyMemory(from: buffer, byteCount: end)
                buffer.deallocate()
                buffer = bigger
                capacity *= 2
            }
            let n = read(fd, buffer + end, capacity - end)
            if n < 0 {
                if errno == EINTR { continue }
                throw LogScanError(path: "<stdin>", position: consumed, .system(operation: "read", errno: errno))
            }
            if n == 0 { atEOF = true } else { end += n }
        }
    }
}

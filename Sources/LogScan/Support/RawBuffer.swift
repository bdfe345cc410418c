/// A growable buffer of raw memory that the owner reuses (decompression
/// output, record tables, reassembled records). Grows, never shrinks, so the
/// steady state allocates nothing.
struct RawBuffer: ~Copyable {
    private(set) var pointer: UnsafeMutableRawPointer
    private(set) var capacity: Int

    init(capacity: Int = 0) {
        self.capacity = max(capacity, 64)
        pointer = UnsafeMutableRawPointer.allocate(byteCount: self.capacity, alignment: 64)
    }

    deinit { pointer.deallocate() }

    /// Makes room for `count` bytes; keeps the first `preserving` bytes.
    mutating func reserve(_ count: Int, preserving: Int = 0) {
        guard count > capacity else { return }
        let newCapacity = max(count, capacity * 2)
        let bigger = UnsafeMutableRawPointer.allocate(byteCount: newCapacity, alignment: 64)
        if preserving > 0 { bigger.copyMemory(from: pointer, byteCount: preserving) }
        pointer.deallocate()
        pointer = bigger
        capacity = newCapacity
    }

    func typed<T>(_: T.Type) -> UnsafeMutablePointer<T> { pointer.assumingMemoryBound(to: T.self) }
}

extension Array where Element == UInt8 {
    /// withUnsafeBytes for a body with a typed error (the standard library's
    /// version rethrows untyped).
    func withTypedThrowingBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        let result: Result<R, E> = withUnsafeBytes { raw in
            Result { () throws(E) -> R in try body(raw) }
        }
        return try result.get()
    }
}

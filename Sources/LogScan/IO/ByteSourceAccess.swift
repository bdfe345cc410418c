/// Guarded access to a ByteSource's views for the code around the hot loops:
/// small copies, zero checks, and turning a SIGBUS into the "file shrank" error.
enum ByteSourceAccess {
    /// Copies `view` into `buffer` under the SIGBUS guard; returns the count.
    static func copyGuarded(_ view: UnsafeRawBufferPointer, into buffer: inout [UInt8], source: ByteSource, position: Int64) throws(LogScanError) -> Int {
        let count = min(view.count, buffer.count)
        guard count > 0 else { return 0 }
        let fault = buffer.withUnsafeMutableBytes { target in
            var copy = GuardedCopy(from: view.baseAddress!, to: target.baseAddress!, count: count)
            return withSigbusGuard(&copy) { raw in
                let copy = guardedContext(raw, as: GuardedCopy.self).pointee
                copy.to.copyMemory(from: copy.from, byteCount: copy.count)
            }
        }
        if fault != nil { throw shrankError(source, position: position) }
        return count
    }

    /// True when every byte from `position` to the end of the source is zero:
    /// a preallocated or never-written tail rather than damage.
    static func isZero(_ source: ByteSource, from position: Int64) throws(LogScanError) -> Bool {
        let chunk = 1 << 20
        var at = position
        while true {
            let view = try source.bytes(at: at, count: chunk)
            if view.count == 0 { return true }
            var check = GuardedZeroCheck(bytes: view, zero: true)
            let fault = withSigbusGuard(&check) { raw in
                let check = guardedContext(raw, as: GuardedZeroCheck.self)
                check.pointee.zero = check.pointee.bytes.isAllZero()
            }
            if fault != nil { throw shrankError(source, position: at) }
            if !check.zero { return false }
            at += Int64(view.count)
        }
    }

    /// The error for a SIGBUS at `position`: the file was truncated under the
    /// mapping. fstat says how long it is now.
    static func shrankError(_ source: ByteSource, position: Int64) -> LogScanError {
        let size = (try? source.file?.currentSize()) ?? -1
        return LogScanError(path: source.path, position: position, .shrank(newSize: size))
    }
}

struct GuardedCopy: BitwiseCopyable {
    var from: UnsafeRawPointer
    var to: UnsafeMutableRawPointer
    var count: Int
}

struct GuardedZeroCheck: BitwiseCopyable {
    var bytes: UnsafeRawBufferPointer
    var zero: Bool
}

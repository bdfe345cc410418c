import CLogScanSupport

/// Runs `body(&context)` with SIGBUS turned into a return value: nil when
/// the body completed, the faulting address when a mapped page vanished
/// under it (the file was truncated).
///
/// On a fault the body's frames are skipped by siglongjmp, so the body must
/// hold nothing that needs releasing or unlocking when it is cut short. Hence
/// this shape: a C-convention function (it captures nothing) working through
/// a raw pointer on a context that is `BitwiseCopyable` (no references,
/// nothing retained), reading mapped bytes and writing only into the context
/// and into memory the caller owns. The frames *above* the guard are not
/// skipped: `logscan_guarded_call` returns normally either way.
@inline(__always)
func withSigbusGuard<Context: BitwiseCopyable>(_ context: inout Context,
                                               _ body: @convention(c) (UnsafeMutableRawPointer?) -> Void) -> UInt? {
    var fault: UInt = 0
    let faulted = withUnsafeMutablePointer(to: &context) { pointer in
        logscan_guarded_call(body, pointer, &fault)
    }
    return faulted == 0 ? nil : fault
}

/// The guarded body's context, typed: `GuardedContext<T>.in(raw)`.
@inline(__always)
func guardedContext<T>(_ raw: UnsafeMutableRawPointer?, as: T.Type) -> UnsafeMutablePointer<T> {
    raw.unsafelyUnwrapped.assumingMemoryBound(to: T.self)
}

import CLogScanSupport

/// Runs `body` with SIGBUS turned into a return value: nil when the body
/// completed, the faulting address when a mapped page vanished under it.
///
/// The body's frames are skipped on a fault, so it must only read mapped
/// bytes and write through raw pointers it was given: no class-property
/// mutation in progress across a mapped read (its exclusivity record would be
/// left dangling), no locks, no allocation whose ownership matters.
@inlinable
func withSigbusGuard(_ body: () -> Void) -> UInt? {
    withoutActuallyEscaping(body) { escapable -> UInt? in
        var closure = escapable
        var fault: UInt = 0
        let faulted = withUnsafeMutablePointer(to: &closure) { pointer -> Int32 in
            logscan_guarded_call({ context in
                context!.assumingMemoryBound(to: (() -> Void).self).pointee()
            }, pointer, &fault)
        }
        return faulted == 0 ? nil : fault
    }
}

#if canImport(Glibc)
import Glibc
#endif

/// A mutex with a condition variable (pthread), for the few places the CLI
/// hands work between threads: waiting for the next job's output to arrive.
final class Monitor: @unchecked Sendable {
    // @unchecked: every access to state guarded by this monitor happens
    // between lock() and unlock(); the pthread objects live on the heap so
    // they never move.
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    init() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
        condition.deallocate()
    }

    func withLock<R>(_ body: () throws -> R) rethrows -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }

    /// Waits (inside withLock) until signalled.
    func wait() { pthread_cond_wait(condition, mutex) }

    func broadcast() { pthread_cond_broadcast(condition) }
}

/// Runs `body` on a new thread (pthread: no Foundation). Returns the thread
/// to join, or nil when no thread could be made and `body` ran right here.
func spawnThread(_ body: @escaping @Sendable () -> Void) -> pthread_t? {
    final class Box: @unchecked Sendable {
        // @unchecked: written before pthread_create, read once by the new thread.
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }
    var thread = pthread_t()
    let context = Unmanaged.passRetained(Box(body)).toOpaque()
    let rc = pthread_create(&thread, nil, { context in
        let box = Unmanaged<Box>.fromOpaque(context!).takeRetainedValue()
        box.body()
        return nil
    }, context)
    if rc != 0 {
        Unmanaged<Box>.fromOpaque(context).takeRetainedValue().body()
        return nil
    }
    return thread
}

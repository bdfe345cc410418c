#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// What an `AsyncLogReader` yields, in log order.
public enum ReplayChunk: Sendable {
    /// Records (from one segment), owning their bytes.
    case records(RecordBatch)
    /// A segment change, damage, a warning or a failure, where it happened
    /// between the records.
    case event(ReplayEvent)
    /// The last element: what the replay did (for the exit status).
    case finished(ReplaySummary)
}

/// Replay for Swift services, as an `AsyncSequence` of record batches:
///
///     for await chunk in AsyncLogReader(paths: ["wal"], options: ReplayOptions(follow: ...)) {
///         switch chunk {
///         case .records(let batch): for record in batch { try await handle(record) }
///         case .event(let event): log(event)
///         case .finished(let summary): return summary
///         }
///     }
///
/// Each iteration scans on a thread of its own, never on the cooperative
/// pool: touching mapped memory of cold data blocks the thread that takes
/// the page fault, invisibly to the scheduler, and would stall every task
/// queued behind it. The thread copies records into batches (one buffer per
/// batch) and hands them over through a bounded buffer: when the consumer
/// is slower, the scan waits, so memory stays within about
/// (`bufferedBatches` + 2) × `batchBytes`. Cancelling the consuming task, or
/// dropping the iterator, stops the scan within one batch (one poll
/// interval when following) and releases the reader and its mappings.
///
/// The synchronous `LogReader`/`LogReplayer` stay the fast path: records
/// there are views into the mapping, nothing is copied. This API pays one
/// copy of each key and value and a thread hand-over per batch; docs/SERVICE.md
/// has the trade-off.
public struct AsyncLogReader: AsyncSequence, Sendable {
    public typealias Element = ReplayChunk
    public typealias Failure = Never

    public let paths: [String]
    public let options: ReplayOptions
    /// Batches that may wait for the consumer before the scan pauses.
    public let bufferedBatches: Int
    /// A batch is handed over at this many records or bytes of keys and
    /// values, whichever comes first (and whenever a followed log is caught up).
    public let batchRecords: Int
    public let batchBytes: Int
    /// Counts the scans of this sequence that are running (for tests and
    /// health checks): a scan ends after its reader has been released.
    public let monitor = ScanMonitor()

    public init(paths: [String], options: ReplayOptions = ReplayOptions(), bufferedBatches: Int = 4,
                batchRecords: Int = 1024, batchBytes: Int = 1 << 20) {
        self.paths = paths
        self.options = options
        self.bufferedBatches = Swift.max(1, bufferedBatches)
        self.batchRecords = batchRecords
        self.batchBytes = batchBytes
    }

    public func makeAsyncIterator() -> Iterator {
        let channel = BatchChannel(capacity: bufferedBatches)
        var options = self.options
        let stop = options.stop ?? ReplayStop()
        options.stop = stop
        let job = ScanJob(paths: paths, options: options, channel: channel, stop: stop, monitor: monitor,
                          builder: RecordBatchBuilder(maxRecords: batchRecords, maxBytes: batchBytes))
        job.start()
        return Iterator(handle: IteratorHandle(channel: channel, stop: stop))
    }

    public struct Iterator: AsyncIteratorProtocol {
        let handle: IteratorHandle

        public mutating func next() async -> ReplayChunk? {
            await handle.receive()
        }

        public mutating func next(isolation actor: isolated (any Actor)?) async -> ReplayChunk? {
            await handle.receive()
        }
    }
}

/// How many scans are running. Sendable: atomics only.
public final class ScanMonitor: Sendable {
    private let running = Atomic<Int>(0)
    private let started = Atomic<Int>(0)
    private let sent = Atomic<Int>(0)

    public init() {}

    /// Scans whose thread has not yet ended.
    public var runningScans: Int { running.load(ordering: .acquiring) }
    /// Scans started so far.
    public var startedScans: Int { started.load(ordering: .acquiring) }

    func scanStarted() {
        started.add(1, ordering: .releasing)
        running.add(1, ordering: .releasing)
    }

    /// Chunks the scans have queued for their consumers: at most the
    /// consumer's chunks plus the buffer, whatever the size of the log.
    public var chunksSent: Int { sent.load(ordering: .acquiring) }

    func scanEnded() { running.subtract(1, ordering: .releasing) }

    func chunkSent() { sent.add(1, ordering: .releasing) }
}

/// The consumer's end; dropping the iterator (leaving the loop) stops the scan.
public final class IteratorHandle: Sendable {
    let channel: BatchChannel
    let stop: ReplayStop

    init(channel: BatchChannel, stop: ReplayStop) {
        self.channel = channel
        self.stop = stop
    }

    deinit { cancel() }

    func cancel() {
        stop.request()
        channel.cancel()
    }

    func receive() async -> ReplayChunk? {
        if Task.isCancelled {
            cancel()
            return nil
        }
        return await withTaskCancellationHandler {
            await channel.receive()
        } onCancel: {
            cancel()
        }
    }
}

/// The bounded buffer between the scanning thread and the consumer.
///
/// `@unchecked Sendable`: the queue, the waiting consumer and the finished
/// flag are only touched under `state`'s Mutex; `cancelled` is an atomic;
/// `slots` is a POSIX counting semaphore (thread-safe by specification),
/// created in init and destroyed in deinit, when no thread can hold a
/// reference any more. The semaphore counts free places in the buffer: the
/// producer takes one before queueing (blocking its own thread, never a
/// task's), the consumer gives one back per chunk it takes.
final class BatchChannel: @unchecked Sendable {
    private struct State {
        var queue: [ReplayChunk] = []
        var head = 0
        var waiter: CheckedContinuation<ReplayChunk?, Never>?
        var finished = false
    }

    private let state = Mutex(State())
    private let cancelled = Atomic<Bool>(false)
    private let slots = UnsafeMutablePointer<sem_t>.allocate(capacity: 1)

    init(capacity: Int) {
        sem_init(slots, 0, UInt32(capacity))
    }

    deinit {
        sem_destroy(slots)
        slots.deallocate()
    }

    var isCancelled: Bool { cancelled.load(ordering: .acquiring) }

    /// Producer: queues `chunk`, waiting for room. False once the consumer
    /// has gone (the scan should end).
    func send(_ chunk: ReplayChunk) -> Bool {
        while sem_wait(slots) != 0 && errno == EINTR {}
        if isCancelled { return false }
        let waiter = state.withLock { state -> CheckedContinuation<ReplayChunk?, Never>? in
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter
            }
            state.queue.append(chunk)
            return nil
        }
        if let waiter {
            sem_post(slots)  // handed over directly: the place is free again
            waiter.resume(returning: chunk)
        }
        return true
    }

    /// Producer: no more chunks.
    func finish() {
        let waiter = state.withLock { state -> CheckedContinuation<ReplayChunk?, Never>? in
            state.finished = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: nil)
    }

    /// Consumer: the next chunk, or nil at the end or once cancelled.
    func receive() async -> ReplayChunk? {
        await withCheckedContinuation { (continuation: CheckedContinuation<ReplayChunk?, Never>) in
            enum Action { case deliver(ReplayChunk), end, wait }
            let cancelled = isCancelled
            let action = state.withLock { state -> Action in
                if state.head < state.queue.count {
                    let chunk = state.queue[state.head]
                    state.head += 1
                    if state.head == state.queue.count {
                        state.queue.removeAll(keepingCapacity: true)
                        state.head = 0
                    }
                    return .deliver(chunk)
                }
                if state.finished || cancelled { return .end }
                state.waiter = continuation
                return .wait
            }
            switch action {
            case .deliver(let chunk):
                sem_post(slots)
                continuation.resume(returning: chunk)
            case .end:
                continuation.resume(returning: nil)
            case .wait:
                break
            }
        }
    }

    /// Consumer gone: wake both sides; queued chunks are dropped.
    func cancel() {
        cancelled.store(true, ordering: .releasing)
        let waiter = state.withLock { state -> CheckedContinuation<ReplayChunk?, Never>? in
            state.finished = true
            state.queue = []
            state.head = 0
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: nil)
        sem_post(slots)  // a producer waiting for room sees the cancellation
    }
}

/// One scan: the thread's body and everything it owns. The reader is
/// created, used and released on the scanning thread only.
///
/// `@unchecked Sendable`: handed to the new thread once, at start, and
/// never touched by the starting thread again (start() is its last use);
/// the fields it shares (`channel`, `stop`, `monitor`) are Sendable.
final class ScanJob: @unchecked Sendable {
    let paths: [String]
    let options: ReplayOptions
    let channel: BatchChannel
    let stop: ReplayStop
    let monitor: ScanMonitor
    var builder: RecordBatchBuilder

    init(paths: [String], options: ReplayOptions, channel: BatchChannel, stop: ReplayStop, monitor: ScanMonitor,
         builder: RecordBatchBuilder) {
        self.paths = paths
        self.options = options
        self.channel = channel
        self.stop = stop
        self.monitor = monitor
        self.builder = builder
    }

    func start() {
        monitor.scanStarted()
        let context = Unmanaged.passRetained(self).toOpaque()
        var thread = pthread_t()
        let created = pthread_create(&thread, nil, { context in
            let job = Unmanaged<ScanJob>.fromOpaque(context!).takeRetainedValue()
            job.run()
            return nil
        }, context)
        if created == 0 {
            pthread_detach(thread)
        } else {
            // No thread to be had: say so and end, rather than scan on the
            // caller's (perhaps cooperative) thread.
            let job = Unmanaged<ScanJob>.fromOpaque(context).takeRetainedValue()
            _ = job.channel.send(.event(.failure(LogScanError(path: "", .system(operation: "pthread_create", errno: created)))))
            job.channel.finish()
            job.monitor.scanEnded()
        }
    }

    private func send(_ chunk: ReplayChunk) -> Bool {
        guard channel.send(chunk) else { return false }
        monitor.chunkSent()
        return true
    }

    private func run() {
        let summary = scan()
        if !channel.isCancelled { _ = send(.finished(summary)) }
        channel.finish()
        monitor.scanEnded()
    }

    /// Drives the reader until the end, a stop, or the consumer going away.
    /// The reader (and every mapping it holds) is released when this returns.
    private func scan() -> ReplaySummary {
        let reader = LogReader(paths: paths, options: options)
        var open = true
        while open {
            let step = reader.next(whenCaughtUp: {
                // Caught up with a followed log: hand over what there is now.
                if !builder.isEmpty { open = send(.records(builder.take())) && open }
            })
            switch step {
            case .record(let record):
                builder.append(record)
                if builder.isFull { open = send(.records(builder.take())) }
            case .event(let event):
                if !builder.isEmpty { open = send(.records(builder.take())) }
                if case .beginSegment(let path, let kind) = event {
                    builder.path = path
                    builder.kind = kind
                }
                open = open && send(.event(event))
            case .end:
                if !builder.isEmpty { open = send(.records(builder.take())) }
                return reader.summary
            }
            if !open { stop.request() }
        }
        return reader.summary
    }
}

import CZstd

/// RocksDB's `wal_compression`: every fragment payload after the
/// kSetCompressionType record is a piece of one streaming-zstd output. The
/// reader decompresses fragment by fragment with one decompressor that is
/// reset when a new logical record is started (log_reader.cc).
///
/// The input is mapped bytes, so decompression runs under the SIGBUS guard.
final class WALZstdStream {
    private let context: OpaquePointer
    /// Decompressed bytes of the last fragment.
    private(set) var output = RawBuffer(capacity: WALFormat.blockSize)
    private(set) var outputCount = 0

    init?() {
        guard let context = ZSTD_createDCtx() else { return nil }
        self.context = context
    }

    deinit { ZSTD_freeDCtx(context) }

    func reset() { ZSTD_DCtx_reset(context, ZSTD_reset_session_only) }

    enum Outcome { case ok, failed, fault }

    private struct Step: BitwiseCopyable {
        var context: OpaquePointer
        var input: ZSTD_inBuffer
        var output: ZSTD_outBuffer
        var error = false
    }

    /// Decompresses one fragment's payload into `output` (replacing what
    /// was there): all of the input, and everything it yields.
    func decompress(_ payload: UnsafeRawBufferPointer) -> Outcome {
        outputCount = 0
        guard payload.count > 0 else { return .ok }
        var step = Step(context: context, input: ZSTD_inBuffer(src: payload.baseAddress, size: payload.count, pos: 0),
                        output: ZSTD_outBuffer(dst: output.pointer, size: output.capacity, pos: 0))
        while true {
            let fault = withSigbusGuard(&step) { raw in
                let step = guardedContext(raw, as: Step.self)
                // Until the input is used up and the output has room left over:
                // then nothing more can come out of this fragment.
                while step.pointee.input.pos < step.pointee.input.size || step.pointee.output.pos == step.pointee.output.size {
                    if step.pointee.output.pos == step.pointee.output.size { return }  // grow first
                    let status = ZSTD_decompressStream(step.pointee.context, &step.pointee.output, &step.pointee.input)
                    if ZSTD_isError(status) != 0 { step.pointee.error = true; return }
                }
            }
            if fault != nil { return .fault }
            if step.error { return .failed }
            if step.output.pos < step.output.size && step.input.pos >= step.input.size {
                outputCount = step.output.pos
                return .ok
            }
            // Output full: grow and go on where it stopped.
            let produced = step.output.pos
            output.reserve(output.capacity * 2, preserving: produced)
            step.output = ZSTD_outBuffer(dst: output.pointer, size: output.capacity, pos: produced)
        }
    }

    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: output.pointer, count: outputCount) }
}

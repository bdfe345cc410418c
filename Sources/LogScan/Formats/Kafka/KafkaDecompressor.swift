import CLZ4
import CZlib
import CZstd

/// CRC-32 (IEEE 802.3, zlib's) for v0/v1 messages; v2 batches use CRC32C.
enum KafkaChecksums {
    @inline(__always)
    static func crc32(_ p: UnsafeRawPointer, _ count: Int) -> UInt32 {
        guard count > 0 else { return 0 }
        return UInt32(truncatingIfNeeded: CZlib.crc32_z(0, p.assumingMemoryBound(to: UInt8.self), count))
    }
}

/// Why a compressed batch did not inflate.
struct KafkaInflateFailure: Error {
    var detail: String
}

/// Inflates the records of compressed batches with Kafka's codecs: gzip
/// streams (zlib), Kafka's LZ4 frames (liblz4's LZ4F API), xerial-framed or
/// raw snappy (our own decoder), zstd frames (libzstd). Input is a copy the
/// reader made of the batch's bytes, not mapped memory: the decoders keep
/// state and allocate, so they never run under the SIGBUS guard.
///
/// Output never grows past the bound the caller gives (declared sizes inside
/// the streams are never trusted for allocation): the buffer doubles as the
/// decoder fills it, up to the bound, and a stream that wants more fails.
final class KafkaDecompressor {
    private(set) var output = RawBuffer(capacity: 64 << 10)
    private var lz4Context: OpaquePointer?
    private var zstdContext: OpaquePointer?
    private var zlibStream: UnsafeMutablePointer<z_stream>?

    deinit {
        if let lz4Context { LZ4F_freeDecompressionContext(lz4Context) }
        if let zstdContext { ZSTD_freeDCtx(zstdContext) }
        if let zlibStream {
            inflateEnd(zlibStream)
            zlibStream.deallocate()
        }
    }

    /// Inflates `input` into `output`; returns the number of bytes produced.
    /// `legacyLZ4` repairs the frame header checksum of magic-0 LZ4 wrappers.
    func inflate(_ codec: KafkaCodec, _ input: UnsafeRawBufferPointer, bound: Int, legacyLZ4: Bool = false) throws(KafkaInflateFailure) -> Int {
        switch codec {
        case .none: return 0
        case .gzip: return try gzip(input, bound: bound)
        case .lz4: return try lz4(input, bound: bound, legacyHeader: legacyLZ4)
        case .zstd: return try zstd(input, bound: bound)
        case .snappy:
            var out = OutputSpace(buffer: self, bound: bound)
            try KafkaSnappy.decode(input, into: &out)
            return out.produced
        }
    }

    /// The output buffer as the decoders see it: room to write, and growth by
    /// doubling up to the bound.
    struct OutputSpace {
        let buffer: KafkaDecompressor
        let bound: Int
        var produced = 0

        var base: UnsafeMutableRawPointer { buffer.output.pointer }
        var capacity: Int { min(buffer.output.capacity, bound) }

        /// Makes room for `more` bytes after `produced`; false past the bound.
        mutating func reserve(_ more: Int) -> Bool {
            let need = produced + more
            guard need <= bound else { return false }
            if need > buffer.output.capacity {
                buffer.output.reserve(min(bound, max(need, buffer.output.capacity * 2)), preserving: produced)
            }
            return true
        }

        /// Doubles the room (up to the bound); false when already at it.
        mutating func grow() -> Bool {
            let current = capacity
            guard current < bound else { return false }
            buffer.output.reserve(min(bound, max(current * 2, 64 << 10)), preserving: produced)
            return true
        }
    }

    private func tooLarge(_ bound: Int) -> KafkaInflateFailure {
        KafkaInflateFailure(detail: "inflates past \(bound) bytes, the bound for its record count")
    }

    // MARK: gzip

    private func gzip(_ input: UnsafeRawBufferPointer, bound: Int) throws(KafkaInflateFailure) -> Int {
        let stream: UnsafeMutablePointer<z_stream>
        if let zlibStream {
            stream = zlibStream
            inflateReset(stream)
        } else {
            stream = .allocate(capacity: 1)
            stream.initialize(to: z_stream())
            // 16 + 15: a gzip stream (header and trailer), 32 KiB window.
            guard inflateInit2_(stream, 16 + 15, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
                stream.deallocate()
                throw KafkaInflateFailure(detail: "zlib could not start")
            }
            zlibStream = stream
        }
        var out = OutputSpace(buffer: self, bound: bound)
        var consumed = 0
        while true {
            if out.produced == out.capacity && !out.grow() { throw tooLarge(bound) }
            stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress.map { $0.assumingMemoryBound(to: Bytef.self) + consumed })
            stream.pointee.avail_in = uInt(clamping: input.count - consumed)
            stream.pointee.next_out = (out.base + out.produced).assumingMemoryBound(to: Bytef.self)
            stream.pointee.avail_out = uInt(clamping: out.capacity - out.produced)
            let inBefore = Int(stream.pointee.avail_in), outBefore = Int(stream.pointee.avail_out)
            let status = CZlib.inflate(stream, Z_NO_FLUSH)
            consumed += inBefore - Int(stream.pointee.avail_in)
            out.produced += outBefore - Int(stream.pointee.avail_out)
            switch status {
            case Z_STREAM_END:
                // Java's GZIPInputStream reads concatenated members too.
                if consumed == input.count { return out.produced }
                inflateReset(stream)
            case Z_OK:
                continue
            case Z_BUF_ERROR:
                if stream.pointee.avail_out == 0 { continue }
                throw KafkaInflateFailure(detail: "gzip stream ends early (\(input.count) bytes)")
            default:
                let message = stream.pointee.msg.map { String(cString: $0) } ?? "error \(status)"
                throw KafkaInflateFailure(detail: "gzip: \(message)")
            }
        }
    }

    // MARK: LZ4 frame

    private func lz4(_ input: UnsafeRawBufferPointer, bound: Int, legacyHeader: Bool) throws(KafkaInflateFailure) -> Int {
        if lz4Context == nil {
            var context: OpaquePointer?
            let status = LZ4F_createDecompressionContext(&context, UInt32(LZ4F_VERSION))
            guard LZ4F_isError(status) == 0, context != nil else {
                throw KafkaInflateFailure(detail: "liblz4 could not start")
            }
            lz4Context = context
        }
        let context = lz4Context!
        LZ4F_resetDecompressionContext(context)
        var out = OutputSpace(buffer: self, bound: bound)
        guard let inputBase = input.baseAddress, input.count > 0 else {
            throw KafkaInflateFailure(detail: "empty LZ4 frame")
        }
        var consumed = 0
        if legacyHeader {
            // Kafka 0.8-0.9 computed the frame descriptor's checksum over the
            // magic number too; feed liblz4 a header with the right one.
            var header = [UInt8](repeating: 0, count: 19)
            let headerSize = KafkaLZ4Legacy.repairedHeader(input, into: &header)
            guard headerSize > 0 else { throw KafkaInflateFailure(detail: "LZ4 frame header cut off") }
            var produced = 0
            let failed = header.withUnsafeBytes { raw -> String? in
                var srcSize = headerSize
                var dstSize = 0
                let status = LZ4F_decompress(context, out.base, &dstSize, raw.baseAddress!, &srcSize, nil)
                produced = dstSize
                return LZ4F_isError(status) != 0 ? String(cString: LZ4F_getErrorName(status)) : nil
            }
            if let failed { throw KafkaInflateFailure(detail: "LZ4: \(failed)") }
            out.produced += produced
            consumed = headerSize
        }
        while true {
            if out.produced == out.capacity && !out.grow() { throw tooLarge(bound) }
            var srcSize = input.count - consumed
            var dstSize = out.capacity - out.produced
            let status = LZ4F_decompress(context, out.base + out.produced, &dstSize, inputBase + consumed, &srcSize, nil)
            if LZ4F_isError(status) != 0 {
                throw KafkaInflateFailure(detail: "LZ4: \(String(cString: LZ4F_getErrorName(status)))")
            }
            consumed += srcSize
            out.produced += dstSize
            if status == 0 {
                guard consumed == input.count else {
                    throw KafkaInflateFailure(detail: "\(input.count - consumed) bytes after the LZ4 frame")
                }
                return out.produced
            }
            if consumed == input.count && dstSize == 0 && out.produced < out.capacity {
                throw KafkaInflateFailure(detail: "LZ4 frame ends early (\(input.count) bytes)")
            }
        }
    }

    // MARK: zstd

    private func zstd(_ input: UnsafeRawBufferPointer, bound: Int) throws(KafkaInflateFailure) -> Int {
        if zstdContext == nil {
            guard let context = ZSTD_createDCtx() else { throw KafkaInflateFailure(detail: "libzstd could not start") }
            zstdContext = context
        }
        let context = zstdContext!
        ZSTD_DCtx_reset(context, ZSTD_reset_session_only)
        var out = OutputSpace(buffer: self, bound: bound)
        var source = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: 0)
        var lastStatus = 0
        while true {
            if out.produced == out.capacity && !out.grow() { throw tooLarge(bound) }
            var target = ZSTD_outBuffer(dst: out.base, size: out.capacity, pos: out.produced)
            let before = (source.pos, target.pos)
            lastStatus = ZSTD_decompressStream(context, &target, &source)
            if ZSTD_isError(lastStatus) != 0 {
                throw KafkaInflateFailure(detail: "zstd: \(String(cString: ZSTD_getErrorName(lastStatus)))")
            }
            out.produced = target.pos
            // 0: a frame ended and is flushed. More input is a further frame.
            if lastStatus == 0 && source.pos == source.size { return out.produced }
            if source.pos == source.size && before == (source.pos, target.pos) && target.pos < target.size {
                throw KafkaInflateFailure(detail: "zstd frame ends early (\(input.count) bytes)")
            }
        }
    }
}

/// Kafka 0.8–0.9 LZ4 (magic-0 wrappers): the frame descriptor's checksum byte
/// was computed over the 4 magic bytes as well. Kafka reads them by ignoring
/// that byte; logscan recomputes it.
enum KafkaLZ4Legacy {
    /// Copies the frame header from `input` into `header` with its checksum
    /// byte recomputed; returns the header's size, 0 when it is cut off.
    static func repairedHeader(_ input: UnsafeRawBufferPointer, into header: inout [UInt8]) -> Int {
        guard input.count >= 7 else { return 0 }
        let flags = input[4]
        var size = 7  // magic 4, FLG, BD, HC
        if flags & 0x08 != 0 { size += 8 }  // content size
        if flags & 0x01 != 0 { size += 4 }  // dictionary id
        guard input.count >= size, size <= header.count else { return 0 }
        for i in 0..<size { header[i] = input[i] }
        let descriptor = Array(input[4..<(size - 1)])
        header[size - 1] = UInt8(truncatingIfNeeded: XXH32.hash(descriptor, seed: 0) >> 8)
        return size
    }
}

/// xxHash32, for the LZ4 frame descriptor checksum (liblz4 keeps its copy private).
enum XXH32 {
    private static let p1: UInt32 = 2_654_435_761, p2: UInt32 = 2_246_822_519, p3: UInt32 = 3_266_489_917
    private static let p4: UInt32 = 668_265_263, p5: UInt32 = 374_761_393

    private static func rotl(_ x: UInt32, _ r: UInt32) -> UInt32 { (x << r) | (x >> (32 - r)) }
    private static func round(_ acc: UInt32, _ input: UInt32) -> UInt32 { rotl(acc &+ input &* p2, 13) &* p1 }

    static func hash(_ bytes: [UInt8], seed: UInt32) -> UInt32 {
        let n = bytes.count
        var i = 0
        var h: UInt32
        func le32(_ at: Int) -> UInt32 {
            UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24
        }
        if n >= 16 {
            var v1 = seed &+ p1 &+ p2, v2 = seed &+ p2, v3 = seed, v4 = seed &- p1
            while i + 16 <= n {
                v1 = round(v1, le32(i)); v2 = round(v2, le32(i + 4)); v3 = round(v3, le32(i + 8)); v4 = round(v4, le32(i + 12))
                i += 16
            }
            h = rotl(v1, 1) &+ rotl(v2, 7) &+ rotl(v3, 12) &+ rotl(v4, 18)
        } else {
            h = seed &+ p5
        }
        h = h &+ UInt32(n)
        while i + 4 <= n {
            h = rotl(h &+ le32(i) &* p3, 17) &* p4
            i += 4
        }
        while i < n {
            h = rotl(h &+ UInt32(bytes[i]) &* p5, 11) &* p1
            i += 1
        }
        h ^= h >> 15; h = h &* p2; h ^= h >> 13; h = h &* p3; h ^= h >> 16
        return h
    }
}

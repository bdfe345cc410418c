/// Snappy as Kafka stores it. Java clients write snappy-java's "xerial"
/// framing: a 16-byte header (`82 'SNAPPY' 00`, version, compatible version,
/// both int32) and then blocks of `int32 BE compressed length` + a raw snappy
/// block. A payload without that header is one raw snappy block (some
/// non-Java producers). Our own decoder: every length and copy offset is
/// checked against the input and the output bound.
enum KafkaSnappy {
    static let xerialMagic: [UInt8] = [0x82, 0x53, 0x4E, 0x41, 0x50, 0x50, 0x59, 0x00]
    static let xerialHeaderSize = 16

    static func decode(_ input: UnsafeRawBufferPointer, into out: inout KafkaDecompressor.OutputSpace) throws(KafkaInflateFailure) {
        guard let base = input.baseAddress else { throw KafkaInflateFailure(detail: "empty snappy payload") }
        let n = input.count
        let isXerial = n >= xerialHeaderSize && (0..<8).allSatisfy { input[$0] == xerialMagic[$0] }
        guard isXerial else {
            try decodeBlock(base, n, into: &out)
            return
        }
        var i = xerialHeaderSize
        while i < n {
            guard n - i >= 4 else { throw KafkaInflateFailure(detail: "snappy: block length cut off at \(i)") }
            let length = Int(Int32(bitPattern: base.be32(i)))
            i += 4
            guard length >= 0, length <= n - i else { throw KafkaInflateFailure(detail: "snappy: block length \(length) at \(i - 4)") }
            try decodeBlock(base + i, length, into: &out)
            i += length
        }
    }

    /// One raw snappy block: varint uncompressed length, then literal and copy elements.
    static func decodeBlock(_ p: UnsafeRawPointer, _ n: Int, into out: inout KafkaDecompressor.OutputSpace) throws(KafkaInflateFailure) {
        var i = 0
        var length: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard i < n, shift <= 28 else { throw KafkaInflateFailure(detail: "snappy: bad length preamble") }
            let b = p.byte(i)
            i += 1
            length |= UInt64(b & 0x7F) << shift
            if b < 0x80 { break }
            shift += 7
        }
        guard length <= UInt64(Int32.max), out.reserve(Int(length)) else {
            throw KafkaInflateFailure(detail: "snappy: block of \(length) bytes inflates past \(out.bound) bytes, the bound for its record count")
        }
        let start = out.produced
        let end = start + Int(length)
        let dst = out.base
        var o = start
        while i < n {
            let tag = p.byte(i)
            i += 1
            var copyLength: Int
            var offset: Int
            switch tag & 3 {
            case 0:
                var literal = Int(tag >> 2)
                if literal >= 60 {
                    let bytes = literal - 59
                    guard n - i >= bytes else { throw KafkaInflateFailure(detail: "snappy: literal length cut off") }
                    literal = 0
                    for k in 0..<bytes { literal |= Int(p.byte(i + k)) << (8 * k) }
                    i += bytes
                }
                literal += 1
                guard literal <= n - i, literal <= end - o else { throw KafkaInflateFailure(detail: "snappy: literal of \(literal) bytes overruns") }
                (dst + o).copyMemory(from: p + i, byteCount: literal)
                i += literal
                o += literal
                continue
            case 1:
                guard i < n else { throw KafkaInflateFailure(detail: "snappy: copy cut off") }
                copyLength = Int((tag >> 2) & 7) + 4
                offset = Int(tag >> 5) << 8 | Int(p.byte(i))
                i += 1
            case 2:
                guard n - i >= 2 else { throw KafkaInflateFailure(detail: "snappy: copy cut off") }
                copyLength = Int(tag >> 2) + 1
                offset = Int(p.byte(i)) | Int(p.byte(i + 1)) << 8
                i += 2
            default:
                guard n - i >= 4 else { throw KafkaInflateFailure(detail: "snappy: copy cut off") }
                copyLength = Int(tag >> 2) + 1
                offset = Int(p.byte(i)) | Int(p.byte(i + 1)) << 8 | Int(p.byte(i + 2)) << 16 | Int(p.byte(i + 3)) << 24
                i += 4
            }
            guard offset > 0, offset <= o - start, copyLength <= end - o else {
                throw KafkaInflateFailure(detail: "snappy: copy of \(copyLength) bytes from \(offset) back is out of range")
            }
            // Overlapping copies repeat the pattern: byte by byte when they overlap.
            if offset >= copyLength {
                (dst + o).copyMemory(from: dst + (o - offset), byteCount: copyLength)
            } else {
                for k in 0..<copyLength { (dst + o + k).storeBytes(of: (dst + o - offset + k).load(as: UInt8.self), as: UInt8.self) }
            }
            o += copyLength
        }
        guard o == end else { throw KafkaInflateFailure(detail: "snappy: block produced \(o - start) of \(length) bytes") }
        out.produced = end
    }
}

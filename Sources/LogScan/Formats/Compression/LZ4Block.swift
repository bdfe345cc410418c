import CLZ4

/// LZ4 block compression (no frame): what native blocks store when
/// compression pays. Sizes travel in the block header, not in the stream.
enum LZ4Block {
    /// The largest output LZ4 can produce for `rawCount` input bytes.
    static func compressBound(_ rawCount: Int) -> Int {
        Int(LZ4_compressBound(Int32(clamping: rawCount)))
    }

    /// Compresses into `destination`; returns the compressed size, or nil
    /// when it does not fit (the caller then stores the block raw).
    static func compress(_ source: UnsafeRawBufferPointer, into destination: UnsafeMutableRawBufferPointer) -> Int? {
        guard let src = source.baseAddress, let dst = destination.baseAddress, source.count > 0 else { return nil }
        let n = LZ4_compress_default(src.assumingMemoryBound(to: CChar.self), dst.assumingMemoryBound(to: CChar.self),
                                     Int32(source.count), Int32(clamping: destination.count))
        return n > 0 ? Int(n) : nil
    }

    /// Decompresses exactly `destination.count` bytes; nil when the stream is
    /// invalid or does not produce exactly that many bytes. LZ4_decompress_safe
    /// never writes past destination nor reads past source, whatever the input.
    static func decompress(_ source: UnsafeRawBufferPointer, into destination: UnsafeMutableRawBufferPointer) -> Int? {
        guard let src = source.baseAddress, let dst = destination.baseAddress else { return nil }
        let n = LZ4_decompress_safe(src.assumingMemoryBound(to: CChar.self), dst.assumingMemoryBound(to: CChar.self),
                                    Int32(clamping: source.count), Int32(clamping: destination.count))
        return n == destination.count ? Int(n) : nil
    }

    /// The most bytes a valid LZ4 block of `storedCount` bytes can inflate to
    /// (one byte of a match sequence expands to at most 255): a bound that a
    /// corrupt raw-size field cannot exceed.
    static func maxDecompressedSize(storedCount: Int) -> Int { storedCount &* 255 &+ 16 }
}

/// Default resume and follow hooks of `SegmentRecordReader`, and the native
/// format's resume. What a format must do to support them is in docs/SERVICE.md.
extension SegmentRecordReader {
    static func segmentIndex(resuming token: ResumeToken, in segments: [LogInput.Segment]) -> Int? {
        if segments.count == 1, segments[0].baseOffset == nil { return 0 }
        return segments.lastIndex { ($0.baseOffset ?? 0) <= token.offset }
    }

    func resume(after token: ResumeToken, segment: LogInput.Segment) throws(LogScanError) {
        throw LogScanError(path: segment.path, .unsupported("resuming \(segment.kind.rawValue) logs after a token is not supported yet"))
    }

    func refreshForFollow() throws(LogScanError) -> Bool {
        let before = source.size
        guard let now = try source.refreshSize() else { return false }
        source.release()
        return now != before
    }
}

extension NativeSegmentReader {
    /// Native tokens name the block: its header must still be at the
    /// token's position, carry the token's header checksum, and hold the
    /// token's sequence number. Reading resumes at the next record.
    func resume(after token: ResumeToken, segment: LogInput.Segment) throws(LogScanError) {
        guard token.kind == .native else {
            throw ResumeToken.refused(path, token, "it is a \(token.kind.rawValue) token, this is a native log")
        }
        guard token.offset >= header.baseSequence else {
            throw ResumeToken.refused(path, token, "sequence \(token.offset) is before this log's first segment (\(header.baseSequence)); it was deleted or the token is from another log")
        }
        guard token.unitPosition >= Int64(NativeFormat.segmentHeaderSize),
              let size = source.size, token.unitPosition + Int64(NativeFormat.blockHeaderSize) <= size else {
            throw ResumeToken.refused(path, token, "no block at byte \(token.unitPosition) of \(segment.path); the log was rewritten or the token is from another log")
        }
        let view = try source.bytes(at: token.unitPosition, count: NativeFormat.blockHeaderSize)
        var raw = [UInt8](repeating: 0, count: NativeFormat.blockHeaderSize)
        _ = try ByteSourceAccess.copyGuarded(view, into: &raw, source: source, position: token.unitPosition)
        let (stored, decoded) = raw.withUnsafeBytes { ($0.baseAddress!.le32(4), NativeBlockHeader.decode($0.baseAddress!)) }
        guard case .success(let block) = decoded, stored == token.check else {
            throw ResumeToken.refused(path, token, "the block at byte \(token.unitPosition) of \(segment.path) is not the one the token names; the token is from another log or the log was rewritten")
        }
        guard block.firstSequence <= token.offset, token.offset - block.firstSequence < UInt64(block.recordCount) else {
            throw ResumeToken.refused(path, token, "the block at byte \(token.unitPosition) holds sequences \(block.firstSequence)..<\(block.firstSequence + UInt64(block.recordCount))")
        }
        reposition(toBlockAt: token.unitPosition, sequence: block.firstSequence)
        minimumSequence = token.offset &+ 1
    }
}

#if canImport(Glibc)
import Glibc
#endif

/// Follow mode of `SegmentCursor` (`ReplayOptions.follow`): at the end of
/// the last segment, wait for the writer instead of ending.
///
/// The order of checks is what keeps records from being lost at a roll: a
/// writer finishes a segment before it creates the next one, so when a new
/// segment shows up in the directory the current one is refreshed once more
/// and read to its end before the cursor moves on.
enum FollowOutcome {
    /// Something changed: read again.
    case retry
    /// `ReplayOptions.stop` was requested.
    case stopped
    /// An incomplete tail stayed incomplete for the whole timeout.
    case timedOut
    case failed(LogScanError)
}

extension SegmentCursor {
    /// Waits at the end of the current (last known) segment until it grows,
    /// a newer segment appears, the stop is requested, or (with `torn`, an
    /// incomplete unit at the end) the partial-tail timeout passes.
    func followAtEnd(_ reader: Reader, torn: LogScanError?, _ caughtUp: () -> Void) -> FollowOutcome {
        guard let follow = options.follow else { return .stopped }
        let now = monotonicMillis()
        if torn == nil {
            tornSince = nil
        } else if tornSince == nil {
            tornSince = now
        }
        let deadline = tornSince.map { $0 + Int64(follow.partialTailTimeoutMillis) }
        caughtUp()
        do throws(LogScanError) {
            while true {
                if options.stop?.isRequested ?? false { return .stopped }
                if try reader.refreshForFollow() {
                    tornSince = nil
                    return .retry
                }
                let newer = try newerSegments()
                if !newer.isEmpty {
                    // The writer finished this segment before creating the
                    // next: whatever it wrote here is visible now.
                    if try reader.refreshForFollow() { return .retry }
                    segments.append(contentsOf: newer)
                    readerIsLast = false
                    tornSince = nil
                    return .retry
                }
                let remaining = deadline.map { $0 - monotonicMillis() }
                if let remaining, remaining <= 0 { return .timedOut }
                watcher?.wait(millis: remaining.map { Int(max(1, $0)) })
            }
        } catch {
            return .failed(error)
        }
    }

    /// The newest segment could not be opened because it is incomplete (a
    /// writer that just rolled has created it but not written its header):
    /// waits for it to change, like `followAtEnd`.
    func followNewSegment(_ segment: LogInput.Segment, error: LogScanError, _ caughtUp: () -> Void) -> FollowOutcome {
        guard let follow = options.follow else { return .stopped }
        let started = monotonicMillis()
        let size = Directory.fileSize(segment.path)
        caughtUp()
        while true {
            if options.stop?.isRequested ?? false { return .stopped }
            if Directory.fileSize(segment.path) != size { return .retry }
            let remaining = started + Int64(follow.partialTailTimeoutMillis) - monotonicMillis()
            if remaining <= 0 { return .timedOut }
            watcher?.wait(millis: Int(max(1, remaining)))
        }
    }

    /// Segments of a followed directory that come after the current one
    /// (listing order is replay order).
    private func newerSegments() throws(LogScanError) -> [LogInput.Segment] {
        guard input.isDirectory, let current = currentSegment else { return [] }
        let listed = try LogDetector.segments(inDirectory: input.path, kind: kind == .auto ? .native : kind)
        guard let at = listed.firstIndex(where: { $0.path == current.path }) else { return [] }
        return Array(listed[(at + 1)...])
    }
}

extension Directory {
    /// The size of the file at `path`, or -1 when it cannot be stat'ed.
    static func fileSize(_ path: String) -> Int64 {
        var st = stat()
        return stat(path, &st) == 0 ? Int64(st.st_size) : -1
    }
}

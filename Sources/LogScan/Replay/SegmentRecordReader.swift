/// What replay needs from a format's segment reader. Each format's reader
/// conforms in its `*Replay.swift` file; the formats themselves know nothing
/// of replay.
protocol SegmentRecordReader: AnyObject {
    /// Opens one segment of `log` for reading.
    init(opening segment: LogInput.Segment, in log: LogInput, options: ReplayOptions) throws(LogScanError)

    var source: ByteSource { get }
    /// Bytes of the segment decoded so far (for --stats).
    var bytesDecoded: Int64 { get }

    /// The next record, or nil at the end of the segment. Damage is thrown
    /// as `.damaged` with its position and length.
    func nextRecord() throws(LogScanError) -> LogRecord?

    /// After damage at `position`: continue at the next unit (block, batch)
    /// that validates. Returns where reading resumes, nil when nothing follows.
    func resynchronize(after position: Int64) throws(LogScanError) -> Int64?

    /// Applies --from and --from-time: record filters, and an index seek
    /// where the format has an index. Problems with an index are warnings.
    func prepare(for options: ReplayOptions, segment: LogInput.Segment, warn: (String) -> Void) -> SeekOutcome

    /// Damage when this segment does not continue the previous one of the
    /// same log (`previous` is the previous segment's `continuation`).
    func continuityDamage(after previous: UInt64) -> LogScanError?

    /// What the next segment must continue from, once this one is read to
    /// its end; nil when the format has no such rule.
    var continuation: UInt64? { get }

    // MARK: Unit-level access, for search
    //
    // A unit is what the format decodes and checks as a whole (a native
    // block, a Kafka batch, a WAL record). Search looks for a literal in a
    // unit's bytes first and decodes only the records around a hit.

    /// Decodes the next unit; false at the end of the segment. Records of a
    /// unit are not also returned by `nextRecord`.
    func nextUnit() throws(LogScanError) -> Bool
    /// Records in the current unit (before --from/--from-time filtering).
    var unitRecordCount: Int { get }
    /// The current unit's records as one contiguous stretch of bytes, for a
    /// prefilter; nil when the format cannot offer one.
    var unitBytes: UnsafeRawBufferPointer? { get }
    /// Where `ReplayOptions.probe` occurs in `unitBytes`, when the reader
    /// found it while checking the unit (default: nothing searched).
    var unitProbe: UnitProbe { get }
    /// Record `index` of the current unit, or nil when filtered out.
    func unitRecord(_ index: Int) -> LogRecord?
    /// The index of the record whose bytes include `offset` (in `unitBytes`).
    func unitRecordIndex(containing offset: Int) -> Int
    /// Where record `index` starts in `unitBytes`.
    func unitRecordStart(_ index: Int) -> Int

    // MARK: Resume and follow (docs/SERVICE.md; defaults in ReaderServiceHooks.swift)

    /// The index in `segments` of the segment that holds the record `token`
    /// names, or nil when none can. Default: the last segment whose base
    /// offset is at or below the token's offset.
    static func segmentIndex(resuming token: ResumeToken, in segments: [LogInput.Segment]) -> Int?

    /// Positions the reader just after the record `token` names. Checks that
    /// the unit the token points at is there and is the one it names; throws
    /// a `.usage` error (`ResumeToken.refused`) when not. Default: unsupported.
    func resume(after token: ResumeToken, segment: LogInput.Segment) throws(LogScanError)

    /// Follow mode, at the end of what was readable: `nextRecord()` returned
    /// nil, or threw a torn-tail damage (`.truncated`/`.zeroTail`) that has
    /// not been reported. Re-reads the file's size and drops every view and
    /// cached byte of the old end; returns true when there is more to read.
    /// After it, `nextRecord()` must retry at the unit where it stopped.
    /// Default: `source.refreshSize()` + `source.release()`, enough for a
    /// reader that keeps its position in a field and reads sizes from its source.
    func refreshForFollow() throws(LogScanError) -> Bool
}

/// Occurrences of the probe literal in a unit, found by its reader: every
/// one that starts before `searched`, ascending; the rest of the unit is for
/// the searcher to search.
struct UnitProbe {
    var hits: UnsafeBufferPointer<UInt32>
    var searched: Int

    static var none: UnitProbe { UnitProbe(hits: UnsafeBufferPointer(start: nil, count: 0), searched: 0) }
}

extension SegmentRecordReader {
    var unitProbe: UnitProbe { .none }
}

enum SeekOutcome {
    /// Read the segment (from wherever the seek put the reader).
    case read
    /// The index shows that no record of the segment qualifies.
    case skipSegment
}

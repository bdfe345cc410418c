/// What `logscan verify` found in one segment file.
public struct SegmentVerification: Sendable {
    public var path: String
    public var kind: LogKind
    /// Records that passed every check.
    public var records = 0
    public var firstOffset: UInt64?
    public var lastOffset: UInt64?
    /// Every stretch that did not (torn tails included, marked tolerated).
    public var damage: [DamageReport] = []
    /// Failures that stopped the check of this segment (I/O, shrank...).
    public var failures: [LogScanError] = []
    public var index: IndexHealth = .notApplicable

    /// Clean: no damage beyond a tolerated torn tail, no failure, index ok
    /// (or, for an index that is only incomplete, a note).
    public var isDamaged: Bool {
        damage.contains { $0.action != .tolerated } || { if case .damaged = index { true } else { false } }()
    }
}

/// What `logscan verify` found in all the inputs.
public struct VerificationSummary: Sendable {
    public var segments: [SegmentVerification] = []
    /// Inputs that could not be resolved or opened at all.
    public var failures: [LogScanError] = []
    public var bytes: Int64 = 0
    /// The I/O path each segment file was read with, in the order read.
    public var io: [(path: String, report: IOReport)] = []

    public var records: Int { segments.reduce(0) { $0 + $1.records } }
    public var damagedSegments: Int { segments.filter(\.isDamaged).count }
    public var hasFailures: Bool { !failures.isEmpty || segments.contains { !$0.failures.isEmpty } }
}

/// Reads every byte of every segment and index: checksums, framing,
/// sequence continuity and index consistency. It is a replay in
/// skip-corrupted mode (so every damaged stretch is found, not only the
/// first) that keeps what each segment held, followed by each segment's
/// index check.
public struct LogVerifier {
    public var kind: LogKind
    public var io: IOOptions

    public init(kind: LogKind = .auto, io: IOOptions = IOOptions()) {
        self.kind = kind
        self.io = io
    }

    public func verify(_ paths: [String], progress: (String) -> Void = { _ in }) -> VerificationSummary {
        var summary = VerificationSummary()
        for path in paths {
            // A directory that is no log is verified as a tree of logs.
            let tree: LogTree
            do throws(LogScanError) {
                tree = try LogTree.resolve(path, kind: kind)
            } catch {
                summary.failures.append(error)
                continue
            }
            summary.failures += tree.failures
            for input in tree.logs { verify(input, into: &summary, progress: progress) }
        }
        return summary
    }

    private func verify(_ input: LogInput, into summary: inout VerificationSummary, progress: (String) -> Void) {
        var sink = VerifySink()
        // The input is resolved already: replayed as it is, not looked up again.
        var result = ReplaySummary()
        _ = LogReplayer(options: ReplayOptions(kind: kind, io: io, recovery: .skipCorrupted)).replay(input, into: &sink, summary: &result)
        summary.bytes += result.bytes
        summary.io += result.io
        summary.failures += sink.unattributed
        for segment in input.segments {
            progress(segment.path)
            var verification = sink.bySegment[segment.path] ?? SegmentVerification(path: segment.path, kind: segment.kind)
            verification.kind = segment.kind
            do throws(LogScanError) {
                verification.index = try LogInspector.checkIndex(segment)
            } catch {
                if case .unsupported = error.kind {
                    verification.index = .notApplicable
                } else {
                    verification.failures.append(error)
                }
            }
            summary.segments.append(verification)
        }
    }
}

/// Sorts what a replay says by segment file.
struct VerifySink: ReplaySink {
    var bySegment: [String: SegmentVerification] = [:]
    var current: String?
    /// Failures not tied to a segment of the input (a missing path).
    var unattributed: [LogScanError] = []

    mutating func beginSegment(path: String, kind: LogKind) {
        current = path
        if bySegment[path] == nil { bySegment[path] = SegmentVerification(path: path, kind: kind) }
    }

    mutating func record(_ record: LogRecord) -> Bool {
        guard let current else { return true }
        bySegment[current]!.records += 1
        if bySegment[current]!.firstOffset == nil { bySegment[current]!.firstOffset = record.offset }
        bySegment[current]!.lastOffset = record.offset
        return true
    }

    mutating func damage(_ report: DamageReport) {
        bySegment[report.path, default: SegmentVerification(path: report.path, kind: .auto)].damage.append(report)
    }

    mutating func failure(_ error: LogScanError) {
        if bySegment[error.path] != nil || error.path == current {
            bySegment[error.path, default: SegmentVerification(path: error.path, kind: .auto)].failures.append(error)
        } else {
            unattributed.append(error)
        }
    }
}

/// What one scan (replay, grep, verify) cost, for `--stats`: taken around
/// the scan by `ScanMeasurement`, printed by the CLI as text or Prometheus.
public struct ScanStatistics: Sendable {
    public struct File: Sendable {
        public var path: String
        public var sizeBytes: Int64
        /// Page-cache residency, 0...1, before and after the scan (nil: not measurable).
        public var residentBefore: Double?
        public var residentAfter: Double?
        /// The I/O path the scan used for this file (`IOReport.summary`);
        /// nil when the scan did not open it.
        public var io: IOReport?
    }

    /// Records read (replay: replayed; grep: searched; verify: checked).
    public var records: Int
    /// Records grep selected; nil for scans that select nothing.
    public var matches: Int?
    /// Bytes of log decoded (block/batch headers and payloads).
    public var bytes: Int64
    public var elapsedSeconds: Double
    public var minorFaults: Int64
    public var majorFaults: Int64
    public var peakRSSBytes: Int64
    public var userSeconds: Double
    public var systemSeconds: Double
    public var files: [File]

    public var bytesPerSecond: Double { elapsedSeconds > 0 ? Double(bytes) / elapsedSeconds : 0 }
    public var recordsPerSecond: Double { elapsedSeconds > 0 ? Double(records) / elapsedSeconds : 0 }
}

/// Measures a scan: the inputs' segment files and their page-cache
/// residency before, the clock and getrusage around, residency after.
///
///     let measurement = ScanMeasurement(paths: paths, kind: .auto)
///     let summary = LogReplayer(options: options).run(paths, into: &sink)
///     let stats = measurement.finish(records: summary.records, bytes: summary.bytes, io: summary.io)
public final class ScanMeasurement {
    /// The segment files of the inputs, in replay order (what progress
    /// counts against, and what residency is measured over).
    public let files: [(path: String, size: Int64)]
    private let residentBefore: [Double?]
    private let start: ResourceUsage

    /// The segments of each path resolved as one log (replay's inputs).
    public convenience init(paths: [String], kind: LogKind, measureResidency: Bool = true) {
        self.init(inputs: paths.filter { $0 != "-" }.compactMap { try? LogInput.resolve($0, kind: kind) },
                  measureResidency: measureResidency)
    }

    /// The segments of logs already resolved (grep's and verify's trees of logs).
    public init(inputs: [LogInput], measureResidency: Bool = true) {
        let files = inputs.flatMap(\.segments).filter { $0.path != "-" }.map { ($0.path, max(0, Directory.fileSize($0.path))) }
        self.files = files
        residentBefore = measureResidency ? files.map { PageCacheResidency.fraction(ofFile: $0.0) } : files.map { _ in nil }
        start = ResourceUsage.now()
    }

    /// Total bytes of the inputs' segment files.
    public var totalBytes: Int64 { files.reduce(0) { $0 + $1.size } }

    public func finish(records: Int, matches: Int? = nil, bytes: Int64, io: [(path: String, report: IOReport)]) -> ScanStatistics {
        let end = ResourceUsage.now()
        var reports: [String: IOReport] = [:]
        for (path, report) in io { reports[path] = report }
        let fileStats = files.enumerated().map { i, file in
            ScanStatistics.File(path: file.path, sizeBytes: file.size, residentBefore: residentBefore[i],
                                residentAfter: PageCacheResidency.fraction(ofFile: file.path), io: reports[file.path])
        }
        // Inputs the listing above could not see (standard input) still
        // report their I/O path.
        let known = Set(files.map(\.path))
        let extra = io.filter { !known.contains($0.path) }.map {
            ScanStatistics.File(path: $0.path, sizeBytes: $0.report.bytesRead, residentBefore: nil, residentAfter: nil, io: $0.report)
        }
        return ScanStatistics(
            records: records, matches: matches, bytes: bytes,
            elapsedSeconds: Double(end.monotonicNanos - start.monotonicNanos) / 1e9,
            minorFaults: end.minorFaults - start.minorFaults, majorFaults: end.majorFaults - start.majorFaults,
            peakRSSBytes: end.peakRSSBytes, userSeconds: end.userSeconds - start.userSeconds,
            systemSeconds: end.systemSeconds - start.systemSeconds, files: fileStats + extra)
    }
}

import ArgumentParser
import LogScan

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Replay a log through every I/O path and compare them.",
        discussion: """
        Counts the records of PATH (as replay --count does) once per I/O path, each in a fresh \
        process of its own, so that page faults and peak RSS belong to that path: auto (what \
        logscan picks), mmap (no advice), mmap-populate (MAP_POPULATE), mmap-sequential \
        (MADV_SEQUENTIAL + next window POSIX_FADV_WILLNEED, what --io mmap does), mmap-willneed \
        (plus MADV_WILLNEED on each window), mmap-hugetlb (MAP_HUGETLB; only on hugetlbfs), \
        pread (one 1 MiB buffer, synchronous), pread-readahead (a reading thread, what --io pread \
        does for scans) and o-direct (O_DIRECT pread, where the file system allows it).

        Columns: time (median of --runs, from the child's clock around the scan), throughput \
        (file bytes / time), minor and major page faults of the scan (getrusage), the child's \
        peak RSS (ru_maxrss), the share of the files in the page cache before the scan, and \
        the I/O path as --stats reports it.

        Warm (default): every file is read once, untimed, before the runs. --cold: before each \
        run the files are evicted with posix_fadvise(POSIX_FADV_DONTNEED) (after fdatasync) and, \
        as root, sync + echo 1 > /proc/sys/vm/drop_caches.

        Every path must count the same records; when they do not, bench says so and exits 2.
        """)

    @Argument(help: ArgumentHelp("A segment file or log directory.", valueName: "path"))
    var paths: [String]

    @Flag(help: "Evict the files from the page cache before each run.")
    var cold = false

    @Option(help: ArgumentHelp("Runs per path (the median is shown).", valueName: "n"))
    var runs = 3

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    @Option(help: ArgumentHelp("Only these paths (comma-separated names).", valueName: "names"))
    var only: String?

    @Option(help: "Log format: auto, native, leveldb, rocksdb or kafka.")
    var kind: LogKind = .auto

    /// Internal: run one path in this process and print one JSON line.
    @Option(name: .customLong("run-path"), help: ArgumentHelp(visibility: .private))
    var runPath: String?

    func validate() throws {
        if runs < 1 { throw ValidationError("--runs must be at least 1") }
        if paths.contains("-") { throw ValidationError("bench reads files, not standard input") }
        if let runPath, BenchPath(rawValue: runPath) == nil { throw ValidationError("unknown I/O path '\(runPath)'") }
        for name in selectedNames where BenchPath(rawValue: name) == nil {
            throw ValidationError("unknown I/O path '\(name)'; known: \(BenchPath.allCases.map(\.rawValue).joined(separator: ", "))")
        }
    }

    private var selectedNames: [String] {
        only.map { $0.split(separator: ",").map { String($0) } } ?? BenchPath.allCases.map(\.rawValue)
    }

    func run() throws {
        if let runPath {
            let m = IOBench.run(BenchPath(rawValue: runPath)!, paths: paths, kind: kind)
            var out = OutputBuffer(fd: 1)
            out.string(BenchJSON.line(m))
            out.byte(0x0A)
            out.flush()
            return
        }
        try compare()
    }

    private func compare() throws {
        var err = OutputBuffer(fd: 2)
        let files = IOBench.files(of: paths, kind: kind)
        guard !files.isEmpty else {
            err.string("logscan: bench: no segment files in \(paths.joined(separator: " "))\n")
            err.flush()
            throw ExitCode(ExitStatus.error)
        }
        guard let executable = Subprocess.selfExecutable() else {
            err.string("logscan: bench: cannot find my own executable (/proc/self/exe)\n")
            err.flush()
            throw ExitCode(ExitStatus.error)
        }
        let filePaths = files.map(\.path)
        let chosen = selectedNames.compactMap { BenchPath(rawValue: $0) }
        var unavailable: [BenchPath: String] = [:]
        for path in chosen { unavailable[path] = path.unavailableReason(files: filePaths) }
        var preparation: [String]
        if cold {
            let actions = IOBench.evict(filePaths)
            preparation = ["cold: before each run, " + actions.joined(separator: "; "),
                           "page-cache residency after eviction: \(percent(IOBench.residency(filePaths)))"]
        } else {
            let read = IOBench.warm(filePaths)
            preparation = ["warm: one untimed read of every file first (\(Human.bytes(Double(read))))"]
        }
        var results: [BenchPath: [BenchMeasurement]] = [:]
        var failed: [BenchPath: String] = [:]
        // Runs interleave the paths, so a drift in the machine's speed
        // spreads over all of them instead of landing on one.
        for _ in 0..<runs {
            for path in chosen where unavailable[path] == nil && failed[path] == nil {
                if cold { _ = IOBench.evict(filePaths) }
                let (status, output) = Subprocess.run(executable, ["bench", "--run-path", path.rawValue, "--kind", kind.rawValue] + paths)
                let line = String(decoding: output, as: UTF8.self)
                guard status == 0, let m = BenchJSON.measurement(line) else {
                    failed[path] = "failed: exit status \(status)"
                    continue
                }
                results[path, default: []].append(m)
            }
        }
        var rows: [BenchRow] = []
        for path in chosen {
            if let reason = unavailable[path] ?? failed[path] {
                rows.append(BenchRow(path: path, median: nil, note: reason))
            } else if let runs = results[path], !runs.isEmpty {
                let sorted = runs.sorted { $0.seconds < $1.seconds }
                var median = sorted[sorted.count / 2]
                median.peakRSSBytes = runs.map(\.peakRSSBytes).max()!
                let note = median.failures > 0 ? "failed to read" : (median.damaged ? "damage met" : nil)
                rows.append(BenchRow(path: path, median: median, note: note))
            }
        }
        let counts = Set(rows.compactMap { $0.median?.records })
        let agree = counts.count <= 1
        let summary = BenchSummary(inputs: paths, files: files.count, bytes: files.reduce(0) { $0 + $1.size }, kind: kind,
                                   cold: cold, preparation: preparation, runs: runs, rows: rows,
                                   recordsAgree: agree)
        var out = OutputBuffer(fd: 1)
        if json { BenchReport.json(summary, to: &out) } else { BenchReport.table(summary, to: &out) }
        out.flush()
        if !agree {
            err.string("logscan: bench: BUG: the I/O paths counted different numbers of records: "
                       + rows.compactMap { r in r.median.map { "\(r.path.rawValue) \($0.records)" } }.joined(separator: ", ") + "\n")
            err.flush()
            throw ExitCode(ExitStatus.error)
        }
        if !failed.isEmpty { throw ExitCode(ExitStatus.error) }
    }

    private func percent(_ value: Double?) -> String {
        value.map { Human.fixed($0 * 100, 1) + "%" } ?? "unknown"
    }
}

struct BenchRow {
    var path: BenchPath
    var median: BenchMeasurement?
    var note: String?
}

struct BenchSummary {
    var inputs: [String]
    var files: Int
    var bytes: Int64
    var kind: LogKind
    var cold: Bool
    var preparation: [String]
    var runs: Int
    var rows: [BenchRow]
    var recordsAgree: Bool
}

/// The child's one JSON line, written and read back.
enum BenchJSON {
    static func line(_ m: BenchMeasurement) -> String {
        var out = OutputBuffer.inMemory()
        out.string("{\"path\":")
        ByteEncodings.writeJSONString(m.path, to: &out)
        out.string(",\"records\":\(m.records),\"file_bytes\":\(m.fileBytes),\"seconds\":\(Human.fixed(m.seconds, 6))")
        out.string(",\"minor_faults\":\(m.minorFaults),\"major_faults\":\(m.majorFaults),\"peak_rss_bytes\":\(m.peakRSSBytes)")
        out.string(",\"user_seconds\":\(Human.fixed(m.userSeconds, 6)),\"system_seconds\":\(Human.fixed(m.systemSeconds, 6))")
        out.string(",\"resident_before\":" + (m.residentBefore.map { Human.fixed($0, 4) } ?? "null"))
        out.string(",\"io\":")
        ByteEncodings.writeJSONString(m.io, to: &out)
        out.string(",\"failures\":\(m.failures),\"damaged\":\(m.damaged)}")
        return String(decoding: out.takeBytes(), as: UTF8.self)
    }

    static func measurement(_ text: String) -> BenchMeasurement? {
        guard let line = text.split(separator: "\n").last, let o = FlatJSON.parse(String(line)),
              let path = o["path"]?.string, let records = o["records"]?.double, let bytes = o["file_bytes"]?.double,
              let seconds = o["seconds"]?.double else { return nil }
        func n(_ key: String) -> Double { o[key]?.double ?? 0 }
        return BenchMeasurement(
            path: path, records: Int(records), fileBytes: Int64(bytes), seconds: seconds,
            minorFaults: Int64(n("minor_faults")), majorFaults: Int64(n("major_faults")),
            peakRSSBytes: Int64(n("peak_rss_bytes")), userSeconds: n("user_seconds"), systemSeconds: n("system_seconds"),
            residentBefore: o["resident_before"]?.double, io: o["io"]?.string ?? "-",
            failures: Int(n("failures")), damaged: o["damaged"] == .bool(true))
    }
}

/// `bench`'s output: a table for people, or one JSON document.
enum BenchReport {
    static func table(_ s: BenchSummary, to out: inout OutputBuffer) {
        out.string("input: \(s.inputs.joined(separator: " ")) (\(s.files) file\(s.files == 1 ? "" : "s"), \(Human.bytes(Double(s.bytes))))\n")
        for line in s.preparation { out.string(line + "\n") }
        out.string("\(s.runs) run\(s.runs == 1 ? "" : "s") per path, each in a fresh process; median time shown\n\n")
        let header = ["path", "records", "ms", "MB/s", "minor flt", "major flt", "peak RSS", "cached", "io"]
        var cells: [[String]] = [header]
        for row in s.rows {
            guard let m = row.median else {
                cells.append([row.path.rawValue, row.note ?? "-"])
                continue
            }
            cells.append([row.path.rawValue, String(m.records), Human.fixed(m.seconds * 1000, 1), Human.fixed(m.megabytesPerSecond, 0),
                          String(m.minorFaults), String(m.majorFaults), Human.bytes(Double(m.peakRSSBytes)),
                          m.residentBefore.map { Human.fixed($0 * 100, 0) + "%" } ?? "-",
                          m.io + (row.note.map { " [\($0)]" } ?? "")])
        }
        var widths = [Int](repeating: 0, count: header.count)
        for row in cells where row.count == header.count {
            for (i, c) in row.enumerated() { widths[i] = max(widths[i], c.count) }
        }
        for row in cells {
            var line = ""
            for (i, c) in row.enumerated() {
                if row.count != header.count && i == 1 { line += "  " + c; break }
                let pad = String(repeating: " ", count: max(0, widths[i] - c.count))
                if i == 0 { line += c + pad } else if i == row.count - 1 { line += "  " + c } else { line += "  " + pad + c }
            }
            out.string(line + "\n")
        }
        out.string("\n")
        if s.recordsAgree {
            out.string("records: every path counted the same\n")
        } else {
            out.string("records: BUG: the paths counted different numbers of records\n")
        }
    }

    static func json(_ s: BenchSummary, to out: inout OutputBuffer) {
        out.string("{\"inputs\":[")
        for (i, p) in s.inputs.enumerated() {
            if i > 0 { out.byte(0x2C) }
            ByteEncodings.writeJSONString(p, to: &out)
        }
        out.string("],\"files\":\(s.files),\"bytes\":\(s.bytes),\"mode\":\"\(s.cold ? "cold" : "warm")\",\"preparation\":[")
        for (i, p) in s.preparation.enumerated() {
            if i > 0 { out.byte(0x2C) }
            ByteEncodings.writeJSONString(p, to: &out)
        }
        out.string("],\"runs\":\(s.runs),\"records_agree\":\(s.recordsAgree),\"paths\":[")
        for (i, row) in s.rows.enumerated() {
            if i > 0 { out.byte(0x2C) }
            out.string("{\"name\":\"\(row.path.rawValue)\",\"available\":\(row.median != nil)")
            if let note = row.note {
                out.string(",\"note\":")
                ByteEncodings.writeJSONString(note, to: &out)
            }
            if let m = row.median {
                out.string(",\"records\":\(m.records),\"seconds\":\(Human.fixed(m.seconds, 6)),\"mb_per_s\":\(Human.fixed(m.megabytesPerSecond, 1))")
                out.string(",\"minor_faults\":\(m.minorFaults),\"major_faults\":\(m.majorFaults),\"peak_rss_bytes\":\(m.peakRSSBytes)")
                out.string(",\"user_seconds\":\(Human.fixed(m.userSeconds, 6)),\"system_seconds\":\(Human.fixed(m.systemSeconds, 6))")
                out.string(",\"resident_before\":" + (m.residentBefore.map { Human.fixed($0, 4) } ?? "null") + ",\"io\":")
                ByteEncodings.writeJSONString(m.io, to: &out)
            }
            out.byte(0x7D)
        }
        out.string("]}\n")
    }
}

import ArgumentParser
import LogScan

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", _superCommandName: "logscan",
        abstract: "Replay a log through every I/O path and compare them.",
        discussion: """
        Counts the records of PATH (as replay --count does) once per I/O path, each in a fresh \
        process of its own, so that page faults and peak RSS belong to that path: auto (what \
        logscan picks), mmap (no advice), mmap-populate (MAP_POPULATE), mmap-sequential \
        (MADV_SEQUENTIAL + next window POSIX_FADV_WILLNEED), mmap-willneed (MADV_WILLNEED on each \
        window + POSIX_FADV_WILLNEED on the next, what --io mmap does), mmap-hugetlb (MAP_HUGETLB; only on hugetlbfs), \
        pread (one 1 MiB buffer, synchronous), pread-readahead (a reading thread, what --io pread \
        does for scans) and o-direct (O_DIRECT pread, where the file system allows it).

        Columns: time (median of --runs, from the child's clock around the scan), throughput \
        (file bytes / time), minor and major page faults of the scan (getrusage), the child's \
        peak RSS (ru_maxrss), the share of the files in the page cache before the scan, and \
        the I/O path as --stats reports it.

        Warm (default): every file is read once, untimed, before the runs. --cold: before each \
        run the files are evicted with posix_fadvise(POSIX_FADV_DONTNEED) (after fdatasync) and, \
        as root, sync + echo 1 > /proc/sys/vm/drop_caches, which empties the whole machine's \
        page cache; --no-drop-caches keeps to the benchmarked files.

        Every path must count the same records; when they do not, bench says so and exits 2.

        --index-lookups N PATH.idx measures page faults per lookup in a native index instead: \
        the plain binary search, the page-aware search and the page-aware search over in-memory \
        page samples, each on an index evicted from the page cache, both as one lookup per \
        fresh open (what replay --from does; repeated --cold-opens times) and as N lookups on \
        one open.
        """)

    @Argument(help: ArgumentHelp("A segment file or log directory.", valueName: "path"))
    var paths: [String]

    @Flag(help: "Evict the files from the page cache before each run.")
    var cold = false

    @Flag(inversion: .prefixedNo,
          help: "With --cold as root, also empty the whole page cache (drop_caches); --no-drop-caches evicts only the files.")
    var dropCaches = true

    @Option(help: ArgumentHelp("Runs per path (the median is shown).", valueName: "n"))
    var runs = 3

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    @Option(help: ArgumentHelp("Only these paths (comma-separated names).", valueName: "names"))
    var only: String?

    @Option(help: "Log format: auto, native, leveldb, rocksdb or kafka.")
    var kind: LogKind = .auto

    @Option(name: .customLong("index-lookups"), help: ArgumentHelp("Measure page faults per lookup in a native .idx file.", valueName: "n"))
    var indexLookups: Int?

    @Option(name: .customLong("cold-opens"), help: ArgumentHelp("With --index-lookups: cold opens with one lookup each.", valueName: "n"))
    var coldOpens = 20

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
        if let indexLookups {
            try lookups(indexLookups)
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
            let actions = IOBench.evict(filePaths, dropCaches: dropCaches)
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
                if cold { _ = IOBench.evict(filePaths, dropCaches: dropCaches) }
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

    private func lookups(_ n: Int) throws {
        var out = OutputBuffer(fd: 1)
        let results: [IndexLookupBench.Result]
        do {
            results = try IndexLookupBench.run(indexPath: paths[0], lookups: n, coldOpens: coldOpens)
        } catch {
            var err = OutputBuffer(fd: 2)
            err.string("logscan: bench: \(error)\n")
            err.flush()
            throw ExitCode(ExitStatus.error)
        }
        let pageBytes = (try? OpenFile(path: paths[0]).sizeAtOpen) ?? 0
        if json {
            out.string("{\"index\":")
            ByteEncodings.writeJSONString(paths[0], to: &out)
            out.string(",\"bytes\":\(pageBytes),\"results\":[")
            for (i, r) in results.enumerated() {
                if i > 0 { out.byte(0x2C) }
                out.string("{\"strategy\":\"\(r.strategy.rawValue)\",\"scenario\":")
                ByteEncodings.writeJSONString(r.scenario, to: &out)
                out.string(",\"lookups\":\(r.lookups),\"minor_faults\":\(r.minorFaults),\"major_faults\":\(r.majorFaults)")
                out.string(",\"pages_read\":\(r.pagesRead),\"seconds\":\(Human.fixed(r.seconds, 6))")
                out.string(",\"setup_minor_faults\":\(r.setupMinorFaults),\"setup_major_faults\":\(r.setupMajorFaults)")
                out.string(",\"setup_seconds\":\(Human.fixed(r.setupSeconds, 6)),\"agrees\":\(r.agrees)}")
            }
            out.string("]}\n")
        } else {
            out.string("index: \(paths[0]) (\(Human.bytes(Double(pageBytes)))); evicted (posix_fadvise DONTNEED) before each open\n")
            out.string("strategy    scenario                             pages/lookup  major/lookup  minor/lookup  us/lookup  setup (samples)\n")
            for r in results {
                let per = { (v: Double) in Human.fixed(v / Double(max(1, r.lookups)), 2) }
                var line = r.strategy.rawValue.padding(12) + r.scenario.padding(37)
                line += per(Double(r.pagesRead)).leftPadding(12) + per(Double(r.majorFaults)).leftPadding(14)
                line += per(Double(r.minorFaults)).leftPadding(14) + Human.fixed(r.seconds * 1e6 / Double(max(1, r.lookups)), 1).leftPadding(11)
                if r.strategy == .sampled {
                    line += "  \(r.setupMajorFaults) major, \(r.setupMinorFaults) minor, \(Human.fixed(r.setupSeconds * 1000, 1)) ms"
                    if r.lookups > 1 && r.scenario.hasPrefix("one") { line += " (summed)" }
                }
                if !r.agrees { line += "  BUG: found other entries than the binary search" }
                out.string(line + "\n")
            }
        }
        out.flush()
        if results.contains(where: { !$0.agrees }) { throw ExitCode(ExitStatus.error) }
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

extension String {
    func padding(_ width: Int) -> String { count >= width ? self + " " : self + String(repeating: " ", count: width - count) }
    func leftPadding(_ width: Int) -> String { count >= width ? " " + self : String(repeating: " ", count: width - count) + self }
}

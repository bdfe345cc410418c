import Foundation
import Testing
@testable import LogScan

/// `--stats` (text and Prometheus), residency before/after, the progress bar.
@Suite struct StatsTests {
    func log(_ dir: TemporaryDirectory, records: Int = 3000) throws -> String {
        let path = dir.file("log")
        try writeLog(path, randomRecords(records, maxValue: 400, seed: 101),
                     options: NativeWriterOptions(segmentBytes: 128 << 10, blockBytes: 4096))
        return path
    }

    /// Drops the file's clean pages from the page cache.
    func evict(_ path: String) {
        let fd = open(path, O_RDONLY)
        defer { close(fd) }
        _ = posix_fadvise(fd, 0, 0, Int32(POSIX_FADV_DONTNEED))
    }

    @Test func textStatsOnStderr() throws {
        let dir = TemporaryDirectory()
        let path = try log(dir)
        let segments = try NativeLogDirectory.segments(in: path)
        for segment in segments { evict(segment.path) }
        let result = try runLogscan(["replay", "--count", "--stats", "--io", "mmap", path])
        #expect(result.status == 0)
        #expect(result.out == "3000\n")
        let lines = result.stderr.split(separator: "\n").map(String.init)
        #expect(lines.contains("logscan: stats: records       3000"))
        for label in ["bytes", "elapsed", "throughput", "page faults", "peak RSS"] {
            #expect(lines.contains { $0.hasPrefix("logscan: stats: \(label) ") }, "\(label)")
        }
        #expect(lines.filter { $0.hasPrefix("logscan: stats: file ") }.count == segments.count)
        #expect(lines.filter { $0.contains("  io ") }.allSatisfy { $0.hasSuffix("window") || $0.contains("mmap") })
        // Evicted before (where the file system lets pages go: not tmpfs),
        // read through a mapping: all cached afterwards.
        let cached = lines.filter { $0.contains("  cached ") }
        #expect(cached.count == segments.count)
        #expect(cached.allSatisfy { $0.hasSuffix("% before, 100.0% after") }, "\(cached)")
    }

    @Test func prometheusStatsFollowTheExpositionFormat() throws {
        let dir = TemporaryDirectory()
        let path = try log(dir)
        let result = try runLogscan(["replay", "--format", "jsonl", "--stats", "--stats-format", "prometheus", "--io", "pread", path])
        #expect(result.status == 0)
        let samples = try parseExposition(result.stderr)
        #expect(samples["logscan_records_total"]?.first?.value == 3000)
        #expect((samples["logscan_page_faults_total"] ?? []).map { $0.labels["kind"] } == ["minor", "major"])
        #expect((samples["logscan_peak_rss_bytes"]?.first?.value ?? 0) > Double(1 << 20))
        let io = samples["logscan_io_path_info"] ?? []
        #expect(io.count == (try NativeLogDirectory.segments(in: path)).count)
        #expect(io.allSatisfy { $0.labels["method"] == "pread" && $0.labels["command"] == "replay" })
        let residency = samples["logscan_page_cache_resident_ratio"] ?? []
        #expect(residency.count == 2 * io.count)
        #expect(residency.allSatisfy { (0...1).contains($0.value) })
    }

    @Test func grepStatsCountRecordsAndMatchesAndLeaveStdoutAlone() throws {
        let dir = TemporaryDirectory()
        let path = try log(dir)
        let segments = try NativeLogDirectory.segments(in: path)
        #expect(segments.count > 1, "several segments, so the default -j searches in parallel")
        // Ground truth from the records written: values holding an "A".
        let expected = randomRecords(3000, maxValue: 400, seed: 101).filter { $0.value?.contains(0x41) ?? false }.count
        for threads in ["1", "2"] {
            let plain = try runLogscan(["grep", "-c", "-F", "A", "-j", threads, path])
            let result = try runLogscan(["grep", "-c", "-F", "A", "-j", threads, "--stats", path])
            #expect(result.status == 0 && plain.status == 0)
            #expect(result.out == plain.out, "--stats writes to stderr only")
            let lines = result.stderr.split(separator: "\n").map(String.init)
            #expect(lines.contains("logscan: stats: records       3000"), "\(lines)")
            #expect(lines.contains("logscan: stats: matches       \(expected)"), "\(lines)")
            #expect(lines.filter { $0.hasPrefix("logscan: stats: file ") }.count == segments.count)
            let io = lines.filter { $0.hasPrefix("logscan: stats:   io ") }
            #expect(io.count == segments.count && io.allSatisfy { $0.contains("(auto: ") }, "\(io)")
        }
        // Nothing matched: exit 1 as without --stats, and the stats say 0.
        let none = try runLogscan(["grep", "-F", "\u{1}\u{2}\u{3}\u{4}\u{5}\u{6}", "--stats", path])
        #expect(none.status == 1 && none.out.isEmpty)
        #expect(none.stderr.contains("logscan: stats: matches       0\n"))
    }

    @Test func verifyStatsInPrometheusFormat() throws {
        let dir = TemporaryDirectory()
        let path = try log(dir)
        let result = try runLogscan(["verify", "--stats", "--stats-format", "prometheus", "--io", "mmap", path])
        #expect(result.status == 0)
        #expect(result.out.contains(" 3000 records, ") && result.out.hasSuffix(": clean\n"), "stdout as without --stats")
        let samples = try parseExposition(result.stderr)
        #expect(samples["logscan_records_total"]?.first?.value == 3000)
        #expect(samples["logscan_records_total"]?.first?.labels["command"] == "verify")
        #expect(samples["logscan_matches_total"] == nil, "verify selects nothing")
        let io = samples["logscan_io_path_info"] ?? []
        #expect(io.count == (try NativeLogDirectory.segments(in: path)).count)
        #expect(io.allSatisfy { $0.labels["method"] == "mmap" })
    }

    /// A parser for the Prometheus text format (0.0.4) strict enough to
    /// reject what a scraper rejects: every sample's metric declared by
    /// TYPE first, names and label names of the allowed characters, label
    /// values quoted with only \\, \" and \n escapes, values that parse.
    func parseExposition(_ text: String) throws -> [String: [(labels: [String: String], value: Double)]] {
        struct Bad: Error { var line: String }
        var types: [String: String] = [:]
        var samples: [String: [(labels: [String: String], value: Double)]] = [:]
        let nameStart = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_:")
        let nameRest = nameStart.union("0123456789")
        func isName(_ s: Substring) -> Bool { !s.isEmpty && nameStart.contains(s.first!) && s.allSatisfy { nameRest.contains($0) } }
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.isEmpty { continue }
            if line.hasPrefix("# ") {
                let parts = line.split(separator: " ", maxSplits: 3)
                guard parts.count >= 3, isName(parts[2]) else { throw Bad(line: String(line)) }
                if parts[1] == "TYPE" {
                    guard parts.count == 4, ["counter", "gauge", "histogram", "summary", "untyped"].contains(parts[3]) else { throw Bad(line: String(line)) }
                    types[String(parts[2])] = String(parts[3])
                }
                continue
            }
            var rest = line[...]
            let name = rest.prefix { nameRest.contains($0) }
            guard isName(name), types[String(name)] != nil else { throw Bad(line: String(line)) }
            rest = rest.dropFirst(name.count)
            var labels: [String: String] = [:]
            if rest.first == "{" {
                rest = rest.dropFirst()
                while rest.first != "}" {
                    let label = rest.prefix { nameRest.contains($0) }
                    guard isName(label) else { throw Bad(line: String(line)) }
                    rest = rest.dropFirst(label.count)
                    guard rest.hasPrefix("=\"") else { throw Bad(line: String(line)) }
                    rest = rest.dropFirst(2)
                    var value = ""
                    while let c = rest.first, c != "\"" {
                        rest = rest.dropFirst()
                        if c == "\\" {
                            guard let e = rest.first, "\\\"n".contains(e) else { throw Bad(line: String(line)) }
                            value.append(e == "n" ? "\n" : e)
                            rest = rest.dropFirst()
                        } else {
                            value.append(c)
                        }
                    }
                    guard rest.first == "\"" else { throw Bad(line: String(line)) }
                    rest = rest.dropFirst()
                    labels[String(label)] = value
                    if rest.first == "," { rest = rest.dropFirst() }
                }
                rest = rest.dropFirst()
            }
            guard rest.first == " ", let value = Double(rest.dropFirst()) else { throw Bad(line: String(line)) }
            samples[String(name), default: []].append((labels, value))
        }
        return samples
    }

    /// Runs the CLI with stderr on a terminal (util-linux `script` makes one).
    func runOnATerminal(_ arguments: [String]) throws -> String? {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/script") else { return nil }
        let command = ([logscanBinary] + arguments).map { "'\($0)'" }.joined(separator: " ")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/script")
        process.arguments = ["-qec", command + " >/dev/null", "/dev/null"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: output, as: UTF8.self)
    }

    @Test func progressBarOnlyOnATerminalAndNotWhenQuiet() throws {
        let dir = TemporaryDirectory()
        let path = try log(dir)
        // Not a terminal: nothing but the records.
        let plain = try runLogscan(["replay", path])
        #expect(!plain.stderr.contains("ETA"))
        guard let tty = try runOnATerminal(["replay", path]) else { return }
        #expect(tty.contains("% ") && tty.contains("ETA") && tty.contains(" / "), "\(tty.debugDescription)")
        #expect(tty.contains("\r\u{1B}[K"), "the bar is erased at the end")
        let quiet = try runOnATerminal(["replay", "--quiet", path]) ?? ""
        #expect(!quiet.contains("ETA"))
    }

    @Test func measurementOfAScanInTheLibrary() throws {
        let dir = TemporaryDirectory()
        let path = try log(dir)
        let measurement = ScanMeasurement(paths: [path], kind: .auto)
        #expect(measurement.totalBytes == (try NativeLogDirectory.segments(in: path)).reduce(0) { $0 + Int64(readFile($1.path).count) })
        let (_, summary) = replay(path)
        let stats = measurement.finish(records: summary.records, bytes: summary.bytes, io: summary.io)
        #expect(stats.records == 3000 && stats.bytes == summary.bytes)
        #expect(stats.files.count == summary.io.count && stats.files.allSatisfy { $0.io != nil })
        #expect(stats.elapsedSeconds > 0 && stats.peakRSSBytes > 0 && stats.minorFaults >= 0)
    }
}

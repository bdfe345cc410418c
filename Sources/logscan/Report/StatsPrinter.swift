import LogScan

/// Prints `ScanStatistics` (`--stats`) to stderr: aligned text for people,
/// or the Prometheus text exposition format (version 0.0.4) for a node
/// exporter's textfile collector or a push gateway.
///
/// The Prometheus form is written by hand rather than through swift-metrics
/// and swift-prometheus (docs/SERVICE.md): it is a one-shot snapshot printed
/// at exit, a dozen lines whose format is fixed and simple, and the two
/// packages would add a registry, locks and two dependencies to every build
/// of the CLI for nothing a process that exits right after could use.
enum StatsPrinter {
    static func write(_ stats: ScanStatistics, command: String, format: StatsOptionGroup.StatsFormat, to out: inout OutputBuffer) {
        switch format {
        case .text: text(stats, command: command, to: &out)
        case .prometheus: prometheus(stats, command: command, to: &out)
        }
        out.flush()
    }

    static func text(_ s: ScanStatistics, command: String, to out: inout OutputBuffer) {
        func line(_ label: String, _ value: String) {
            out.string("logscan: stats: " + label + String(repeating: " ", count: max(1, 14 - label.count)) + value + "\n")
        }
        line("records", "\(s.records)")
        if let matches = s.matches { line("matches", "\(matches)") }
        line("bytes", "\(s.bytes) (\(Human.bytes(Double(s.bytes))))")
        line("elapsed", Human.fixed(s.elapsedSeconds, 3) + " s (user " + Human.fixed(s.userSeconds, 3) + " s, system " + Human.fixed(s.systemSeconds, 3) + " s)")
        line("throughput", Human.bytes(s.bytesPerSecond) + "/s, " + Human.fixed(s.recordsPerSecond, 0) + " records/s")
        line("page faults", "\(s.minorFaults) minor, \(s.majorFaults) major")
        line("peak RSS", Human.bytes(Double(s.peakRSSBytes)))
        for file in s.files {
            let before = file.residentBefore.map { Human.fixed($0 * 100, 1) + "%" } ?? "-"
            let after = file.residentAfter.map { Human.fixed($0 * 100, 1) + "%" } ?? "-"
            line("file", file.path)
            line("  size", Human.bytes(Double(file.sizeBytes)))
            line("  cached", "\(before) before, \(after) after")
            line("  io", file.io?.summary ?? "not read")
        }
    }

    static func prometheus(_ s: ScanStatistics, command: String, to out: inout OutputBuffer) {
        let base = "command=\"" + escape(command) + "\""
        func metric(_ name: String, _ type: String, _ help: String, _ samples: [(labels: String, value: String)]) {
            out.string("# HELP logscan_\(name) \(help)\n# TYPE logscan_\(name) \(type)\n")
            for sample in samples {
                out.string("logscan_\(name){\(base)\(sample.labels.isEmpty ? "" : "," + sample.labels)} \(sample.value)\n")
            }
        }
        metric("records_total", "counter", "Records the scan read (grep: searched).", [("", "\(s.records)")])
        if let matches = s.matches {
            metric("matches_total", "counter", "Records the search selected.", [("", "\(matches)")])
        }
        metric("bytes_total", "counter", "Bytes of log decoded.", [("", "\(s.bytes)")])
        metric("elapsed_seconds", "gauge", "Wall-clock time of the scan.", [("", number(s.elapsedSeconds))])
        metric("cpu_seconds", "gauge", "CPU time of the scan by mode.",
               [("mode=\"user\"", number(s.userSeconds)), ("mode=\"system\"", number(s.systemSeconds))])
        metric("throughput_bytes_per_second", "gauge", "Bytes decoded per second of wall-clock time.", [("", number(s.bytesPerSecond))])
        metric("page_faults_total", "counter", "Page faults taken during the scan (getrusage).",
               [("kind=\"minor\"", "\(s.minorFaults)"), ("kind=\"major\"", "\(s.majorFaults)")])
        metric("peak_rss_bytes", "gauge", "Peak resident set size of the process.", [("", "\(s.peakRSSBytes)")])
        metric("file_size_bytes", "gauge", "Size of each input file.",
               s.files.map { ("path=\"\(escape($0.path))\"", "\($0.sizeBytes)") })
        var residency: [(String, String)] = []
        for file in s.files {
            if let before = file.residentBefore { residency.append(("path=\"\(escape(file.path))\",when=\"before\"", number(before))) }
            if let after = file.residentAfter { residency.append(("path=\"\(escape(file.path))\",when=\"after\"", number(after))) }
        }
        metric("page_cache_resident_ratio", "gauge", "Fraction of each input's pages in the page cache (mincore).", residency)
        metric("io_path_info", "gauge", "The I/O path each input was read with (value always 1).",
               s.files.compactMap { file in
                   file.io.map { ("path=\"\(escape(file.path))\",io=\"\(escape($0.summary))\",method=\"\($0.path.rawValue)\"", "1") }
               })
    }

    /// Label values escape backslash, double quote and line feed.
    static func escape(_ text: String) -> String {
        var out = ""
        for c in text.unicodeScalars {
            switch c {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    /// A float as Prometheus reads it (Go's ParseFloat): plain decimal.
    static func number(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        return Human.fixed(value, 6)
    }
}

/// Numbers for people, without Foundation's formatters.
enum Human {
    static func fixed(_ value: Double, _ decimals: Int) -> String {
        guard value.isFinite else { return "\(value)" }
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let negative = value < 0
        let scaled = (abs(value) * scale).rounded()
        guard scaled < 9e18 else { return "\(value)" }
        let whole = UInt64(scaled)
        let integer = whole / UInt64(scale)
        var text = (negative && whole != 0 ? "-" : "") + String(integer)
        if decimals > 0 {
            let fraction = String(whole % UInt64(scale))
            text += "." + String(repeating: "0", count: decimals - fraction.count) + fraction
        }
        return text
    }

    static func bytes(_ value: Double) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var v = value
        var unit = 0
        while v >= 1024 && unit < units.count - 1 {
            v /= 1024
            unit += 1
        }
        return unit == 0 ? "\(Int(v)) B" : fixed(v, 1) + " " + units[unit]
    }

    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "?" }
        let s = Int(seconds.rounded())
        if s < 60 { return "\(s)s" }
        if s < 3600 { return "\(s / 60)m\(s % 60 < 10 ? "0" : "")\(s % 60)s" }
        return "\(s / 3600)h\((s % 3600) / 60 < 10 ? "0" : "")\((s % 3600) / 60)m"
    }
}

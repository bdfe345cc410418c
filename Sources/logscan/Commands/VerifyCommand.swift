import ArgumentParser
import LogScan

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify", _superCommandName: "logscan",
        abstract: "Check every byte of logs and their indexes.",
        discussion: """
        Reads every segment and index under each PATH (a segment file or a log directory) and \
        checks what the format lets it check: checksums, framing, sequence continuity (native \
        sequence numbers, Kafka offsets, WAL sequence numbers), and index consistency (every \
        entry points at a block or batch boundary with the right offset and timestamp). All \
        the damage is found, not only the first: the log is read as --recovery \
        skip-corrupted would, resynchronizing after each damaged stretch. A directory that \
        holds no segments of its own is checked as a tree: every log below it (a Kafka \
        log.dirs root's partitions, a folder of databases), in name order, skipping names \
        that start with "." and symbolic links.

        Prints one line per segment (ok, or what is wrong, with byte ranges) and a summary; \
        --json prints one object per segment and a final summary object instead.

        A torn tail (the incomplete last record a crashed writer leaves) is noted but is not \
        damage. An index that is only incomplete is noted too (readers scan past it).

        Exit status: 0 clean, 2 usage or I/O error, 3 damage found.
        """)

    @Argument(help: ArgumentHelp("Segment files, log directories, or directories of logs.", valueName: "path"))
    var paths: [String]

    @Option(help: "Log format: auto, native, leveldb, rocksdb or kafka.")
    var kind: LogKind = .auto

    @Flag(help: "Print JSON objects (one per segment, then a summary).")
    var json = false

    @OptionGroup(title: "I/O")
    var io: IOOptionGroup

    @OptionGroup(title: "Reporting")
    var report: StatsOptionGroup

    func run() throws {
        let verifier = LogVerifier(kind: kind, io: io.options)
        let measurement = report.stats ? ScanMeasurement(inputs: LogTree.resolve(paths, kind: kind).logs) : nil
        let summary = verifier.verify(paths)
        var out = OutputBuffer(fd: 1)
        var diagnostics = Diagnostics()
        for failure in summary.failures { diagnostics.failure(failure) }
        for segment in summary.segments {
            if json { writeJSON(segment, to: &out) } else { writeText(segment, to: &out) }
        }
        if json {
            out.ascii("{\"type\":\"summary\",\"segments\":")
            out.decimal(Int64(summary.segments.count))
            out.ascii(",\"damaged_segments\":")
            out.decimal(Int64(summary.damagedSegments))
            out.ascii(",\"records\":")
            out.decimal(Int64(summary.records))
            out.ascii(",\"bytes\":")
            out.decimal(summary.bytes)
            out.ascii(",\"errors\":")
            out.decimal(Int64(summary.failures.count + summary.segments.reduce(0) { $0 + $1.failures.count }))
            out.ascii("}\n")
        } else {
            out.string("\(summary.segments.count) segment\(summary.segments.count == 1 ? "" : "s"), ")
            out.string("\(summary.records) records, \(summary.bytes) bytes checked: ")
            out.string(summary.damagedSegments == 0 && !summary.hasFailures ? "clean\n"
                       : "\(summary.damagedSegments) damaged\(summary.hasFailures ? ", errors" : "")\n")
        }
        out.flush()
        if let measurement {
            var err = OutputBuffer(fd: 2)
            StatsPrinter.write(measurement.finish(records: summary.records, bytes: summary.bytes, io: summary.io),
                               command: "verify", format: report.statsFormat, to: &err)
        }
        if summary.hasFailures { throw ExitCode(ExitStatus.error) }
        throw ExitCode(summary.damagedSegments > 0 ? ExitStatus.damaged : ExitStatus.ok)
    }

    private func writeText(_ segment: SegmentVerification, to out: inout OutputBuffer) {
        out.string(segment.path)
        out.string(segment.isDamaged ? ": DAMAGED" : (segment.failures.isEmpty ? ": ok" : ": ERROR"))
        out.string(", \(segment.records) records")
        if let first = segment.firstOffset, let last = segment.lastOffset { out.string(" (\(first)..\(last))") }
        if segment.index != .notApplicable { out.string(", index \(segment.index)") }
        out.byte(0x0A)
        for report in segment.damage {
            out.string("  ")
            out.string(report.description)
            out.byte(0x0A)
        }
        for failure in segment.failures {
            out.string("  error: ")
            out.string(failure.description)
            out.byte(0x0A)
        }
    }

    private func writeJSON(_ segment: SegmentVerification, to out: inout OutputBuffer) {
        out.ascii("{\"type\":\"segment\",\"path\":")
        ByteEncodings.writeJSONString(segment.path, to: &out)
        out.ascii(",\"kind\":")
        ByteEncodings.writeJSONString(segment.kind.rawValue, to: &out)
        out.ascii(",\"status\":")
        ByteEncodings.writeJSONString(segment.isDamaged ? "damaged" : (segment.failures.isEmpty ? "ok" : "error"), to: &out)
        out.ascii(",\"records\":")
        out.decimal(Int64(segment.records))
        out.ascii(",\"first_offset\":")
        if let first = segment.firstOffset { out.decimal(first) } else { out.ascii("null") }
        out.ascii(",\"last_offset\":")
        if let last = segment.lastOffset { out.decimal(last) } else { out.ascii("null") }
        out.ascii(",\"index\":")
        ByteEncodings.writeJSONString(segment.index.description, to: &out)
        out.ascii(",\"damage\":[")
        for (i, report) in segment.damage.enumerated() {
            if i > 0 { out.byte(UInt8(ascii: ",")) }
            out.ascii("{\"start\":")
            out.decimal(report.start)
            out.ascii(",\"end\":")
            out.decimal(report.end)
            out.ascii(",\"bytes_dropped\":")
            out.decimal(report.bytesDropped)
            out.ascii(",\"reason\":")
            ByteEncodings.writeJSONString(report.reason.rawValue, to: &out)
            out.ascii(",\"detail\":")
            ByteEncodings.writeJSONString(report.detail, to: &out)
            out.ascii(",\"torn_tail\":")
            out.ascii(report.action == .tolerated ? "true" : "false")
            out.byte(UInt8(ascii: "}"))
        }
        out.ascii("],\"errors\":[")
        for (i, failure) in segment.failures.enumerated() {
            if i > 0 { out.byte(UInt8(ascii: ",")) }
            ByteEncodings.writeJSONString(failure.description, to: &out)
        }
        out.ascii("]}\n")
    }
}

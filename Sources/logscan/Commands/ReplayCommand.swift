import ArgumentParser
import LogScan

struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay", _superCommandName: "logscan",
        abstract: "Print the records of logs, in order.",
        discussion: """
        PATH is a segment file, a log directory (its segments are replayed in order) or - for \
        standard input. Records are printed in log order; with several paths, one after another.

        Formats:
          text   one line per record: OFFSET TIME key="..." value="..." (bytes that are not \
        printable are escaped; a missing key or value prints as null)
          jsonl  one object per line: {"path", "position", "offset", "timestamp", "key", "value", \
        "resume"}, bytes as {"text": "..."} when valid UTF-8, else {"bytes": "<base64>"}; Kafka \
        records add "batch_position", "headers" [{"key", "value"}], "timestamp_type", \
        "transactional", "control" (and "control_type" for control records)

        --count walks every record exactly as a replay does (blocks decompressed, checksums \
        verified) and prints only how many there were.

        LevelDB/RocksDB WALs print one record per WriteBatch: jsonl has "sequence", "count" \
        and "ops" [{"op", "cf", "key", "value", "end_key", ...}] instead of "timestamp", "key" \
        and "value" (docs/WAL.md). --format ldb [--header] prints what RocksDB 7.8.3's \
        `ldb dump_wal --walfile=FILE --print_value [--header]` prints for each WAL file, byte \
        for byte (its corruption reports on stderr); its exit status is logscan's (3 when ldb \
        reported corruption or failed on a batch).

        Each jsonl record ends with "resume": a token that --after takes to start just after \
        that record, in another run or after a restart. --follow keeps reading as the log is \
        written (like tail -f), across segment rolls.

        Exit status: 0 all valid (a torn tail is noted on stderr but is not damage), \
        2 usage or I/O error, 3 damaged data met.
        """)

    @Argument(help: ArgumentHelp("Segment files, log directories, or - for stdin.", valueName: "path"))
    var paths: [String]

    @Option(help: "Output format: text, jsonl, or (WALs) ldb.")
    var format: RecordFormat = .text

    @Flag(help: "--format ldb: print ldb's header line first, as `ldb dump_wal --header` does.")
    var header = false

    @Flag(help: "Print only the number of records.")
    var count = false

    @OptionGroup(title: "Selection")
    var selection: SelectionOptionGroup

    @OptionGroup(title: "I/O")
    var io: IOOptionGroup

    // Issue 6: follow, resume, stats, progress (FollowOptionGroup, ReportOptionGroup).
    @OptionGroup(title: "Follow and resume")
    var live: FollowOptionGroup

    @OptionGroup(title: "Reporting")
    var report: ReportOptionGroup

    func validate() throws {
        if paths.filter({ $0 == "-" }).count > 1 { throw ValidationError("standard input (-) can be given once") }
        try live.validate(paths: paths, selection: selection)
        if live.follow && count { throw ValidationError("--count cannot be combined with --follow") }
        if header && format != .ldb { throw ValidationError("--header goes with --format ldb") }
        if format == .ldb && (count || live.follow || live.after != nil || selection.fromOffset != nil
                              || selection.fromTime != nil || selection.limit != nil) {
            throw ValidationError("--format ldb prints whole WAL files, as ldb does: no --count, --follow, --after, --from, --from-time or --limit")
        }
    }

    func run() throws {
        if format == .ldb { throw ExitCode(LDBDumpCommand.run(paths: paths, kind: selection.kind, io: io.options, header: header)) }
        var options = selection.replayOptions(io: io.options)
        live.apply(to: &options)
        let replayer = LogReplayer(options: options)
        let showProgress = report.wantsProgress && !live.follow
        let measurement = report.stats || showProgress
            ? ScanMeasurement(paths: paths, kind: options.kind, measureResidency: report.stats) : nil
        let progress = showProgress ? measurement.map { ProgressMeter(files: $0.files) } : nil
        let summary: ReplaySummary
        if count, progress == nil {
            // A box, so the reporting closure can reach stderr without
            // capturing the noncopyable Diagnostics.
            let reporter = ReportBox()
            summary = replayer.count(paths) { damage, failure, warning in
                if let damage { reporter.diagnostics.damage(damage) }
                if let failure { reporter.diagnostics.failure(failure) }
                if let warning { reporter.diagnostics.warning(warning) }
            }
            var out = OutputBuffer(fd: 1)
            out.decimal(Int64(summary.records))
            out.byte(0x0A)
            out.flush()
        } else {
            var diagnostics = Diagnostics()
            diagnostics.quiet = report.quiet
            var sink = PrintingSink(printer: RecordPrinter(format: format), diagnostics: diagnostics,
                                    progress: progress, countOnly: count)
            summary = replayer.run(paths, into: &sink)
            progress?.clear()
            if count {
                sink.printer.out.decimal(Int64(summary.records))
                sink.printer.out.byte(0x0A)
            }
            sink.printer.out.flush()
        }
        if report.stats, let measurement {
            var err = OutputBuffer(fd: 2)
            StatsPrinter.write(measurement.finish(records: summary.records, bytes: summary.bytes, io: summary.io),
                               command: "replay", format: report.statsFormat, to: &err)
        }
        throw ExitCode(ExitStatus.of(summary))
    }
}

final class ReportBox {
    var diagnostics = Diagnostics()
}

/// The replay sink of `replay`: records to the printer, reports to stderr.
struct PrintingSink: ReplaySink, ~Copyable {
    var printer: RecordPrinter
    var diagnostics: Diagnostics
    /// The progress bar, when one is drawn; `countOnly` prints nothing per record.
    var progress: ProgressMeter? = nil
    var countOnly = false

    mutating func beginSegment(path: String, kind: LogKind) {
        printer.beginSegment(path: path)
        progress?.beginSegment(path: path)
    }

    mutating func record(_ record: LogRecord) -> Bool {
        progress?.advance(to: record.position)
        if countOnly { return true }
        printer.print(record)
        return !printer.out.failed
    }

    mutating func damage(_ report: DamageReport) { progress?.clear(); diagnostics.damage(report) }
    mutating func warning(_ message: String) { progress?.clear(); diagnostics.warning(message) }
    mutating func failure(_ error: LogScanError) { progress?.clear(); diagnostics.failure(error) }
    /// --follow: everything so far is printed; a reader downstream sees it now.
    mutating func caughtUp() { printer.out.flush() }
}

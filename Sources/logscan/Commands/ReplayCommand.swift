import ArgumentParser
import LogScan

struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Print the records of logs, in order.",
        discussion: """
        PATH is a segment file, a log directory (its segments are replayed in order) or - for \
        standard input. Records are printed in log order; with several paths, one after another.

        Formats:
          text   one line per record: OFFSET TIME key="..." value="..." (bytes that are not \
        printable are escaped; a missing key or value prints as null)
          jsonl  one object per line: {"path", "position", "offset", "timestamp", "key", "value"}, \
        bytes as {"text": "..."} when valid UTF-8, else {"bytes": "<base64>"}; Kafka records add \
        "batch_position", "headers" [{"key", "value"}], "timestamp_type", "transactional", "control" \
        (and "control_type" for control records)

        --count walks every record exactly as a replay does (blocks decompressed, checksums \
        verified) and prints only how many there were.

        Exit status: 0 all valid (a torn tail is noted on stderr but is not damage), \
        2 usage or I/O error, 3 damaged data met.
        """)

    @Argument(help: ArgumentHelp("Segment files, log directories, or - for stdin.", valueName: "path"))
    var paths: [String]

    @Option(help: "Output format: text or jsonl.")
    var format: RecordFormat = .text

    @Flag(help: "Print only the number of records.")
    var count = false

    @OptionGroup(title: "Selection")
    var selection: SelectionOptionGroup

    @OptionGroup(title: "I/O")
    var io: IOOptionGroup

    func validate() throws {
        if paths.filter({ $0 == "-" }).count > 1 { throw ValidationError("standard input (-) can be given once") }
    }

    func run() throws {
        let replayer = LogReplayer(options: selection.replayOptions(io: io.options))
        let summary: ReplaySummary
        if count {
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
            var sink = PrintingSink(printer: RecordPrinter(format: format), diagnostics: Diagnostics())
            summary = replayer.run(paths, into: &sink)
            sink.printer.out.flush()
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

    mutating func beginSegment(path: String, kind: LogKind) { printer.beginSegment(path: path) }

    mutating func record(_ record: LogRecord) -> Bool {
        printer.print(record)
        return !printer.out.failed
    }

    mutating func damage(_ report: DamageReport) { diagnostics.damage(report) }
    mutating func warning(_ message: String) { diagnostics.warning(message) }
    mutating func failure(_ error: LogScanError) { diagnostics.failure(error) }
}

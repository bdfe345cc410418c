import ArgumentParser
import LogScan

struct WriteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "write", _superCommandName: "logscan",
        abstract: "Append records read from standard input to a native log.",
        discussion: """
        DIR is created when needed; appending to an existing log continues its sequence \
        numbers (a torn tail left by a crashed writer is cut off first, and reported).

        Input:
          lines  each line is one value (only \\n ends a line; an empty line is an empty \
        value); the key is missing and the timestamp is the time of writing.
          jsonl  each line is an object in the schema `replay --format jsonl` prints: \
        "key" and "value" as null, {"text": "..."} or {"bytes": "<base64>"}, "timestamp" \
        in ms or null (the time of writing when absent). Other fields are ignored, so \
        `logscan replay --format jsonl A | logscan write B --input jsonl` copies a log.

        Records gather into blocks of --block-bytes (compressed with --lz4 when that pays); \
        a record larger than a block or segment still gets one of its own. On success every \
        record is synced to disk before the command exits.
        """)

    enum InputFormat: String, ExpressibleByArgument, CaseIterable { case lines, jsonl }

    @Argument(help: ArgumentHelp("The log directory.", valueName: "dir"))
    var directory: String

    @Flag(help: "Compress blocks with LZ4.")
    var lz4 = false

    @Option(name: .customLong("segment-bytes"), help: ArgumentHelp("Roll to a new segment at this size (e.g. 256M).", valueName: "n"))
    var segmentBytes = ByteCount(NativeWriterOptions.defaultSegmentBytes)

    @Option(name: .customLong("block-bytes"), help: ArgumentHelp("Close a block at this many bytes of records (e.g. 64K).", valueName: "n"))
    var blockBytes = ByteCount(NativeWriterOptions.defaultBlockBytes)

    @Option(help: "Input format: lines or jsonl.")
    var input: InputFormat = .lines

    func run() throws {
        var diagnostics = Diagnostics()
        let options = NativeWriterOptions(compression: lz4 ? .lz4 : .none, segmentBytes: segmentBytes.bytes,
                                          blockBytes: blockBytes.bytes)
        let writer: NativeLogWriter
        do {
            writer = try NativeLogWriter(directory: directory, options: options)
        } catch {
            diagnostics.failure(error)
            throw ExitCode(ExitStatus.error)
        }
        if let note = writer.recoveryNote { diagnostics.warning(note) }
        var lines = InputLines()
        do {
            switch input {
            case .lines:
                while let line = try lines.next() {
                    try writer.append(key: nil, value: line, timestamp: currentTimeMillis())
                }
            case .jsonl:
                while let line = try lines.next() {
                    if line.isEmpty { continue }
                    let record: JSONRecordParser.Record
                    do {
                        record = try JSONRecordParser.parse(line)
                    } catch {
                        diagnostics.line("<stdin>: line \(lines.lineNumber): \(error)")
                        try writer.close()
                        throw ExitCode(ExitStatus.error)
                    }
                    try writer.append(key: record.key, value: record.value, timestamp: record.timestamp ?? currentTimeMillis())
                }
            }
            try writer.close()
        } catch let error as LogScanError {
            diagnostics.failure(error)
            throw ExitCode(ExitStatus.error)
        }
    }
}

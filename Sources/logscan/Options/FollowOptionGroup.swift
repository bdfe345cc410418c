import ArgumentParser
import LogScan

/// Following a log as it is written, and resuming after a record: shared by
/// `replay` and `grep`.
struct FollowOptionGroup: ParsableArguments {
    @Flag(help: ArgumentHelp("At the end of the log, keep reading as the writer appends (one PATH).", discussion: """
        New segments a roll creates are followed too. An incomplete record at the end is waited \
        for, not reported, until --follow-timeout passes without it completing. Records appear \
        within 100 ms of being written (inotify; polling every 50 ms where inotify is missing). \
        Runs until interrupted or --limit is reached.
        """))
    var follow = false

    @Option(name: .customLong("follow-timeout"), help: ArgumentHelp(
        "How long --follow waits for an incomplete record at the end before calling it damage (e.g. 5s, 500ms).",
        valueName: "duration"))
    var followTimeout: Milliseconds = Milliseconds(FollowOptions.defaultPartialTailTimeoutMillis)

    @Flag(name: .customLong("follow-poll"), help: "Make --follow poll the log every 50 ms instead of using inotify.")
    var followPoll = false

    @Option(help: ArgumentHelp("Start just after the record this token names (the \"resume\" field of --format jsonl).", discussion: """
        Tokens survive segment rolls and restarts. A token from another log, or one whose record \
        is no longer where it was (the log was rewritten or its segment deleted), is refused with \
        exit status 2.
        """, valueName: "token"))
    var after: String?

    var token: ResumeToken? { after.flatMap(ResumeToken.init) }

    func validate(paths: [String], selection: SelectionOptionGroup) throws {
        if follow {
            if paths.count != 1 { throw ValidationError("--follow follows one log: give exactly one PATH") }
            if paths[0] == "-" { throw ValidationError("--follow needs a file or directory, not standard input") }
        }
        if let after {
            guard ResumeToken(after) != nil else { throw ValidationError("--after: '\(after)' is not a resume token") }
            if paths.count != 1 { throw ValidationError("--after resumes one log: give exactly one PATH") }
            if selection.fromOffset != nil || selection.fromTime != nil {
                throw ValidationError("--after cannot be combined with --from or --from-time")
            }
        }
    }

    func apply(to options: inout ReplayOptions) {
        options.after = token
        if follow {
            options.follow = FollowOptions(partialTailTimeoutMillis: followTimeout.value, useInotify: !followPoll)
        }
    }
}

/// A duration on the command line: `250ms`, `5s`, `2m`; a bare number is seconds.
struct Milliseconds: ExpressibleByArgument, CustomStringConvertible {
    var value: Int

    init(_ value: Int) { self.value = value }

    init?(argument: String) {
        let units: [(String, Int)] = [("ms", 1), ("s", 1000), ("m", 60_000)]
        var text = Substring(argument)
        var scale = 1000
        for (suffix, factor) in units where text.hasSuffix(suffix) {
            text = text.dropLast(suffix.count)
            scale = factor
            break
        }
        guard let number = Double(text), number >= 0, number * Double(scale) < Double(Int32.max) else { return nil }
        value = Int(number * Double(scale))
    }

    var description: String { value % 1000 == 0 ? "\(value / 1000)s" : "\(value)ms" }
}

import ArgumentParser
import LogScan
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

struct GrepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "grep", _superCommandName: "logscan",
        abstract: "Print the records of logs that match a pattern.",
        usage: """
        logscan grep [<options>] PATTERN PATH...
        logscan grep [<options>] -e PATTERN [-e PATTERN...] PATH...
        """,
        discussion: """
        Matching is per record: by default the value is searched (--field chooses key, value \
        or any). A LevelDB/RocksDB WAL record is one WriteBatch: key and value search every \
        op's keys and values, any both, and a match prints the whole batch. PATTERN is a regular expression (PCRE2, with its JIT; UTF-8 aware, any bytes \
        allowed in records) unless -F makes it a fixed string; several -e patterns match when \
        any does. A missing (null) key or value matches no pattern, so -v selects it. \
        Compressed blocks and batches are decompressed on the fly; a literal pattern, or the \
        literal part of a regex, is first looked for with a SIMD byte search over whole \
        blocks, and only the records around a hit are decoded.

        Output follows ripgrep: `path:offset:` and the record as `replay --format text` \
        prints it (matches highlighted with --color); -c prints `path:count` per segment \
        file with matches (the bare count when the only PATH is a file or -); -l the paths; -q \
        nothing; --json one message per line: begin, match (path, position, offset, record \
        as `replay --format jsonl` prints it, submatches as byte ranges within the field), \
        end, and a final summary; damage reports arrive as "damage" messages too.

        A directory that holds no segments of its own is searched as a tree: every directory \
        below it that holds a log (a Kafka partition, a database's WALs, a native log), in \
        name order, skipping names that start with "." and symbolic links.

        Segment files are searched in parallel (-j), and output stays in segment order. \
        -m counts per segment file; --limit counts records read, not matches printed. \
        --follow searches what the writer appends, as `replay --follow` reads it (one PATH; \
        matches are flushed as soon as everything written so far was searched); --after \
        starts after a resume token.

        Exit status: 0 something matched, 1 nothing did, 2 usage or I/O error (matches \
        already printed stay printed), 3 damaged data met.
        """)

    @Argument(help: ArgumentHelp("The pattern (unless -e is given), then segment files, log directories (or directories of logs), or - for stdin.",
                                 valueName: "pattern-and-paths"))
    var arguments: [String] = []

    @Option(name: [.customShort("e"), .customLong("regexp")], help: ArgumentHelp("A pattern to search for (repeatable).", valueName: "pattern"))
    var patterns: [String] = []

    @Flag(name: [.customShort("F"), .customLong("fixed-strings")], help: "Treat patterns as fixed strings, not regular expressions.")
    var fixedStrings = false

    @Flag(name: [.customShort("i"), .customLong("ignore-case")], help: "Match case-insensitively.")
    var ignoreCase = false

    @Flag(name: [.customShort("v"), .customLong("invert-match")], help: "Select the records that do not match.")
    var invert = false

    @Option(help: "Which part of a record to search: key, value or any.")
    var field: SearchField = .value

    @Flag(name: [.customShort("c"), .customLong("count")], help: "Print the number of matching records per segment file.")
    var count = false

    @Flag(name: [.customShort("l"), .customLong("files-with-matches")], help: "Print the paths of segment files with a match.")
    var filesWithMatches = false

    @Flag(name: [.customShort("q"), .customLong("quiet")], help: "Print nothing; exit 0 at the first match.")
    var quiet = false

    @Option(name: [.customShort("m"), .customLong("max-count")], help: ArgumentHelp("Stop a segment file after this many matches.", valueName: "num"))
    var maxCount: Int?

    @Option(help: "When to colour matches: never, auto (a terminal, and NO_COLOR unset) or always.")
    var color: ColorChoice = .auto

    @Flag(help: "Print ripgrep-style JSON messages.")
    var json = false

    @Option(name: [.customShort("j"), .customLong("threads")], help: ArgumentHelp("Segment files searched at once (default: the number of cores this process may run on).", valueName: "n"))
    var threads: Int?

    @OptionGroup(title: "Selection")
    var selection: SelectionOptionGroup

    @OptionGroup(title: "I/O")
    var io: IOOptionGroup

    @OptionGroup(title: "Follow and resume")
    var live: FollowOptionGroup

    @OptionGroup(title: "Reporting")
    var report: StatsOptionGroup

    enum ColorChoice: String, ExpressibleByArgument, CaseIterable { case never, auto, always }

    var patternList: [String] { patterns.isEmpty ? Array(arguments.prefix(1)) : patterns }
    var paths: [String] { patterns.isEmpty ? Array(arguments.dropFirst()) : arguments }

    func validate() throws {
        if patternList.isEmpty { throw ValidationError("no pattern given") }
        if paths.isEmpty { throw ValidationError("no path given (use - for standard input)") }
        if let maxCount, maxCount < 1 { throw ValidationError("--max-count must be at least 1") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        if [count, filesWithMatches, quiet, json].filter({ $0 }).count > 1 {
            throw ValidationError("-c, -l, -q and --json exclude one another")
        }
        try live.validate(paths: paths, selection: selection)
        if live.follow && (count || filesWithMatches) {
            throw ValidationError("-c and -l print when a file is done; a followed log never is: not with --follow")
        }
    }

    var mode: GrepPrinter.Mode {
        if quiet { return .quiet }
        if count { return .count }
        if filesWithMatches { return .filesWithMatches }
        if json { return .json }
        return .lines
    }

    var useColor: Bool {
        switch color {
        case .never: return false
        case .always: return true
        case .auto: return isatty(1) != 0 && getenv("NO_COLOR") == nil
        }
    }

    func run() throws {
        let matcher: RecordMatcher
        do {
            matcher = try RecordMatcher(patterns: patternList.map { Array($0.utf8) }, fixedStrings: fixedStrings,
                                        caseInsensitive: ignoreCase, invert: invert, field: field)
        } catch {
            var diagnostics = Diagnostics()
            diagnostics.line(error.description)
            throw ExitCode(ExitStatus.error)
        }
        var diagnostics = Diagnostics()
        // A directory that is no log is searched as a tree of logs; a
        // followed log, or one resumed with --after, is one log.
        let tree = LogTree.resolve(paths, kind: selection.kind, walking: !live.follow && live.after == nil)
        let inputs = tree.logs
        let failures = tree.failures.count
        let measurement = report.stats ? ScanMeasurement(inputs: inputs) : nil
        for error in tree.failures { diagnostics.failure(error) }
        var replay = selection.replayOptions(io: io.options)
        live.apply(to: &replay)
        let segmentCount = inputs.reduce(0) { $0 + $1.segments(from: replay.fromOffset).count }
        // -c prints the bare count when one file is searched, as ripgrep
        // does: one PATH naming a file (or -). A log directory prints paths
        // even while it holds one segment, so the output keeps its shape
        // when the log rolls to a second.
        let bareCount = paths.count == 1 && inputs.count == 1 && !inputs[0].isDirectory && segmentCount == 1
        var options = SearchOptions(maxCountPerFile: maxCount,
                                    stopAtFirstMatch: quiet ? .everything : (filesWithMatches ? .segment : .never))
        options.cancellation = SearchCancellation()
        let searcher = LogSearcher(matcher: matcher, replay: replay, options: options)
        let workers = min(threads ?? ByteSource.onlineCPUs, segmentCount)
        let started = MonotonicClock.now()

        let outcome: GrepOutcome
        // --limit counts records in log order, -j 1 asks for one thread, and
        // --follow reads on as the log grows.
        if workers > 1 && replay.limit == nil && replay.follow == nil {
            outcome = ParallelGrep(searcher: searcher, mode: mode, color: useColor, bareCount: bareCount)
                .run(inputs.flatMap { $0.splitBySegment(from: replay.fromOffset) }, threads: workers)
        } else {
            var printer = GrepPrinter(mode: mode, color: useColor, bareCount: bareCount,
                                      out: OutputBuffer(fd: 1), err: OutputBuffer(fd: 2, capacity: 16 << 10))
            let summary = searcher.search(inputs, into: &printer)
            printer.flush()
            outcome = GrepOutcome(summary: summary, totals: printer.totals)
        }
        if mode == .json {
            var out = OutputBuffer(fd: 1)
            let t = outcome.totals
            out.ascii("{\"type\":\"summary\",\"data\":{\"elapsed_total\":")
            let elapsed = MonotonicClock.now() - started
            out.ascii("{\"secs\":")
            out.decimal(elapsed / 1_000_000_000)
            out.ascii(",\"nanos\":")
            out.decimal(elapsed % 1_000_000_000)
            out.ascii(",\"human\":\"")
            out.string(MonotonicClock.human(elapsed))
            out.ascii("\"},\"stats\":")
            GrepPrinter.writeStats(elapsed: elapsed, searches: t.searches, withMatch: t.searchesWithMatch, bytes: t.bytesSearched,
                                   records: outcome.summary.recordsRead, matchedRecords: t.matchedRecords,
                                   submatches: t.submatches, to: &out)
            out.ascii("}}\n")
            out.flush()
        }
        let summary = outcome.summary
        if let measurement {
            var err = OutputBuffer(fd: 2)
            StatsPrinter.write(measurement.finish(records: summary.recordsRead, matches: summary.matches, bytes: summary.bytes,
                                                  io: summary.io),
                               command: "grep", format: report.statsFormat, to: &err)
        }
        if quiet && summary.matches > 0 { throw ExitCode(ExitStatus.ok) }
        if failures + summary.failures > 0 { throw ExitCode(ExitStatus.error) }
        if summary.damaged { throw ExitCode(ExitStatus.damaged) }
        throw ExitCode(summary.matches > 0 ? ExitStatus.ok : ExitStatus.noMatch)
    }
}

struct GrepOutcome {
    var summary: SearchSummary
    var totals: GrepPrinter.Totals
}

/// Segment-parallel grep: one job per segment file, `threads` workers, and
/// the output of the jobs written in job order as it arrives. A job's output
/// is streamed while it is the oldest unfinished job; later jobs buffer
/// theirs, and wait once they hold more than `bufferLimit` bytes, so memory
/// stays bounded however much matches.
struct ParallelGrep {
    let searcher: LogSearcher
    let mode: GrepPrinter.Mode
    let color: Bool
    let bareCount: Bool
    var bufferLimit = 32 << 20

    /// One job's output and state, shared by its worker and the writer.
    final class Job: @unchecked Sendable {
        // @unchecked: every mutable field is read and written under `monitor`.
        enum Chunk { case out([UInt8]), err([UInt8]) }
        let input: LogInput
        let logIndex: Int
        var chunks: [Chunk] = []
        var buffered = 0
        var done = false
        var isHead = false
        var endedLog = false
        var summary = SearchSummary()
        var totals = GrepPrinter.Totals()
        init(input: LogInput, logIndex: Int) {
            self.input = input
            self.logIndex = logIndex
        }
    }

    func run(_ inputs: [LogInput], threads: Int) -> GrepOutcome {
        // Jobs of the same log share its index (a damaged segment ends its
        // log: what later segments of it found is dropped).
        var logIndex = 0
        var previousPath: String? = nil
        var jobs: [Job] = []
        for input in inputs {
            if input.path != previousPath || !input.isDirectory { logIndex += 1 }
            previousPath = input.path
            jobs.append(Job(input: input, logIndex: logIndex))
        }
        let monitor = Monitor()
        let next = Atomic<Int>(0)
        // Every worker decodes: --io auto must not count on a spare core.
        var configured = self.searcher
        configured.replay.io.decodingThreads = min(threads, jobs.count)
        let searcher = configured
        let mode = self.mode, color = self.color, bareCount = self.bareCount, limit = bufferLimit
        let allJobs = jobs
        var workers: [pthread_t] = []
        for _ in 0..<threads {
            let thread = spawnThread {
                while true {
                    let index = next.add(1, ordering: .relaxed).oldValue
                    guard index < allJobs.count else { return }
                    let job = allJobs[index]
                    let sink: ([UInt8], Bool) -> Void = { bytes, isError in
                        monitor.withLock {
                            while !job.isHead && job.buffered > limit { monitor.wait() }
                            job.chunks.append(isError ? .err(bytes) : .out(bytes))
                            job.buffered += bytes.count
                            monitor.broadcast()
                        }
                    }
                    var printer = GrepPrinter(mode: mode, color: color, bareCount: bareCount,
                                              out: OutputBuffer(chunks: { sink($0, false) }, capacity: 256 << 10),
                                              err: OutputBuffer(chunks: { sink($0, true) }, capacity: 4096))
                    let summary = searcher.search([job.input], into: &printer)
                    printer.flush()
                    let endedLog = printer.endedLog
                    let totals = printer.totals
                    if summary.stoppedEarly && searcher.options.stopAtFirstMatch == .everything {
                        searcher.options.cancellation?.cancel()
                    }
                    monitor.withLock {
                        job.summary = summary
                        job.totals = totals
                        job.endedLog = endedLog
                        job.done = true
                        monitor.broadcast()
                    }
                }
            }
            if let thread { workers.append(thread) }
        }

        var outcome = GrepOutcome(summary: SearchSummary(), totals: GrepPrinter.Totals())
        var endedLog: Int? = nil
        var stdout = OutputBuffer(fd: 1)
        var stderr = OutputBuffer(fd: 2, capacity: 4096)
        for job in jobs {
            // Once a segment ends its log, the log's later segments are not reported.
            let discard = endedLog == job.logIndex
            monitor.withLock {
                job.isHead = true
                monitor.broadcast()
            }
            while true {
                let (chunks, done) = monitor.withLock { () -> ([Job.Chunk], Bool) in
                    while job.chunks.isEmpty && !job.done { monitor.wait() }
                    let taken = job.chunks
                    job.chunks = []
                    job.buffered = 0
                    monitor.broadcast()
                    return (taken, job.done && job.chunks.isEmpty)
                }
                if !discard {
                    for chunk in chunks {
                        switch chunk {
                        case .out(let bytes):
                            stdout.bytes(bytes)
                        case .err(let bytes):
                            stdout.flush()
                            stderr.bytes(bytes)
                            stderr.flush()
                        }
                    }
                }
                if done { break }
            }
            stdout.flush()
            if !discard {
                outcome.summary.add(job.summary)
                outcome.totals.searches += job.totals.searches
                outcome.totals.searchesWithMatch += job.totals.searchesWithMatch
                outcome.totals.bytesSearched += job.totals.bytesSearched
                outcome.totals.matchedRecords += job.totals.matchedRecords
                outcome.totals.submatches += job.totals.submatches
                if job.endedLog { endedLog = job.logIndex }
            }
            if outcome.summary.stoppedEarly && searcher.options.stopAtFirstMatch == .everything { break }
        }
        stdout.flush()
        searcher.options.cancellation?.cancel()
        // Let waiting workers finish; their output is no longer wanted.
        monitor.withLock {
            for job in jobs { job.isHead = true }
            monitor.broadcast()
        }
        for thread in workers { pthread_join(thread, nil) }
        // -q: a match anywhere counts, even in a job cut short by another's.
        if searcher.options.stopAtFirstMatch == .everything {
            outcome.summary.matches = jobs.reduce(0) { $0 + $1.summary.matches }
        }
        return outcome
    }
}

extension SearchField: ExpressibleByArgument {}

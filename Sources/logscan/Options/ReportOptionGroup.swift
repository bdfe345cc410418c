import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif

/// What a scanning command says about itself on stderr: `--stats`, the
/// progress bar, `--quiet`. Shared by `replay`, `grep` and `verify`.
struct ReportOptionGroup: ParsableArguments {
    enum StatsFormat: String, ExpressibleByArgument, CaseIterable { case text, prometheus }

    @Flag(help: ArgumentHelp("At the end, print what the scan cost to stderr.", discussion: """
        Records, bytes, elapsed time, throughput, minor and major page faults (getrusage), the \
        page-cache residency of each input before and after (mincore), peak RSS, and the I/O path \
        each file was read with (mmap, +populate, MAP_HUGETLB, MADV_HUGEPAGE, pread with a \
        read-ahead thread, stream).
        """))
    var stats = false

    @Option(name: .customLong("stats-format"), help: ArgumentHelp(
        "--stats as text (for people) or prometheus (the Prometheus text exposition format).", valueName: "format"))
    var statsFormat: StatsFormat = .text

    @Flag(help: ArgumentHelp("No progress bar and no warnings on stderr (damage and errors are still reported).", discussion: """
        Without it, a long scan draws a progress bar on stderr (bytes done of the inputs' total, \
        rate, ETA) when stderr is a terminal; never into a file or pipe, and not with --follow.
        """))
    var quiet = false

    /// A progress bar is drawn only for a person watching: stderr is a
    /// terminal and --quiet was not given.
    var wantsProgress: Bool { !quiet && isatty(2) == 1 }
}

import ArgumentParser

/// `--stats` and its format: what a scan cost, on stderr. `replay` has it
/// inside ReportOptionGroup (with the progress bar and --quiet); `grep`,
/// whose -q is ripgrep's, and `verify` take it alone.
struct StatsOptionGroup: ParsableArguments {
    enum StatsFormat: String, ExpressibleByArgument, CaseIterable { case text, prometheus }

    @Flag(help: ArgumentHelp("At the end, print what the scan cost to stderr.", discussion: """
        Records (grep: searched, and matches), bytes, elapsed time, throughput, minor and major \
        page faults (getrusage), the page-cache residency of each segment file before and after \
        (mincore), peak RSS, and the I/O path each file was read with and why --io auto chose \
        it (mmap, +populate, MAP_HUGETLB, MADV_HUGEPAGE, pread with or without a read-ahead \
        thread, stream). Standard output is unchanged.
        """))
    var stats = false

    @Option(name: .customLong("stats-format"), help: ArgumentHelp(
        "--stats as text (for people) or prometheus (the Prometheus text exposition format).", valueName: "format"))
    var statsFormat: StatsFormat = .text
}

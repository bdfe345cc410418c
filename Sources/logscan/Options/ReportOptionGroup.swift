import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif

/// What `replay` says about itself on stderr: `--stats`, the progress bar,
/// `--quiet`. (`grep` and `verify` take StatsOptionGroup alone.)
struct ReportOptionGroup: ParsableArguments {
    @OptionGroup var statsOptions: StatsOptionGroup
    var stats: Bool { statsOptions.stats }
    var statsFormat: StatsOptionGroup.StatsFormat { statsOptions.statsFormat }

    @Flag(help: ArgumentHelp("No progress bar and no warnings on stderr (damage and errors are still reported).", discussion: """
        Without it, a long scan draws a progress bar on stderr (bytes done of the inputs' total, \
        rate, ETA) when stderr is a terminal; never into a file or pipe, and not with --follow.
        """))
    var quiet = false

    /// A progress bar is drawn only for a person watching: stderr is a
    /// terminal and --quiet was not given.
    var wantsProgress: Bool { !quiet && isatty(2) == 1 }
}

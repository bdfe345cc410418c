import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif

struct Logscan: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logscan",
        abstract: "Read append-only log segments at memory speed.",
        discussion: """
        logscan reads logscan's native segments, LevelDB/RocksDB write-ahead logs and Kafka \
        partition segments by mapping them into memory.

        Exit status, for every command: 0 success; 1 grep found nothing; 2 usage or I/O \
        error; 3 damaged data met.
        """,
        version: "0.1.0",
        subcommands: [ReplayCommand.self, GrepCommand.self, VerifyCommand.self, WriteCommand.self,
                      StatCommand.self, IndexCommand.self, BenchCommand.self])
}

extension Logscan {
    /// Parses `arguments` with the named subcommand as the root, or returns
    /// nil when that does not succeed. ArgumentParser's full parse reflects
    /// every subcommand's options (2.4 of the 12.4 ms a grep of a small log
    /// took); a command whose arguments parse on their own needs only its
    /// own. Help, --version and every error go through the full parse, which
    /// words them as `logscan SUBCOMMAND`.
    ///
    /// Each subcommand's configuration names `logscan` as its
    /// `_superCommandName`. ArgumentParser reads that only from the root of
    /// a parse: in the full parse the root is `Logscan`, so nothing changes;
    /// here it tells the parser that this root is not a whole tool, which
    /// skips its two trial parses for `--generate-completion-script` (another
    /// ~0.5 ms; the option still works through the full parse).
    static func parseQuickly(_ arguments: [String]) -> ParsableCommand? {
        guard let name = arguments.first,
              let subcommand = configuration.subcommands.first(where: { $0.configuration.commandName == name }) else { return nil }
        let rest = Array(arguments.dropFirst())
        if rest.contains(where: { $0 == "-h" || $0 == "--help" || $0 == "--version" || $0 == "help" }) { return nil }
        return try? subcommand.parseAsRoot(rest)
    }

    /// `-j4` and `-m10`, as ripgrep users type them, become `-j 4` and
    /// `-m 10` (ArgumentParser only takes a short option's value as the
    /// next argument). Stops at `--`, after which everything is an operand.
    static func splittingAttachedCounts(_ arguments: [String]) -> [String] {
        var out: [String] = []
        var operandsOnly = false
        for argument in arguments {
            if argument == "--" { operandsOnly = true }
            let utf8 = Array(argument.utf8)
            if !operandsOnly, utf8.count > 2, utf8[0] == UInt8(ascii: "-"),
               utf8[1] == UInt8(ascii: "j") || utf8[1] == UInt8(ascii: "m"),
               utf8[2...].allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) {
                out.append(String(argument.prefix(2)))
                out.append(String(argument.dropFirst(2)))
            } else {
                out.append(argument)
            }
        }
        return out
    }
}

@main
enum Main {
    static func main() {
        // A reader that goes away (`| head`) should end us quietly through
        // EPIPE on write, not kill us with SIGPIPE.
        signal(SIGPIPE, SIG_IGN)
        do {
            let arguments = Logscan.splittingAttachedCounts(Array(CommandLine.arguments.dropFirst()))
            var command = try Logscan.parseQuickly(arguments) ?? Logscan.parseAsRoot(arguments)
            try command.run()
        } catch let code as ExitCode {
            exit(code.rawValue)
        } catch {
            // Help and --version exit 0 and print to stdout; every other
            // parse error is a usage error: exit 2 (not ArgumentParser's 64).
            let status = Logscan.exitCode(for: error)
            let message = Logscan.fullMessage(for: error)
            if status == .success {
                print(message)
                exit(0)
            }
            var err = OutputBuffer(fd: 2)
            err.string(message)
            err.byte(0x0A)
            if !message.contains("--help") { err.string("See 'logscan --help'.\n") }
            err.flush()
            exit(ExitStatus.error)
        }
    }
}

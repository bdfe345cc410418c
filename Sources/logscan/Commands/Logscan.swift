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

@main
enum Main {
    static func main() {
        // A reader that goes away (`| head`) should end us quietly through
        // EPIPE on write, not kill us with SIGPIPE.
        signal(SIGPIPE, SIG_IGN)
        do {
            var command = try Logscan.parseAsRoot()
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

import ArgumentParser
import LogScan

struct IndexCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "index", _superCommandName: "logscan",
        abstract: "Check or rebuild the index files of log segments.",
        discussion: """
        PATH is a segment file or a log directory. Each segment's index is compared with the \
        entries its writer would have made for the segment's valid blocks: ok, incomplete (a \
        correct prefix: a writer died or is still writing; readers scan past it), missing, or \
        damaged (a wrong entry or header). Native segments: the .idx, one entry per block. Kafka \
        segments: the .index and .timeindex by the broker's rule (an entry when more than 4096 \
        bytes, index.interval.bytes, were appended since the last one; the time index closed \
        with the segment's largest timestamp once the segment was rolled). A time index entry \
        may name any offset of the right batch: brokers differ there.

        --check (the default) only reads: it never modifies anything.
        --rebuild writes every index that is not ok anew: to a temporary file beside the old one, \
        synced, then renamed over it, so a reader sees the old index or the new one, never a mix. \
        For native logs it refuses while a writer has the log open. For Kafka, stop the broker \
        first: it keeps the active segment's indexes mapped.

        Exit status: 0 every index ok (or rebuilt), 2 usage or I/O error, 3 an index is not ok \
        (with --check).
        """)

    @Argument(help: ArgumentHelp("Segment files or log directories.", valueName: "path"))
    var paths: [String]

    @Option(help: "Log format: auto, native, leveldb, rocksdb or kafka.")
    var kind: LogKind = .auto

    @Flag(help: "Only report the health of each index (the default; never writes).")
    var check = false

    @Flag(help: "Write every index that is not ok anew, atomically.")
    var rebuild = false

    func validate() throws {
        if check && rebuild { throw ValidationError("--check and --rebuild exclude each other") }
    }

    func run() throws {
        var out = OutputBuffer(fd: 1)
        var diagnostics = Diagnostics()
        var errors = false
        var unhealthy = false
        for path in paths {
            let input: LogInput
            do {
                input = try LogInput.resolve(path, kind: kind)
            } catch {
                diagnostics.failure(error)
                errors = true
                continue
            }
            for segment in input.segments {
                do {
                    let health = try LogInspector.checkIndex(segment)
                    if rebuild && !health.isClean {
                        let entries = try LogInspector.rebuildIndex(segment)
                        out.string("\(segment.path): rebuilt, \(entries) entries (was \(health))\n")
                    } else {
                        out.string("\(segment.path): \(health)\n")
                        if !health.isClean { unhealthy = true }
                    }
                } catch {
                    out.flush()
                    diagnostics.failure(error)
                    errors = true
                }
            }
        }
        out.flush()
        throw ExitCode(errors ? ExitStatus.error : (unhealthy ? ExitStatus.damaged : ExitStatus.ok))
    }
}

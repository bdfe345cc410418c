import ArgumentParser
import LogScan

struct StatCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stat", _superCommandName: "logscan",
        abstract: "Describe log segments: records, offsets, times, compression, index health, cache residency.",
        discussion: """
        PATH is a segment file or a log directory (each of its segments is described), or a \
        directory that holds no segments of its own: every log below it, in name order (names \
        starting with "." and symbolic links skipped). Segments \
        are read header by header (payloads are not decoded, except the first and last block's, \
        for the timestamps), so stat is fast on large logs; `logscan replay --count` checks every \
        checksum.

        Per segment: format, size, records and blocks, first and last offset and timestamp, \
        compression ratio (raw payload bytes / stored bytes), index health (ok, incomplete: a \
        correct prefix, missing, damaged), and how much of the file is in the page cache (mincore).

        Exit status: 0 described, 2 usage or I/O error, 3 a segment is damaged (a torn tail at the \
        end of a log's last segment is noted but is not damage).
        """)

    enum Format: String, ExpressibleByArgument, CaseIterable { case text, jsonl }

    @Argument(help: ArgumentHelp("Segment files, log directories, or directories of logs.", valueName: "path"))
    var paths: [String]

    @Option(help: "Log format: auto, native, leveldb, rocksdb or kafka.")
    var kind: LogKind = .auto

    @Option(help: "Output: text (for people) or jsonl (one object per segment).")
    var format: Format = .text

    func run() throws {
        var out = OutputBuffer(fd: 1)
        var diagnostics = Diagnostics()
        // A directory that is no log: every log below it.
        let tree = LogTree.resolve(paths, kind: kind)
        for error in tree.failures { diagnostics.failure(error) }
        var errors = !tree.failures.isEmpty
        var damaged = false
        for input in tree.logs {
            for (i, segment) in input.segments.enumerated() {
                do {
                    let stat = try LogInspector.stat(segment)
                    format == .text ? StatCommand.text(stat, to: &out) : StatCommand.json(stat, to: &out)
                    if let damage = stat.damage, case .damaged(let reason, _) = damage.kind {
                        let tail = reason.isTornTail && i == input.segments.count - 1
                        diagnostics.line(damage.description + (tail ? " (torn tail)" : ""))
                        if !tail { damaged = true }
                    }
                } catch {
                    diagnostics.failure(error)
                    if error.isDamage { damaged = true } else { errors = true }
                }
            }
        }
        out.flush()
        // Errors (2) outrank damage (3), as in ExitStatus.of.
        throw ExitCode(errors ? ExitStatus.error : (damaged ? ExitStatus.damaged : ExitStatus.ok))
    }

    static func text(_ s: SegmentStat, to out: inout OutputBuffer) {
        out.string(s.path + "\n")
        out.string("  format       \(s.kind.rawValue)\n")
        out.string("  size         \(s.sizeBytes) bytes (\(Human.bytes(Double(s.sizeBytes))))\n")
        out.string("  records      \(s.records) in \(s.units) \(unitName(s.kind, s.units))\n")
        out.string("  offsets      " + (s.firstOffset.map { "\($0) .. \(s.lastOffset!)" } ?? "-") + "\n")
        out.ascii("  timestamps   ")
        if let t = s.firstTimestamp { TimeFormat.writeISO8601(t, to: &out) } else { out.ascii("-") }
        out.ascii(" .. ")
        if let t = s.lastTimestamp { TimeFormat.writeISO8601(t, to: &out) } else { out.ascii("-") }
        out.ascii("\n")
        out.string("  compression  " + (s.compressionRatio.map { Human.fixed($0, 2) + "x (\(s.rawPayloadBytes) raw / \(s.storedPayloadBytes) stored bytes)" } ?? "-") + "\n")
        out.string("  index        \(s.index)\n")
        out.string("  cached       " + (s.residency.map { Human.fixed($0 * 100, 1) + "%" } ?? "-") + "\n")
        if let damage = s.damage { out.string("  damage       valid up to byte \(s.validEnd): \(damage)\n") }
    }

    /// What a format's units are called.
    static func unitName(_ kind: LogKind, _ count: Int) -> String {
        let one = count == 1
        switch kind {
        case .native, .auto: return one ? "block" : "blocks"
        case .kafka: return one ? "batch" : "batches"
        case .leveldb, .rocksdb: return one ? "write batch" : "write batches"
        }
    }

    static func json(_ s: SegmentStat, to out: inout OutputBuffer) {
        func field(_ name: StaticString, _ value: String) {
            out.ascii(",\"")
            out.ascii(name)
            out.ascii("\":")
            out.string(value)
        }
        func optional<T>(_ value: T?) -> String { value.map { "\($0)" } ?? "null" }
        out.ascii("{\"path\":")
        ByteEncodings.writeJSONString(s.path, to: &out)
        field("format", "\"\(s.kind.rawValue)\"")
        field("size", "\(s.sizeBytes)")
        field("records", "\(s.records)")
        field("blocks", "\(s.units)")
        field("first_offset", optional(s.firstOffset))
        field("last_offset", optional(s.lastOffset))
        field("first_timestamp", optional(s.firstTimestamp))
        field("last_timestamp", optional(s.lastTimestamp))
        field("stored_bytes", "\(s.storedPayloadBytes)")
        field("raw_bytes", "\(s.rawPayloadBytes)")
        field("compression_ratio", s.compressionRatio.map { Human.fixed($0, 4) } ?? "null")
        out.ascii(",\"index\":")
        ByteEncodings.writeJSONString(s.index.description, to: &out)
        field("index_ok", s.index.isClean ? "true" : "false")
        field("cached_percent", s.residency.map { Human.fixed($0 * 100, 1) } ?? "null")
        field("valid_end", "\(s.validEnd)")
        out.ascii(",\"damage\":")
        if let damage = s.damage { ByteEncodings.writeJSONString(damage.description, to: &out) } else { out.ascii("null") }
        out.ascii("}\n")
    }
}

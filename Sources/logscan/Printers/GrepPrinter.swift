import LogScan

/// The output of `logscan grep`, in ripgrep's conventions. A SearchSink: it
/// is told segments and matches, and knows nothing about files.
struct GrepPrinter: SearchSink, ~Copyable {
    enum Mode {
        /// `path:offset:` and the record as `replay --format text` prints it.
        case lines
        /// `path:count` per segment file with matches (`count` alone for one file).
        case count
        /// The path of each segment file with a match.
        case filesWithMatches
        /// Nothing; the exit status says it.
        case quiet
        /// ripgrep-style JSON messages: begin, match, end (and damage).
        case json
    }

    let mode: Mode
    let color: Bool
    /// -c when the only PATH is one file (or -): the bare count.
    let bareCount: Bool
    var out: OutputBuffer
    var err: OutputBuffer
    /// A damage report or failure ended the log this printer is searching
    /// (parallel search then drops what later segments of that log found).
    private(set) var endedLog = false
    /// Totals for the JSON summary.
    private(set) var totals = Totals()

    struct Totals {
        var searches = 0
        var searchesWithMatch = 0
        var bytesSearched: Int64 = 0
        var matchedRecords = 0
        var submatches = 0
    }

    private var path = ""
    private var pathJSON: [UInt8] = []
    private var recordPrefix: [UInt8] = []
    private var segmentStart = MonotonicClock.now()
    private var segmentSubmatches = 0

    init(mode: Mode, color: Bool, bareCount: Bool, out: consuming OutputBuffer, err: consuming OutputBuffer) {
        self.mode = mode
        self.color = color
        self.bareCount = bareCount
        self.out = out
        self.err = err
    }

    var wantsRecords: Bool { mode == .lines || mode == .json }
    /// Lines use match ranges only to colour them (computing them was ~30%
    /// of printing 2.9M matching records).
    var wantsSubmatches: Bool { mode == .json || (mode == .lines && color) }

    mutating func beginSegment(path: String, kind: LogKind) {
        self.path = path
        segmentStart = MonotonicClock.now()
        segmentSubmatches = 0
        if mode == .json {
            var encoded = OutputBuffer.inMemory()
            ByteEncodings.writeJSONString(path, bytes: true, to: &encoded)
            pathJSON = encoded.takeBytes()
            recordPrefix = RecordPrinter.jsonPrefix(path: path)
            out.ascii("{\"type\":\"begin\",\"data\":{\"path\":")
            out.bytes(pathJSON)
            out.ascii("}}\n")
        }
    }

    mutating func match(_ record: LogRecord, submatches: [Submatch]) {
        switch mode {
        case .lines:
            if color { out.ascii("\u{1B}[35m") }
            out.string(path)
            if color { out.ascii("\u{1B}[0m") }
            out.byte(UInt8(ascii: ":"))
            if color { out.ascii("\u{1B}[32m") }
            out.decimal(record.offset)
            if color { out.ascii("\u{1B}[0m") }
            out.byte(UInt8(ascii: ":"))
            var highlight: Highlight? = nil
            if color && !submatches.isEmpty {
                highlight = Highlight(submatches: submatches)
            }
            RecordEncoding.writeText(record, highlight: highlight, to: &out)
            out.byte(0x0A)
        case .json:
            segmentSubmatches += submatches.count
            out.ascii("{\"type\":\"match\",\"data\":{\"path\":")
            out.bytes(pathJSON)
            out.ascii(",\"position\":")
            out.decimal(record.position)
            out.ascii(",\"offset\":")
            out.decimal(record.offset)
            out.ascii(",\"record\":")
            RecordEncoding.writeJSON(record, prefix: recordPrefix, to: &out)
            out.ascii(",\"submatches\":[")
            for (i, submatch) in submatches.enumerated() {
                if i > 0 { out.byte(UInt8(ascii: ",")) }
                let field = MatchState.bytes(of: submatch.field, in: record)
                out.ascii("{\"field\":\"")
                out.string(submatch.field.description)
                out.ascii("\",\"match\":")
                ByteEncodings.writeJSONBytes(field.map { UnsafeRawBufferPointer(rebasing: $0[submatch.range]) }, to: &out)
                out.ascii(",\"start\":")
                out.decimal(Int64(submatch.range.lowerBound))
                out.ascii(",\"end\":")
                out.decimal(Int64(submatch.range.upperBound))
                out.byte(UInt8(ascii: "}"))
            }
            out.ascii("]}}\n")
        case .count, .filesWithMatches, .quiet:
            break
        }
    }

    mutating func endSegment(path: String, stats: SegmentSearchStats) {
        totals.searches += 1
        totals.bytesSearched += stats.bytesSearched
        totals.matchedRecords += stats.matches
        totals.submatches += segmentSubmatches
        if stats.matches > 0 { totals.searchesWithMatch += 1 }
        switch mode {
        case .count:
            guard stats.matches > 0 else { break }
            if !bareCount {
                out.string(path)
                out.byte(UInt8(ascii: ":"))
            }
            out.decimal(Int64(stats.matches))
            out.byte(0x0A)
        case .filesWithMatches:
            if stats.matches > 0 {
                out.string(path)
                out.byte(0x0A)
            }
        case .json:
            out.ascii("{\"type\":\"end\",\"data\":{\"path\":")
            out.bytes(pathJSON)
            out.ascii(",\"stats\":")
            GrepPrinter.writeStats(elapsed: MonotonicClock.now() - segmentStart, searches: 1,
                                   withMatch: stats.matches > 0 ? 1 : 0, bytes: stats.bytesSearched,
                                   records: stats.recordsSearched, matchedRecords: stats.matches,
                                   submatches: segmentSubmatches, to: &out)
            out.ascii("}}\n")
        case .lines, .quiet:
            break
        }
    }

    mutating func damage(_ report: DamageReport) {
        if report.action != .tolerated { endedLog = true }
        if mode == .json {
            out.ascii("{\"type\":\"damage\",\"data\":{\"path\":")
            ByteEncodings.writeJSONString(report.path, bytes: true, to: &out)
            out.ascii(",\"start\":")
            out.decimal(report.start)
            out.ascii(",\"end\":")
            out.decimal(report.end)
            out.ascii(",\"bytes_dropped\":")
            out.decimal(report.bytesDropped)
            out.ascii(",\"reason\":")
            ByteEncodings.writeJSONString(report.reason.rawValue, to: &out)
            out.ascii(",\"detail\":")
            ByteEncodings.writeJSONString(report.detail, to: &out)
            out.ascii(",\"action\":")
            ByteEncodings.writeJSONString(report.action.rawValue, to: &out)
            out.ascii("}}\n")
        }
        errorLine(report.description)
    }

    mutating func warning(_ message: String) {
        errorLine("warning: " + message)
    }

    mutating func failure(_ error: LogScanError) {
        endedLog = true
        errorLine(error.description)
    }

    private mutating func errorLine(_ text: String) {
        err.ascii("logscan: ")
        err.string(text)
        err.byte(0x0A)
        err.flush()
    }

    /// --follow: a reader downstream sees every match so far.
    mutating func caughtUp() { flush() }

    mutating func flush() {
        out.flush()
        err.flush()
    }

    /// ripgrep's stats object: elapsed, searches, searches_with_match,
    /// bytes_searched, plus logscan's records_searched, matched_records, matches.
    static func writeStats(elapsed: Int64, searches: Int, withMatch: Int, bytes: Int64, records: Int,
                           matchedRecords: Int, submatches: Int, to out: inout OutputBuffer) {
        out.ascii("{\"elapsed\":{\"secs\":")
        out.decimal(elapsed / 1_000_000_000)
        out.ascii(",\"nanos\":")
        out.decimal(elapsed % 1_000_000_000)
        out.ascii(",\"human\":\"")
        out.string(MonotonicClock.human(elapsed))
        out.ascii("\"},\"searches\":")
        out.decimal(Int64(searches))
        out.ascii(",\"searches_with_match\":")
        out.decimal(Int64(withMatch))
        out.ascii(",\"bytes_searched\":")
        out.decimal(bytes)
        out.ascii(",\"records_searched\":")
        out.decimal(Int64(records))
        out.ascii(",\"matched_records\":")
        out.decimal(Int64(matchedRecords))
        out.ascii(",\"matches\":")
        out.decimal(Int64(submatches))
        out.byte(UInt8(ascii: "}"))
    }
}

#if canImport(Glibc)
import Glibc
#endif

/// Nanoseconds on the monotonic clock.
enum MonotonicClock {
    static func now() -> Int64 {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Int64(t.tv_sec) * 1_000_000_000 + Int64(t.tv_nsec)
    }

    static func human(_ nanos: Int64) -> String {
        let seconds = Double(nanos) / 1e9
        if seconds < 0.001 { return "\(Double(nanos / 1000) / 1000)ms" }
        if seconds < 1 { return "\(Double(nanos / 10_000) / 100)ms" }
        return "\(Double(nanos / 1_000_000) / 1000)s"
    }
}

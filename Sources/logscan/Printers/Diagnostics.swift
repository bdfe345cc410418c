import LogScan

/// Reports on stderr: one line per damage, warning or failure, each naming
/// the file (and the byte position where there is one), prefixed "logscan:".
struct Diagnostics: ~Copyable {
    var out = OutputBuffer(fd: 2, capacity: 16 << 10)
    var quiet = false

    mutating func damage(_ report: DamageReport) {
        line(report.description)
    }

    mutating func warning(_ message: String) {
        guard !quiet else { return }
        line("warning: " + message)
    }

    mutating func failure(_ error: LogScanError) {
        line(error.description)
    }

    mutating func line(_ text: String) {
        out.ascii("logscan: ")
        out.string(text)
        out.byte(0x0A)
        out.flush()
    }
}

/// Exit statuses every command uses, documented in `logscan --help`.
enum ExitStatus {
    static let ok: Int32 = 0
    /// grep: nothing matched.
    static let noMatch: Int32 = 1
    /// Usage errors and I/O errors (including a file that shrank under the scan).
    static let error: Int32 = 2
    /// Damaged data was met.
    static let damaged: Int32 = 3

    static func of(_ summary: ReplaySummary) -> Int32 {
        if summary.failures > 0 { return error }
        if summary.damaged { return damaged }
        return ok
    }
}

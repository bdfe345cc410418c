/// Every error logscan reports names the file and, where there is one, the
/// byte position in it: "PATH: at byte N: what went wrong".
public struct LogScanError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// A system call failed; `operation` names it ("open", "mmap", ...).
        case system(operation: String, errno: Int32)
        /// The data is damaged (checksum, framing, sequence...). Exit status 3.
        case damaged(DamageReason, detail: String)
        /// The file got shorter while logscan had it mapped.
        case shrank(newSize: Int64)
        /// A mapping was asked for at an offset that is not page aligned.
        case misaligned(offset: Int64, pageSize: Int)
        /// Something logscan does not read, or not in this configuration.
        case unsupported(String)
        /// A request the caller got wrong (bad option value, missing path...).
        case usage(String)
    }

    public var path: String
    public var position: Int64?
    /// For damage: how many bytes from `position` are affected (dropped).
    public var length: Int64?
    public var kind: Kind

    public init(path: String, position: Int64? = nil, _ kind: Kind) {
        self.path = path
        self.position = position
        self.kind = kind
    }

    /// True when the data was damaged rather than the operation failing.
    public var isDamage: Bool {
        if case .damaged = kind { return true }
        return false
    }

    public var description: String {
        var text = path.isEmpty ? "" : "\(path): "
        if let position { text += "at byte \(position): " }
        switch kind {
        case .system(let operation, let errno):
            text += "\(operation) failed: \(errnoDescription(errno))"
        case .damaged(let reason, let detail):
            text += detail.isEmpty ? reason.description : "\(reason.description): \(detail)"
        case .shrank(let newSize):
            text = "\(path) shrank to \(newSize) bytes during the scan"
            if let position { text += ", at position \(position)" }
        case .misaligned(let offset, let pageSize):
            text += "mapping offset \(offset) is not a multiple of the page size \(pageSize)"
        case .unsupported(let what):
            text += what
        case .usage(let what):
            text += what
        }
        return text
    }
}

/// Why a stretch of a log could not be used. One case per thing that can be
/// wrong, so reports and tests can name it.
public enum DamageReason: String, Sendable, Equatable, CaseIterable, CustomStringConvertible {
    case badMagic = "bad magic"
    case unsupportedVersion = "unsupported format version"
    case badHeaderChecksum = "bad header checksum"
    case badChecksum = "bad checksum"
    case badLength = "bad length"
    case badRecord = "bad record"
    case unknownRecordType = "unknown record type"
    case truncated = "truncated"
    case zeroTail = "zero-filled tail"
    case missingFirstFragment = "missing first fragment"
    case missingLastFragment = "missing last fragment"
    case decompressionFailed = "decompression failed"
    case sequenceGap = "sequence gap"
    case badIndex = "bad index"

    public var description: String { rawValue }

    /// A torn tail is what a writer that died mid-append leaves: an incomplete
    /// last record or a zero-filled preallocated end. Not damage in most modes.
    public var isTornTail: Bool { self == .truncated || self == .zeroTail }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

func errnoDescription(_ code: Int32) -> String {
    guard let text = strerror(code) else { return "errno \(code)" }
    return String(cString: text)
}

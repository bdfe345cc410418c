/// Where a record sits in its log, in a form that can be handed back later
/// (another process, after a restart) to resume exactly after that record:
/// the `"resume"` field of `replay --format jsonl`, `--after TOKEN`,
/// `ReplayOptions.after`.
///
/// A token names the record by its offset and pins it to the unit (block,
/// batch, WAL record) that holds it: the unit's position in its file and a
/// checksum from the unit's header. Resuming re-reads that header and checks
/// both, so a token from another log, or from a log that was rewritten since,
/// is refused (a usage error) instead of silently resuming somewhere else.
/// Nothing in it names a file, so it survives segment rolls and renames of
/// the directory: the segment is found again by offset (or WAL file number).
///
/// | format | offset | unit | check | file |
/// |---|---|---|---|---|
/// | native | sequence | block header position | block header CRC (bytes 4..<8) | 0 |
/// | leveldb/rocksdb | sequence of the write batch | record (physical) position | record's masked CRC | log file number |
/// | kafka | record offset | batch position | batch CRC | 0 |
///
/// Text form (ASCII, shell- and JSON-safe): `<kind><version>.<offset>.<unit>.<check>.<file>`,
/// numbers in lower-case hex, e.g. `n1.1f4.10040.9a3c01de.0`.
public struct ResumeToken: Sendable, Hashable, CustomStringConvertible {
    public var kind: LogKind
    /// The record's sequence number or offset.
    public var offset: UInt64
    /// Byte position in its file of the unit (block, batch, record) holding the record.
    public var unitPosition: Int64
    /// A checksum stored in the unit's header: the unit's identity.
    public var check: UInt32
    /// Formats with numbered files that do not follow from the offset (WAL
    /// log numbers); 0 otherwise.
    public var file: UInt64

    public static let version = 1
    /// The second byte of the text form (the version as an ASCII digit).
    @inlinable
    public static var versionDigit: UInt8 { UInt8(ascii: "1") }

    @inlinable
    public init(kind: LogKind, offset: UInt64, unitPosition: Int64, check: UInt32, file: UInt64 = 0) {
        self.kind = kind
        self.offset = offset
        self.unitPosition = unitPosition
        self.check = check
        self.file = file
    }

    /// The first byte of the text form.
    @inlinable
    public static func letter(_ kind: LogKind) -> UInt8 {
        switch kind {
        case .native, .auto: return UInt8(ascii: "n")
        case .leveldb: return UInt8(ascii: "l")
        case .rocksdb: return UInt8(ascii: "r")
        case .kafka: return UInt8(ascii: "k")
        }
    }

    static func kind(_ letter: UInt8) -> LogKind? {
        switch letter {
        case UInt8(ascii: "n"): return .native
        case UInt8(ascii: "l"): return .leveldb
        case UInt8(ascii: "r"): return .rocksdb
        case UInt8(ascii: "k"): return .kafka
        default: return nil
        }
    }

    /// Writes the text form through `emit`, without building a String.
    /// (The jsonl printer writes the same bytes straight into its buffer.)
    @inline(__always)
    public func write(_ emit: (UnsafeRawBufferPointer) -> Void) {
        // Longest form: 2 + 4 × (1 + 16) bytes.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 72) { buffer in
            let p = buffer.baseAddress!
            var n = 0
            p[n] = ResumeToken.letter(kind); n += 1
            p[n] = ResumeToken.versionDigit; n += 1
            // Four fields, unrolled: an array literal here would allocate per record.
            p[n] = UInt8(ascii: "."); n += 1
            n += ResumeToken.writeHex(offset, to: p + n)
            p[n] = UInt8(ascii: "."); n += 1
            n += ResumeToken.writeHex(UInt64(bitPattern: unitPosition), to: p + n)
            p[n] = UInt8(ascii: "."); n += 1
            n += ResumeToken.writeHex(UInt64(check), to: p + n)
            p[n] = UInt8(ascii: "."); n += 1
            n += ResumeToken.writeHex(file, to: p + n)
            emit(UnsafeRawBufferPointer(start: p, count: n))
        }
    }

    @inline(__always)
    static func writeHex(_ value: UInt64, to p: UnsafeMutablePointer<UInt8>) -> Int {
        // Digits needed: 1 for 0, else one per started nibble.
        let width = value == 0 ? 1 : (67 - value.leadingZeroBitCount) / 4
        var v = value
        var i = width
        while i > 0 {
            i -= 1
            let nibble = UInt8(truncatingIfNeeded: v & 0xF)
            p[i] = nibble < 10 ? nibble &+ 48 : nibble &+ 87
            v >>= 4
        }
        return width
    }

    public var description: String {
        var text = ""
        write { text += String(decoding: $0, as: UTF8.self) }
        return text
    }

    /// Parses the text form; nil when it is not a token of a known version.
    public init?(_ text: String) {
        let parts = text.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard parts.count == 5, parts[0].count == 2, let kind = ResumeToken.kind(parts[0].first!),
              parts[0].last! == UInt8(ascii: "0") + UInt8(ResumeToken.version) else { return nil }
        var numbers: [UInt64] = []
        for part in parts[1...] {
            guard part.count >= 1, part.count <= 16 else { return nil }
            var value: UInt64 = 0
            for c in part {
                let digit: UInt64
                switch c {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt64(c - UInt8(ascii: "0"))
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt64(c - UInt8(ascii: "a") + 10)
                default: return nil
                }
                value = value << 4 | digit
            }
            numbers.append(value)
        }
        guard numbers[2] <= UInt64(UInt32.max), numbers[1] <= UInt64(Int64.max) else { return nil }
        self.init(kind: kind, offset: numbers[0], unitPosition: Int64(numbers[1]), check: UInt32(numbers[2]), file: numbers[3])
    }

    /// The usage error for a token that does not fit the log it was given with.
    static func refused(_ path: String, _ token: ResumeToken, _ why: String) -> LogScanError {
        LogScanError(path: path, .usage("resume token \(token) does not fit this log: \(why)"))
    }
}

/// A record that can say where to resume after it. Each format's record
/// conforms; `LogRecord.resumeToken` forwards by case.
public protocol ResumableRecord {
    var resumeToken: ResumeToken { get }
}

extension NativeRecord: ResumableRecord {
    @inlinable
    public var resumeToken: ResumeToken {
        ResumeToken(kind: .native, offset: sequence, unitPosition: blockPosition, check: blockChecksum)
    }
}

extension LogRecord {
    /// Hand this back (`ReplayOptions.after`, `--after`) to resume after this record.
    @inlinable
    public var resumeToken: ResumeToken {
        switch self {
        case .native(let r): return r.resumeToken
        case .kafka(let r): return r.resumeToken
        case .writeBatch(let r): return r.resumeToken
        }
    }
}

/// Which part of a record a search looks at.
public enum SearchField: String, Sendable, CaseIterable {
    case key, value
    /// Key, value, and for formats that have them, header values (Kafka) and
    /// every operation's key and value (WAL batches).
    case any
}

/// Where in a record a match was found: a byte range within one field.
public struct Submatch: Sendable, Equatable {
    public enum Field: Sendable, Equatable, CustomStringConvertible {
        case key, value
        /// The value of a record's header (Kafka), by position.
        case headerValue(Int)
        /// A WAL batch's operation, by position: its key, value, end key.
        case opKey(Int), opValue(Int), opEndKey(Int)

        public var description: String {
            switch self {
            case .key: return "key"
            case .value: return "value"
            case .headerValue(let i): return "headers[\(i)].value"
            case .opKey(let i): return "ops[\(i)].key"
            case .opValue(let i): return "ops[\(i)].value"
            case .opEndKey(let i): return "ops[\(i)].end_key"
            }
        }
    }

    public var field: Field
    public var range: Range<Int>
}

/// What `logscan grep` looks for, compiled once and shared by every search
/// thread: fixed strings (SIMD byte search) or a PCRE2 regex, with the
/// literals that must occur for a match (the prefilter that lets whole
/// blocks be passed over).
public final class RecordMatcher: Sendable {
    public let field: SearchField
    public let invert: Bool
    /// Matching by fixed strings: a record matches when one occurs.
    let literals: [LiteralFinder]
    /// Matching by regex (one alternation of every pattern).
    let regex: CompiledRegex?
    /// One of these occurs in every match; empty when nothing is known.
    public let prefilter: [LiteralFinder]

    /// `patterns` are regexes unless `fixedStrings`; several patterns match
    /// when any does. `caseInsensitive` is -i, `invert` is -v.
    public init(patterns: [[UInt8]], fixedStrings: Bool, caseInsensitive: Bool, invert: Bool,
                field: SearchField) throws(LogScanError) {
        precondition(!patterns.isEmpty)
        self.field = field
        self.invert = invert
        let allLiteral = fixedStrings || patterns.allSatisfy(RequiredLiteral.isPlainLiteral)
        // ASCII case folding is what the SIMD search does. It equals
        // Unicode simple case folding for ASCII needles except for k and s
        // (KELVIN SIGN, LONG S): those, and non-ASCII needles, go to PCRE2.
        if allLiteral && (!caseInsensitive || patterns.allSatisfy { $0.allSatisfy(RecordMatcher.foldsOnlyInASCII) }) {
            literals = patterns.map { LiteralFinder($0, caseless: caseInsensitive) }
            regex = nil
            prefilter = literals.contains { $0.needle.isEmpty } ? [] : literals
            return
        }
        literals = []
        let sources = allLiteral ? patterns.map(RecordMatcher.quoted) : patterns
        // Each pattern must be a regex on its own: "a(" and "b)*" would
        // otherwise join into one valid alternation that matches what neither
        // says (and that no required literal describes).
        if sources.count > 1 {
            for source in sources { _ = try CompiledRegex(source, caseless: caseInsensitive) }
        }
        let combined = sources.count == 1 ? sources[0]
            : Array(sources.map { "(?:" + String(decoding: $0, as: UTF8.self) + ")" }.joined(separator: "|").utf8)
        regex = try CompiledRegex(combined, caseless: caseInsensitive)
        // A prefilter needs a required literal in every alternative.
        var required: [LiteralFinder] = []
        for pattern in patterns {
            let literal = allLiteral ? pattern : RequiredLiteral.extract(from: pattern)
            guard let literal, let finders = RecordMatcher.prefilter(for: literal, caseless: caseInsensitive) else {
                required = []
                break
            }
            // Two patterns with an s would look for LONG S twice.
            required += finders.filter { finder in !required.contains { $0.needle == finder.needle } }
        }
        prefilter = required
    }

    /// Literals one of which occurs in every match of `literal` (under -i,
    /// as PCRE2 folds case), or nil when none is long enough to pay.
    ///
    /// Under -i, PCRE2 also matches KELVIN SIGN for k and LONG S for s,
    /// which the SIMD search's ASCII folding does not: a match of an ASCII
    /// literal is then either an ASCII-caseless match or holds one of those
    /// two characters, so both are looked for too (they are rare, and PCRE2
    /// confirms). Without this, -i with a k or s searched with PCRE2 alone:
    /// ~4x slower on the 1 GiB grep benchmark. A non-ASCII character changes
    /// bytes between cases: then only the longest run of bytes that fold
    /// like ASCII is looked for.
    static func prefilter(for literal: [UInt8], caseless: Bool) -> [LiteralFinder]? {
        guard caseless else { return literal.count >= 2 ? [LiteralFinder(literal, caseless: false)] : nil }
        guard literal.allSatisfy({ $0 < 0x80 }) else {
            let part = asciiFoldingPart(literal)
            return part.count >= 2 ? [LiteralFinder(part, caseless: true)] : nil
        }
        guard literal.count >= 2 else { return nil }
        var finders = [LiteralFinder(literal, caseless: true)]
        if literal.contains(where: { $0 | 0x20 == UInt8(ascii: "k") }) { finders.append(LiteralFinder([0xE2, 0x84, 0xAA], caseless: false)) }
        if literal.contains(where: { $0 | 0x20 == UInt8(ascii: "s") }) { finders.append(LiteralFinder([0xC5, 0xBF], caseless: false)) }
        return finders
    }

    /// True for a byte that PCRE2 matches caselessly only against its ASCII
    /// case variants, as the SIMD search does: ASCII, and not k or s.
    static func foldsOnlyInASCII(_ byte: UInt8) -> Bool {
        byte < 0x80 && !"kKsS".utf8.contains(byte)
    }

    /// The longest run of `literal` whose bytes all `foldsOnlyInASCII`.
    /// Every caseless match of the literal holds it.
    static func asciiFoldingPart(_ literal: [UInt8]) -> [UInt8] {
        var best = 0..<0, start = 0
        for i in 0...literal.count {
            guard i == literal.count || !foldsOnlyInASCII(literal[i]) else { continue }
            if i - start > best.count { best = start..<i }
            start = i + 1
        }
        return Array(literal[best])
    }

    /// `\Q...\E` quoting for a fixed string handed to PCRE2.
    static func quoted(_ literal: [UInt8]) -> [UInt8] {
        // \E inside the literal would end the quote: split around it.
        var out = Array("\\Q".utf8)
        var i = 0
        while i < literal.count {
            if i + 1 < literal.count && literal[i] == UInt8(ascii: "\\") && literal[i + 1] == UInt8(ascii: "E") {
                out += Array("\\E\\\\E\\Q".utf8)
                i += 2
            } else {
                out.append(literal[i])
                i += 1
            }
        }
        return out + Array("\\E".utf8)
    }

    public var usesRegex: Bool { regex != nil }

    /// Per-thread matching state (PCRE2 match data).
    public func makeState() -> MatchState { MatchState(self) }
}

/// Matches records on one thread (not Sendable: it holds PCRE2 match data).
public struct MatchState {
    public let matcher: RecordMatcher
    private let regex: RegexMatcher?

    init(_ matcher: RecordMatcher) {
        self.matcher = matcher
        regex = matcher.regex.map { RegexMatcher($0) }
    }

    /// True when some pattern occurs in `bytes`.
    @inline(__always)
    public func matches(_ bytes: UnsafeRawBufferPointer) -> Bool {
        if let regex { return regex.firstMatch(in: bytes) != nil }
        for literal in matcher.literals where literal.firstIndex(in: bytes) != nil { return true }
        return false
    }

    /// Every occurrence in `bytes`, in order (non-overlapping per pattern).
    public func ranges(in bytes: UnsafeRawBufferPointer) -> [Range<Int>] {
        if let regex { return regex.allMatches(in: bytes) }
        if matcher.literals.count == 1 { return matcher.literals[0].allRanges(in: bytes) }
        return matcher.literals.flatMap { $0.allRanges(in: bytes) }.sorted { $0.lowerBound < $1.lowerBound }
    }

    /// Whether the record matches, before -v. A missing (null) field
    /// matches no pattern.
    @inline(__always)
    public func recordMatches(_ record: LogRecord) -> Bool {
        if case .writeBatch(let batch) = record { return batchMatches(batch) }
        switch matcher.field {
        case .key:
            if let key = record.key { return matches(key) }
            return false
        case .value:
            if let value = record.value { return matches(value) }
            return false
        case .any:
            if let key = record.key, matches(key) { return true }
            if let value = record.value, matches(value) { return true }
            if case .kafka(let kafka) = record {
                for header in kafka.headers { if let value = header.value, matches(value) { return true } }
            }
            return false
        }
    }

    /// A WAL batch is searched op by op: `key` looks at every op's key (and
    /// a range deletion's end key), `value` at every op's value (a LogData
    /// blob included), `any` at both.
    func batchMatches(_ batch: WriteBatchRecord) -> Bool {
        let keys = matcher.field != .value, values = matcher.field != .key
        for op in batch.ops {
            if keys {
                if let key = op.key, matches(key) { return true }
                if let end = op.endKey, matches(end) { return true }
            }
            if values, let value = op.value, matches(value) { return true }
        }
        return false
    }

    /// The bytes of `field` in `record` (nil when absent).
    public static func bytes(of field: Submatch.Field, in record: LogRecord) -> UnsafeRawBufferPointer? {
        switch field {
        case .key: return record.key
        case .value: return record.value
        case .headerValue(let i):
            guard case .kafka(let kafka) = record else { return nil }
            var headers = kafka.headers.makeIterator()
            for _ in 0..<i { _ = headers.next() }
            return headers.next()?.value ?? nil
        case .opKey(let i), .opValue(let i), .opEndKey(let i):
            guard case .writeBatch(let batch) = record else { return nil }
            var ops = batch.ops
            for _ in 0..<i { _ = ops.next() }
            guard let op = ops.next() else { return nil }
            if case .opKey = field { return op.key }
            if case .opValue = field { return op.value }
            return op.endKey
        }
    }

    /// Where the record matches, field by field.
    public func submatches(_ record: LogRecord) -> [Submatch] {
        var found: [Submatch] = []
        if case .writeBatch(let batch) = record {
            let keys = matcher.field != .value, values = matcher.field != .key
            for (i, op) in batch.ops.enumerated() {
                if keys, let key = op.key { found += ranges(in: key).map { Submatch(field: .opKey(i), range: $0) } }
                if keys, let end = op.endKey { found += ranges(in: end).map { Submatch(field: .opEndKey(i), range: $0) } }
                if values, let value = op.value { found += ranges(in: value).map { Submatch(field: .opValue(i), range: $0) } }
            }
            return found
        }
        if matcher.field != .value, let key = record.key {
            found += ranges(in: key).map { Submatch(field: .key, range: $0) }
        }
        if matcher.field != .key, let value = record.value {
            found += ranges(in: value).map { Submatch(field: .value, range: $0) }
        }
        if matcher.field == .any, case .kafka(let kafka) = record {
            for (i, header) in kafka.headers.enumerated() {
                guard let value = header.value else { continue }
                found += ranges(in: value).map { Submatch(field: .headerValue(i), range: $0) }
            }
        }
        return found
    }
}

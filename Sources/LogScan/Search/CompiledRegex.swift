import CPCRE2

/// A regular expression compiled by PCRE2, with its JIT when available.
/// Immutable after init, so one compiled pattern serves every thread; each
/// thread matches with its own `RegexMatcher` (PCRE2 match data is per thread).
public final class CompiledRegex: @unchecked Sendable {
    // @unchecked: PCRE2 documents a compiled pattern (and its JIT code) as
    // safe to share between threads once compiled; nothing mutates it after.
    let code: OpaquePointer
    public let usesJIT: Bool
    public let pattern: [UInt8]

    /// Compiles `pattern`: UTF-8 aware, and tolerant of invalid UTF-8 in the
    /// subject (records hold arbitrary bytes). `caseless` is -i.
    public init(_ pattern: [UInt8], caseless: Bool) throws(LogScanError) {
        var options = UInt32(PCRE2_UTF) | UInt32(PCRE2_MATCH_INVALID_UTF)
        if caseless { options |= UInt32(PCRE2_CASELESS) }
        var errorCode: Int32 = 0
        var errorOffset = 0
        let compiled = pattern.withUnsafeBufferPointer { p in
            pcre2_compile_8(p.baseAddress ?? UnsafePointer(bitPattern: 1), p.count, options, &errorCode, &errorOffset, nil)
        }
        guard let compiled else {
            var message = [UInt8](repeating: 0, count: 256)
            let n = message.withUnsafeMutableBufferPointer { pcre2_get_error_message_8(errorCode, $0.baseAddress, 256) }
            let text = String(decoding: message.prefix(Int(max(n, 0))), as: UTF8.self)
            throw LogScanError(path: "", .usage("invalid regular expression \(String(decoding: pattern, as: UTF8.self)): \(text) at offset \(errorOffset)"))
        }
        code = compiled
        usesJIT = pcre2_jit_compile_8(compiled, UInt32(PCRE2_JIT_COMPLETE)) == 0
        self.pattern = pattern
    }

    deinit { pcre2_code_free_8(code) }
}

/// Matches a CompiledRegex on one thread (owns the PCRE2 match data, which
/// PCRE2 does not allow two threads to use at once; not Sendable).
public final class RegexMatcher {
    let regex: CompiledRegex
    private let matchData: OpaquePointer

    public init(_ regex: CompiledRegex) {
        self.regex = regex
        matchData = pcre2_match_data_create_from_pattern_8(regex.code, nil)
    }

    deinit { pcre2_match_data_free_8(matchData) }

    /// The first match in `subject` at or after `from`, or nil.
    public func firstMatch(in subject: UnsafeRawBufferPointer, from: Int = 0) -> Range<Int>? {
        // An empty subject still needs a non-null pointer.
        let base = subject.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? UnsafePointer(bitPattern: 1)!
        let rc = regex.usesJIT
            ? pcre2_jit_match_8(regex.code, base, subject.count, from, 0, matchData, nil)
            : pcre2_match_8(regex.code, base, subject.count, from, 0, matchData, nil)
        guard rc > 0 else { return nil }
        let ovector = pcre2_get_ovector_pointer_8(matchData)!
        return Int(ovector[0])..<Int(ovector[1])
    }

    /// Every non-overlapping match (an empty match advances by one byte).
    public func allMatches(in subject: UnsafeRawBufferPointer) -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        var at = 0
        while at <= subject.count, let match = firstMatch(in: subject, from: at) {
            ranges.append(match)
            at = match.isEmpty ? match.upperBound + 1 : match.upperBound
        }
        return ranges
    }
}

/// Finds a literal that every match of a regular expression must contain,
/// so that a fast byte search can rule out whole blocks before the regex
/// runs. Conservative: when in doubt there is no literal (and no prefilter),
/// never a wrong one.
///
/// Handled: runs of plain characters and escaped punctuation at the top
/// level (outside groups and classes); a quantifier that allows zero
/// repetitions (`?`, `*`, `{0`) drops the character before it (the whole
/// character: PCRE2 runs in UTF mode); `+` keeps it. Escapes that match a
/// class or position (`\d`, `\b`, ...) end a run. Any alternation (`|`),
/// inline flags, and escapes that take an argument or stand for a character
/// (`\x41`, `\0101`, `\cK`, `\Q...\E`, `\p{L}`, `\n`) give up.
public enum RequiredLiteral {
    public static func extract(from pattern: [UInt8]) -> [UInt8]? {
        // Characters are read as UTF-8 below (a quantifier takes a whole
        // one); with invalid UTF-8 what PCRE2 makes of the bytes is not
        // worth guessing.
        guard String(validating: pattern, as: UTF8.self) != nil else { return nil }
        // PCRE2 10.43 and later take "{ 2 }" as a repeat; 10.42 (Debian 12)
        // as text. Which one runs is the system's choice: give up.
        guard !RequiredLiteral.hasSpacedRepeat(pattern) else { return nil }
        var scan = Scan(pattern: pattern)
        return scan.scanAll()
    }

    /// The scanning state: the position, the run of literals being read and
    /// the longest complete run so far.
    private struct Scan {
        let pattern: [UInt8]
        var i = 0
        var depth = 0
        var run: [UInt8] = []
        var best: [UInt8] = []

        mutating func endRun() {
            if run.count > best.count { best = run }
            run = []
        }

        mutating func scanAll() -> [UInt8]? {
            while i < pattern.count {
                let c = pattern[i]
                switch c {
                case UInt8(ascii: "|"):
                    return nil
                case UInt8(ascii: "("):
                    if i + 1 < pattern.count && pattern[i + 1] == UInt8(ascii: "?") {
                        // (?: is a plain group; (?i) and the like change matching: give up.
                        guard i + 2 < pattern.count, pattern[i + 2] == UInt8(ascii: ":") else { return nil }
                    }
                    endRun()
                    depth += 1
                    i += 1
                case UInt8(ascii: ")"):
                    endRun()
                    depth -= 1
                    i += 1
                    // A quantified group: runs end at "(", so nothing else is affected.
                    RequiredLiteral.skipQuantifier(pattern, &i)
                case UInt8(ascii: "["):
                    endRun()
                    i = RequiredLiteral.skipClass(pattern, from: i)
                    RequiredLiteral.skipQuantifier(pattern, &i)
                case UInt8(ascii: "."), UInt8(ascii: "^"), UInt8(ascii: "$"):
                    endRun()
                    i += 1
                    RequiredLiteral.skipQuantifier(pattern, &i)
                case UInt8(ascii: "?"), UInt8(ascii: "*"), UInt8(ascii: "+"):
                    // A stray quantifier (those after literals are handled in append).
                    endRun()
                    i += 1
                case UInt8(ascii: "{"):
                    if let counted = RequiredLiteral.countedRepeat(pattern, at: i) {
                        endRun()
                        i = counted.end
                    } else {
                        // A brace that starts no repeat is a literal one, and a
                        // repeat after it applies to it ("{{0}" matches "").
                        i += 1
                        if depth == 0 { append([c]) }
                    }
                case UInt8(ascii: "\\"):
                    guard i + 1 < pattern.count else { return nil }
                    let e = pattern[i + 1]
                    let isPunctuation = (e >= 0x21 && e <= 0x2F) || (e >= 0x3A && e <= 0x40) || (e >= 0x5B && e <= 0x60) || (e >= 0x7B && e <= 0x7E)
                    i += 2
                    if isPunctuation {
                        if depth == 0 { append([e]) }
                    } else if "dDwWsShHvVbBAzZGRXK".utf8.contains(e) {
                        // A class or a position: the run ends here.
                        endRun()
                        RequiredLiteral.skipQuantifier(pattern, &i)
                    } else {
                        // \x41, \0101, \cK, \g1, \Q...\E and the like: what
                        // follows is an argument, not literal text.
                        return nil
                    }
                default:
                    // A UTF-8 character is one unit: `é?` may drop both of
                    // its bytes, not just the last.
                    let length = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1
                    let character = Array(pattern[i..<min(i + length, pattern.count)])
                    i += character.count
                    if c < 0x20 {
                        // A control character (a tab, say) matches itself, but
                        // it must not be left out of a run: "a<TAB>b" holds
                        // no "ab". Ending the run is enough.
                        endRun()
                        RequiredLiteral.skipQuantifier(pattern, &i)
                    } else if depth == 0 {
                        append(character)
                    }
                }
            }
            endRun()
            return best.isEmpty ? nil : best
        }

        /// Adds the character `c` (just read) to the run unless a quantifier
        /// that allows zero copies follows it.
        mutating func append(_ c: [UInt8]) {
            guard i < pattern.count else { run += c; return }
            switch pattern[i] {
            case UInt8(ascii: "?"), UInt8(ascii: "*"):
                endRun()
                RequiredLiteral.skipQuantifier(pattern, &i)
            case UInt8(ascii: "{"):
                // Not a counted repeat ("a{x"): a literal brace, which the
                // main loop takes as the end of the run.
                guard let counted = RequiredLiteral.countedRepeat(pattern, at: i) else { run += c; return }
                if !counted.allowsZero { run += c }
                endRun()
                i = counted.end
            case UInt8(ascii: "+"):
                run += c
                endRun()
                RequiredLiteral.skipQuantifier(pattern, &i)
            default:
                run += c
            }
        }
    }

    private static func skipQuantifier(_ pattern: [UInt8], _ i: inout Int) {
        guard i < pattern.count else { return }
        switch pattern[i] {
        case UInt8(ascii: "?"), UInt8(ascii: "*"), UInt8(ascii: "+"):
            i += 1
        case UInt8(ascii: "{"):
            // Only a well-formed counted repeat: skipping to the next "}"
            // from a literal brace once skipped a "|" as well.
            guard let counted = countedRepeat(pattern, at: i) else { return }
            i = counted.end
        default:
            return
        }
        if i < pattern.count, pattern[i] == UInt8(ascii: "?") || pattern[i] == UInt8(ascii: "+") { i += 1 }
    }

    /// The counted repeat `{n}`, `{n,}`, `{n,m}` or `{,m}` starting at `i`
    /// (a brace): where it ends, and whether it allows zero copies (`{,m}`
    /// counts as a repeat, as in PCRE2 10.43 and later, and allows zero);
    /// nil when the brace does not start one and so matches itself.
    static func countedRepeat(_ pattern: [UInt8], at i: Int) -> (end: Int, allowsZero: Bool)? {
        func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }
        var j = i + 1
        var lowDigits = 0, lowIsZero = true
        while j < pattern.count && isDigit(pattern[j]) {
            lowIsZero = lowIsZero && pattern[j] == UInt8(ascii: "0")
            lowDigits += 1
            j += 1
        }
        var highDigits = 0
        if j < pattern.count && pattern[j] == UInt8(ascii: ",") {
            j += 1
            while j < pattern.count && isDigit(pattern[j]) { highDigits += 1; j += 1 }
        }
        guard j < pattern.count, pattern[j] == UInt8(ascii: "}"), lowDigits + highDigits > 0 else { return nil }
        return (j + 1, lowIsZero)
    }

    /// A brace holding only digits, commas, spaces and tabs, with a space or
    /// tab among them, before its "}".
    static func hasSpacedRepeat(_ pattern: [UInt8]) -> Bool {
        for i in pattern.indices where pattern[i] == UInt8(ascii: "{") {
            var j = i + 1, spaced = false
            while j < pattern.count, "0123456789, \t".utf8.contains(pattern[j]) {
                if pattern[j] == UInt8(ascii: " ") || pattern[j] == 0x09 { spaced = true }
                j += 1
            }
            if spaced && j < pattern.count && pattern[j] == UInt8(ascii: "}") { return true }
        }
        return false
    }

    private static func skipClass(_ pattern: [UInt8], from start: Int) -> Int {
        var i = start + 1
        if i < pattern.count && pattern[i] == UInt8(ascii: "^") { i += 1 }
        if i < pattern.count && pattern[i] == UInt8(ascii: "]") { i += 1 }
        while i < pattern.count && pattern[i] != UInt8(ascii: "]") {
            i += pattern[i] == UInt8(ascii: "\\") ? 2 : 1
        }
        return i + 1
    }

    /// True when `pattern` has no regex syntax at all: it can be searched as a literal.
    public static func isPlainLiteral(_ pattern: [UInt8]) -> Bool {
        !pattern.contains { "\\^$.|?*+()[]{}".utf8.contains($0) }
    }
}

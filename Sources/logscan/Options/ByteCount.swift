import ArgumentParser

/// A byte count on the command line: `65536`, `64K`, `64KiB`, `1M`, `1G`
/// (binary multiples; a trailing "B" or "iB" is accepted).
struct ByteCount: ExpressibleByArgument, CustomStringConvertible {
    var bytes: Int

    init(_ bytes: Int) { self.bytes = bytes }

    init?(argument: String) {
        var text = Substring(argument.trimmingPrefix(" "))
        var multiplier = 1
        for suffix in ["iB", "B"] where text.hasSuffix(suffix) && text.count > suffix.count {
            text = text.dropLast(suffix.count)
            break
        }
        if let last = text.last {
            switch last {
            case "K", "k": multiplier = 1 << 10
            case "M", "m": multiplier = 1 << 20
            case "G", "g": multiplier = 1 << 30
            default: break
            }
            if multiplier != 1 { text = text.dropLast() }
        }
        guard let value = Int(text), value > 0, value <= Int.max / multiplier else { return nil }
        bytes = value * multiplier
    }

    var description: String { String(bytes) }
    static var defaultCompletionKind: CompletionKind { .default }
}

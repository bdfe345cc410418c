/// A native log is a directory of segments named `<20-digit base sequence>.seg`,
/// each with its index `<same>.idx`. Lexical order is sequence order.
public struct NativeSegmentFile: Sendable, Equatable {
    public var path: String
    public var baseSequence: UInt64
    public var indexPath: String {
        String(path.dropLast(NativeFormat.segmentExtension.count)) + NativeFormat.indexExtension
    }
}

public enum NativeLogDirectory {
    /// The segment files of the log in `directory`, in sequence order.
    public static func segments(in directory: String) throws(LogScanError) -> [NativeSegmentFile] {
        var found: [NativeSegmentFile] = []
        for name in try Directory.entries(directory) {
            guard let base = baseSequence(ofFileName: name) else { continue }
            found.append(NativeSegmentFile(path: Directory.join(directory, name), baseSequence: base))
        }
        return found.sorted { $0.baseSequence < $1.baseSequence }
    }

    /// The base sequence named by a segment file name, or nil if it is not one.
    public static func baseSequence(ofFileName name: String) -> UInt64? {
        let suffix = "." + NativeFormat.segmentExtension
        guard name.hasSuffix(suffix) else { return nil }
        let digits = name.dropLast(suffix.count)
        guard digits.count == 20, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return UInt64(digits)
    }
}

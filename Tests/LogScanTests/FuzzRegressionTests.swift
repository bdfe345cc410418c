import Foundation
import Testing
@testable import LogScan

/// Every input a fuzzer ever found a problem with (testdata/fuzz/<target>/)
/// and the seeds it starts from, replayed through the same entry points
/// `logscan-fuzz` uses: none may crash.
@Suite struct FuzzRegressionTests {
    static let targets: [String: @Sendable (UnsafeRawBufferPointer) -> Void] = [
        "native-segment": FuzzTargets.nativeSegment,
        "native-index": FuzzTargets.nativeIndex,
        "lz4-block": FuzzTargets.lz4Block,
        "search": FuzzTargets.search,
        "prefilter": FuzzTargets.prefilter,
    ]

    static func files(under directory: String) -> [String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return [] }
        return names.sorted().map { directory + "/" + $0 }
    }

    @Test(arguments: targets.keys.sorted())
    func regressionsAndSeedsDoNotCrash(target: String) throws {
        var inputs = Self.files(under: repositoryRoot + "/testdata/fuzz/" + target)
        inputs += Self.files(under: repositoryRoot + "/testdata/native/damaged").filter { $0.hasSuffix(".seg") }
        inputs += Self.files(under: repositoryRoot + "/testdata/native/sample")
        for input in inputs {
            let bytes = readFile(input)
            bytes.withUnsafeBytes { Self.targets[target]!($0) }
        }
        // Every prefix of one segment, too (cheap truncation fuzzing).
        let segment = readFile(repositoryRoot + "/testdata/native/base/00000000000000000000.seg")
        for cut in stride(from: 0, to: segment.count, by: 97) {
            Array(segment.prefix(cut)).withUnsafeBytes { Self.targets[target]!($0) }
        }
    }
}

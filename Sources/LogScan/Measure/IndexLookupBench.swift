/// Page faults per index lookup, for `logscan bench --index-lookups`: the
/// plain binary search against the page-aware one (`PageAwareSearch`), with
/// and without its in-memory page samples, on an index evicted from the page
/// cache first.
public enum IndexLookupBench {
    public enum Strategy: String, CaseIterable, Sendable {
        /// The binary search lookups used before: log2(pages) pages cold.
        case binary
        /// Probes by page, interpolated: a few pages.
        case pageAware = "page-aware"
        /// Page samples read first (one pass), then at most two pages a lookup.
        case sampled
    }

    public struct Result: Sendable {
        public var strategy: Strategy
        /// "one lookup per cold open" or "N lookups on one cold open".
        public var scenario: String
        public var lookups: Int
        public var minorFaults: Int64
        public var majorFaults: Int64
        /// Distinct index pages the lookups read (summed over lookups).
        public var pagesRead: Int
        public var seconds: Double
        /// Faults and time of building the samples (sampled only), not in the above.
        public var setupMinorFaults: Int64 = 0
        public var setupMajorFaults: Int64 = 0
        public var setupSeconds: Double = 0
        /// Every lookup found the entry the binary search finds.
        public var agrees: Bool
    }

    /// Runs `lookups` floor lookups of random sequence numbers against the
    /// native index at `path`, once per strategy and scenario:
    /// `coldOpens` times "evict, open, one lookup", and once "evict, open,
    /// `lookups` lookups".
    public static func run(indexPath path: String, lookups: Int, coldOpens: Int, seed: UInt64 = 7) throws(LogScanError) -> [Result] {
        // The targets and their answers come from an index object that is
        // gone before the measuring starts: pages a live mapping holds
        // cannot be evicted, and would make every later lookup warm.
        let (targets, expected) = try plan(path: path, count: max(lookups, coldOpens), seed: seed)
        guard !targets.isEmpty else { return [] }
        return try measureAll(path: path, lookups: lookups, coldOpens: coldOpens, targets: targets, expected: expected)
    }

    private static func plan(path: String, count: Int, seed: UInt64) throws(LogScanError) -> ([UInt64], [Int64]) {
        let probe = try NativeIndex(path: path)
        guard probe.entryCount > 0 else { return ([], []) }
        let first = try probe.entry(0).firstSequence
        let last = try probe.entry(probe.entryCount - 1).firstSequence
        var rng = seed
        func next() -> UInt64 {
            rng &+= 0x9E37_79B9_7F4A_7C15
            var z = rng
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        let span = last - first + 1
        let targets = (0..<count).map { _ in first + next() % span }
        var expected: [Int64] = []
        for t in targets { expected.append(try probe.binarySearchFloor(sequence: t)?.position ?? -1) }
        return (targets, expected)
    }

    private static func measureAll(path: String, lookups: Int, coldOpens: Int, targets: [UInt64], expected: [Int64]) throws(LogScanError) -> [Result] {
        var results: [Result] = []
        for strategy in Strategy.allCases {
            // One lookup per cold open: what `replay --from` does.
            var single = Result(strategy: strategy, scenario: "one lookup per cold open", lookups: coldOpens,
                                minorFaults: 0, majorFaults: 0, pagesRead: 0, seconds: 0, agrees: true)
            for i in 0..<coldOpens {
                let r = try measure(strategy, path: path, targets: [targets[i]], expected: [expected[i]])
                single.minorFaults += r.minorFaults
                single.majorFaults += r.majorFaults
                single.pagesRead += r.pagesRead
                single.seconds += r.seconds
                single.setupMinorFaults += r.setupMinorFaults
                single.setupMajorFaults += r.setupMajorFaults
                single.setupSeconds += r.setupSeconds
                single.agrees = single.agrees && r.agrees
            }
            results.append(single)
            var many = try measure(strategy, path: path, targets: Array(targets.prefix(lookups)), expected: Array(expected.prefix(lookups)))
            many.scenario = "\(lookups) lookups on one cold open"
            results.append(many)
        }
        return results
    }

    private static func measure(_ strategy: Strategy, path: String, targets: [UInt64], expected: [Int64]) throws(LogScanError) -> Result {
        _ = IOBench.evict([path], dropCaches: false)
        let index = try NativeIndex(path: path)
        index.samplingAfterLookups = Int.max
        var result = Result(strategy: strategy, scenario: "", lookups: targets.count, minorFaults: 0, majorFaults: 0,
                            pagesRead: 0, seconds: 0, agrees: true)
        if strategy == .sampled {
            let before = ResourceUsage.now()
            try index.buildPageSamples()
            let after = ResourceUsage.now()
            result.setupMinorFaults = after.minorFaults - before.minorFaults
            result.setupMajorFaults = after.majorFaults - before.majorFaults
            result.setupSeconds = Double(after.monotonicNanos - before.monotonicNanos) / 1e9
        }
        var found: [Int64] = []
        found.reserveCapacity(targets.count)
        var pages = 0
        let before = ResourceUsage.now()
        for t in targets {
            switch strategy {
            case .binary:
                found.append(try index.binarySearchFloor(sequence: t)?.position ?? -1)
                pages += index.pagesTouchedByLastLookup
            case .pageAware, .sampled:
                found.append(try index.floor(sequence: t)?.position ?? -1)
                pages += index.pagesTouchedByLastLookup
            }
        }
        let after = ResourceUsage.now()
        result.minorFaults = after.minorFaults - before.minorFaults
        result.majorFaults = after.majorFaults - before.majorFaults
        result.seconds = Double(after.monotonicNanos - before.monotonicNanos) / 1e9
        result.pagesRead = pages
        result.agrees = found == expected
        return result
    }
}

/// Search over a file of sorted fixed-size entries (an index) that touches
/// few pages of it. A plain binary search over a cold index of n pages faults
/// in about log2(n) of them, one disk wait each (Kafka's broker met lookups
/// taking a second that way, and now keeps the index's tail warm).
///
/// Here each probe reads one page: the first and the last entry wholly inside
/// it bound every entry between, so the probe either ends the search inside
/// that page or cuts the range at the page's edge. The page to probe is
/// interpolated from the keys known at the range's ends (offsets and
/// timestamps of an append-only log grow about linearly with their position),
/// with a bisection whenever interpolation fails to halve the range, so a
/// skewed index costs at worst about twice the pages of a binary search.
/// When the range fits in two pages they are advised MADV_WILLNEED together
/// (one read for both) and searched without further page touches.
///
/// With `samples` (one key per page, built by `buildSamples`), a lookup
/// searches them in memory first and touches at most the two pages that hold
/// its answer.
struct PageAwareSearch {
    let headerBytes: Int
    let entrySize: Int
    let count: Int
    let pageBytes: Int

    /// Distinct pages the last lookup read entries from, and the total over all lookups.
    private(set) var lastLookupPages = 0
    private(set) var pagesTouched = 0
    /// Key of the first entry starting in each page (nil until built).
    private(set) var samples: [Int64]? = nil

    init(headerBytes: Int, entrySize: Int, count: Int, pageBytes: Int = PageSize.bytes) {
        self.headerBytes = headerBytes
        self.entrySize = entrySize
        self.count = count
        self.pageBytes = pageBytes
    }

    /// Entry indices wholly inside page `page`, as a (possibly empty) range.
    func entriesInside(page: Int) -> Range<Int> {
        let pageStart = page * pageBytes, pageEnd = pageStart + pageBytes
        let first = max(0, (pageStart - headerBytes + entrySize - 1) / entrySize)
        let end = min(count, max(0, (pageEnd - headerBytes) / entrySize))
        return first..<max(first, end)
    }

    func page(ofEntry i: Int) -> Int { (headerBytes + i * entrySize) / pageBytes }

    /// The first entry index whose key is past `target` (`key > target`, or
    /// `key >= target` when `inclusive`), assuming keys never decrease.
    /// `key(i)` reads entry i; `willNeed(offset, count)` advises bytes of the file.
    mutating func partitionPoint(
        target: Int64, inclusive: Bool,
        key readKey: (Int) throws(LogScanError) -> Int64,
        willNeed: (Int64, Int) -> Void
    ) throws(LogScanError) -> Int {
        var pages: [Int] = []
        defer {
            lastLookupPages = pages.count
            pagesTouched += pages.count
        }
        let headerBytes = headerBytes, entrySize = entrySize, pageBytes = pageBytes
        func key(_ i: Int) throws(LogScanError) -> Int64 {
            let first = (headerBytes + i * entrySize) / pageBytes, last = (headerBytes + (i + 1) * entrySize - 1) / pageBytes
            if !pages.contains(first) { pages.append(first) }
            if last != first && !pages.contains(last) { pages.append(last) }
            return try readKey(i)
        }
        @inline(__always) func after(_ k: Int64) -> Bool { inclusive ? k >= target : k > target }
        var low = 0, high = count  // entries < low: not after; entries >= high: after
        var lowKey: Int64? = nil, highKey: Int64? = nil  // keys of entries low-1 and high, when read
        if let samples, !samples.isEmpty {
            // The first page whose first entry is after the target: the
            // answer lies between the previous page's first entry and it.
            var a = 0, b = samples.count
            while a < b {
                let m = (a + b) / 2
                if after(samples[m]) { b = m } else { a = m + 1 }
            }
            if a < samples.count { high = min(high, entriesInside(page: a).lowerBound) }
            if a > 0 { low = min(high, min(count - 1, entriesInside(page: a - 1).lowerBound) + 1) }
        } else if count > 0 && pageSpan(low, high) > 2 {
            // The ends first: the tail is where most lookups of a live log
            // land (what Kafka keeps warm), and both ends anchor the
            // interpolation.
            let firstKey = try key(0)
            if after(firstKey) { return 0 }
            let lastKey = try key(count - 1)
            if !after(lastKey) { return count }
            low = 1; lowKey = firstKey
            high = count - 1; highKey = lastKey
        }
        var interpolate = true
        while low < high {
            if pageSpan(low, high) <= 2 {
                // Two pages at most: ask for both at once, then bisect inside.
                willNeed(Int64(headerBytes + low * entrySize), (high - low) * entrySize)
                while low < high {
                    let m = (low + high) / 2
                    if after(try key(m)) { high = m } else { low = m + 1 }
                }
                return low
            }
            let before = high - low
            var probe = (low + high) / 2
            if interpolate, let lk = lowKey, let hk = highKey, hk > lk {
                let fraction = (Double(target) - Double(lk)) / (Double(hk) - Double(lk))
                if fraction.isFinite {
                    let guess = Double(low) + fraction * Double(high - low)
                    probe = Int(min(Double(high - 1), max(Double(low), guess)))
                }
            }
            let inside = entriesInside(page: page(ofEntry: probe))
            let first = max(inside.lowerBound, low), last = min(inside.upperBound, high) - 1
            if first > last {
                // No whole entry of this page inside the range: one plain step.
                let k = try key(probe)
                if after(k) { high = probe; highKey = k } else { low = probe + 1; lowKey = k }
                interpolate = false
                continue
            }
            let firstKey = try key(first)
            if after(firstKey) {
                high = first
                highKey = firstKey
            } else {
                let lastKey = try key(last)
                if !after(lastKey) {
                    low = last + 1
                    lowKey = lastKey
                } else {
                    // The answer is in (first, last]: all on this page.
                    low = first + 1
                    high = last
                    while low < high {
                        let m = (low + high) / 2
                        if after(try key(m)) { high = m } else { low = m + 1 }
                    }
                    return low
                }
            }
            // Interpolation that did not halve the range gives way to a
            // bisection next time (a skewed index stays O(log) pages).
            interpolate = (high - low) * 2 <= before
        }
        return low
    }

    /// Pages spanned by entries [low, high).
    private func pageSpan(_ low: Int, _ high: Int) -> Int {
        guard high > low else { return 0 }
        return (headerBytes + high * entrySize - 1) / pageBytes - (headerBytes + low * entrySize) / pageBytes + 1
    }

    /// Reads the first whole entry of every page: one pass over the index,
    /// front to back (the whole index asked for first with `willNeed`),
    /// after which a lookup touches at most two pages.
    mutating func buildSamples(key: (Int) throws(LogScanError) -> Int64,
                               willNeed: (Int64, Int) -> Void = { _, _ in }) throws(LogScanError) {
        guard count > 0 else { samples = []; return }
        // One request for the whole index: the pass then finds its pages
        // read, instead of faulting them in one at a time.
        willNeed(0, headerBytes + count * entrySize)
        let pages = page(ofEntry: count - 1) + 1
        var keys: [Int64] = []
        keys.reserveCapacity(pages)
        for p in 0..<pages {
            let inside = entriesInside(page: p)
            // A page where no entry starts (entries larger than a page)
            // borrows the next entry's key: keys never decrease, so the
            // bound stays valid.
            keys.append(try key(min(count - 1, inside.lowerBound)))
        }
        samples = keys
    }
}

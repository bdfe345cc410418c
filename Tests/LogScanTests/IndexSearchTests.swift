import Foundation
import Testing
@testable import LogScan

/// Page-aware index search on a large index: the same answers as a search
/// over the generated entries themselves, touching few pages.
@Suite struct IndexSearchTests {
    /// 1M entries (24 MB): sequence gaps of 1...200 with rare jumps of a
    /// billion (interpolation is then badly wrong and must fall back), and
    /// timestamps that plateau (maxTimestampSoFar repeats).
    static func makeIndex(_ path: String, count: Int, jumps: Bool = true) -> [NativeIndexEntry] {
        var rng = SplitMix64(seed: 99)
        var entries: [NativeIndexEntry] = []
        entries.reserveCapacity(count)
        var sequence: UInt64 = 1_000, position: Int64 = 0, time: Int64 = 1_700_000_000_000
        var bytes = NativeIndex.encodeHeader(baseSequence: sequence)
        bytes.reserveCapacity(NativeFormat.indexHeaderSize + count * NativeFormat.indexEntrySize)
        for _ in 0..<count {
            let entry = NativeIndexEntry(firstSequence: sequence, position: position, maxTimestampSoFar: time)
            entries.append(entry)
            NativeIndex.encode(entry, into: &bytes)
            sequence += jumps && rng.next() % 1_000 == 0 ? 1_000_000_000 : 1 + rng.next() % 200
            position += 4096 + Int64(rng.next() % 4096)
            if rng.next() % 3 != 0 { time += Int64(rng.next() % 50) }
        }
        writeFile(path, bytes)
        return entries
    }

    /// The reference answers, computed over the array the index was written from.
    static func floor(_ entries: [NativeIndexEntry], _ sequence: UInt64) -> NativeIndexEntry? {
        let i = entries.partitioningIndex { $0.firstSequence > sequence }
        return i == 0 ? nil : entries[i - 1]
    }

    static func reaching(_ entries: [NativeIndexEntry], _ time: Int64) -> Int? {
        let i = entries.partitioningIndex { $0.maxTimestampSoFar >= time }
        return i == entries.count ? nil : i
    }

    @Test(arguments: [true, false])
    func largeIndexLookupsFindTheRightEntries(jumps: Bool) throws {
        let dir = TemporaryDirectory()
        let path = dir.file("big.idx")
        let entries = Self.makeIndex(path, count: 1_000_000, jumps: jumps)
        var rng = SplitMix64(seed: 3)
        let low = entries.first!.firstSequence, high = entries.last!.firstSequence
        var targets: [UInt64] = [0, low - 1, low, low + 1, high - 1, high, high + 1, .max]
        for _ in 0..<1500 { targets.append(low + rng.next() % (high - low + 100)) }
        // Exact hits too: every kind of entry, including those after a jump.
        for _ in 0..<300 { targets.append(entries[Int(rng.next() % UInt64(entries.count))].firstSequence) }
        let t0 = entries.first!.maxTimestampSoFar, t1 = entries.last!.maxTimestampSoFar
        var times: [Int64] = [.min, t0 - 1, t0, t1, t1 + 1, .max]
        for _ in 0..<800 { times.append(t0 + Int64(rng.next() % UInt64(t1 - t0 + 10))) }

        var plainPages = 0, pageAwarePages = 0
        for sampled in [false, true] {
            let index = try NativeIndex(path: path)
            #expect(index.entryCount == entries.count)
            index.samplingAfterLookups = sampled ? 0 : .max
            for t in targets {
                let found = try index.floor(sequence: t)
                #expect(found == Self.floor(entries, t), "floor(\(t)) sampled=\(sampled)")
                if sampled {
                    #expect(index.pagesTouchedByLastLookup <= 2, "floor(\(t)) read \(index.pagesTouchedByLastLookup) pages")
                } else {
                    pageAwarePages += index.pagesTouchedByLastLookup
                    _ = try index.binarySearchFloor(sequence: t)
                    plainPages += index.pagesTouchedByLastLookup
                }
            }
            #expect(index.hasPageSamples == sampled)
            for time in times {
                #expect(try index.firstIndex(reachingTimestamp: time) == Self.reaching(entries, time), "reaching \(time) sampled=\(sampled)")
                if sampled { #expect(index.pagesTouchedByLastLookup <= 2) }
            }
        }
        if jumps {
            // A staircase of keys defeats interpolation: the bisection
            // fallback keeps it within twice the binary search's pages.
            #expect(pageAwarePages <= plainPages * 2, "page-aware \(pageAwarePages) pages, binary \(plainPages)")
        } else {
            // Keys that grow evenly (an append-only log's): a few pages a
            // lookup, a fraction of the binary search's.
            #expect(pageAwarePages * 2 < plainPages, "page-aware \(pageAwarePages) pages, binary \(plainPages)")
        }
    }

    @Test func smallAndEmptyIndexes() throws {
        let dir = TemporaryDirectory()
        for count in [0, 1, 2, 169, 170, 171, 400] {
            let path = dir.file("i\(count).idx")
            let entries = Self.makeIndex(path, count: count)
            let index = try NativeIndex(path: path, io: IOOptions(mode: count % 2 == 0 ? .pread : .mmap))
            for sampled in [false, true] {
                index.samplingAfterLookups = sampled ? 0 : .max
                for t in [0, 999, 1_000, 1_001, 5_000, 50_000, 2_000_000_000, UInt64.max] {
                    #expect(try index.floor(sequence: t) == Self.floor(entries, t), "count \(count) floor(\(t))")
                }
                for time in [Int64.min, 1_700_000_000_000, 1_700_000_000_500, 1_700_000_005_000, .max] {
                    #expect(try index.firstIndex(reachingTimestamp: time) == Self.reaching(entries, time), "count \(count) time \(time)")
                }
            }
        }
    }
}

extension Array {
    /// The first index whose element satisfies `isAfter` (which never goes from true to false).
    func partitioningIndex(where isAfter: (Element) -> Bool) -> Int {
        var low = 0, high = count
        while low < high {
            let mid = (low + high) / 2
            if isAfter(self[mid]) { high = mid } else { low = mid + 1 }
        }
        return low
    }
}

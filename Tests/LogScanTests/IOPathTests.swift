import Foundation
import Testing
@testable import LogScan
import CLogScanSupport

/// The I/O paths `logscan bench` compares: O_DIRECT reads what pread reads,
/// and bench itself runs every path and agrees on the records.
@Suite struct IOPathTests {
    @Test func directReadsTheSameRecordsAsPread() throws {
        let dir = TemporaryDirectory()
        // Segments of several 1 MiB read-ahead chunks, records straddling
        // chunk boundaries, file sizes not multiples of the alignment.
        let records = randomRecords(900, maxValue: 40 << 10, seed: 77)
        let written = try writeLog(dir.path, records, options: NativeWriterOptions(segmentBytes: 6 << 20, blockBytes: 32 << 10))
        let (viaPread, preadSummary) = replay(dir.path, ReplayOptions(io: IOOptions(mode: .pread)))
        let (viaDirect, directSummary) = replay(dir.path, ReplayOptions(io: IOOptions(mode: .direct)))
        #expect(viaDirect.failures.isEmpty && viaDirect.damage.isEmpty, "\(viaDirect.failures)")
        #expect(directSummary.records == written.count)
        #expect(viaDirect.records.count == viaPread.records.count && preadSummary.records == written.count)
        #expect(zip(viaDirect.records, viaPread.records).allSatisfy { $0.sameContent($1) && $0.position == $1.position })
        #expect(zip(viaDirect.records, written).allSatisfy { $0.sameContent($1) })
        let reports = directSummary.io.map(\.report)
        #expect(!reports.isEmpty && reports.allSatisfy { $0.directAlignment != nil && $0.readAhead })
        // A seek through the index with O_DIRECT: the index is read with
        // plain pread, the segment from an aligned offset below the block.
        var from = ReplayOptions(io: IOOptions(mode: .direct))
        from.fromOffset = written[700].offset
        let (tail, _) = replay(dir.path, from)
        #expect(tail.records.first.map { $0.sameContent(written[700]) } == true)
        #expect(tail.records.count == written.count - 700)
    }

    /// `--io auto` reads a scan of a cold large file with pread +
    /// read-ahead and of a warm one by pread too, and says why. Residency is set up with
    /// posix_fadvise (evict) and read() (warm), which the test directory's
    /// file system (ext4 under /tmp) honours.
    @Test func autoDecidesByPageCacheResidency() throws {
        let dir = TemporaryDirectory()
        let written = try writeLog(dir.path, randomRecords(6000, maxValue: 64 << 10, seed: 5),
                                   options: NativeWriterOptions(segmentBytes: 64 << 20, blockBytes: 64 << 10))
        let segments = try NativeLogDirectory.segments(in: dir.path).map(\.path)
        #expect(segments.count == 1)
        let size = Directory.fileSize(segments[0])
        #expect(size >= Int64(IOOptions().coldPreadBytes), "the log must be large enough to count as a large file")

        _ = IOBench.evict(segments, dropCaches: false)
        let cold = replay(dir.path)
        #expect(cold.1.records == written.count)
        let coldReport = try #require(cold.1.io.first?.report)
        #expect(coldReport.path == .pread && coldReport.readAhead, "\(coldReport.summary)")
        #expect(coldReport.autoReason?.hasSuffix("cached, cold") == true, "\(coldReport.summary)")

        IOBench.warm(segments)
        let warm = replay(dir.path)
        #expect(zip(warm.0.records, cold.0.records).allSatisfy { $0.sameContent($1) } && warm.1.records == written.count)
        let warmReport = try #require(warm.1.io.first?.report)
        // Warm: through the read-ahead thread when a core is spare for it.
        // When none is, how the page cache holds the file decides: large
        // folios (a fault maps a whole folio) are mapped, order-0 folios
        // copied synchronously into one buffer. How IOBench.warm left the
        // file depends on the kernel and file system, so the test asks the
        // same probe.
        let probed = try OpenFile(path: segments[0])
        let perFault = try #require(PageCacheProbe.pagesPerFault(fd: probed.descriptor.rawValue, size: size))
        let large = perFault >= PageCacheProbe.largeFolioPagesPerFault
        func expectWarm(_ report: IOReport, spareCore: Bool) {
            if spareCore {
                #expect(report.path == .pread && report.readAhead
                        && report.autoReason == "100% cached, read-ahead on a spare core", "\(report.summary)")
            } else if large {
                #expect(report.path == .mmap && report.autoReason?.hasPrefix("100% cached in large folios") == true,
                        "\(report.summary)")
            } else {
                #expect(report.path == .pread && !report.readAhead
                        && report.autoReason == "100% cached, no spare core", "\(report.summary)")
            }
        }
        func expectNoSpareCore(_ source: ByteSource) { expectWarm(source.report, spareCore: false) }
        expectWarm(warmReport, spareCore: ByteSource.onlineCPUs >= 2)
        var noThread = IOOptions()
        noThread.readAheadThread = false
        let synchronous = try ByteSource(file: OpenFile(path: segments[0]), options: noThread, purpose: .scan)
        expectNoSpareCore(synchronous)
        // The same when every core already decodes (parallel grep's workers).
        var allBusy = IOOptions()
        allBusy.decodingThreads = ByteSource.onlineCPUs
        let busy = try ByteSource(file: OpenFile(path: segments[0]), options: allBusy, purpose: .scan)
        expectNoSpareCore(busy)
        // Cold ones still read ahead, whatever the cores.
        _ = IOBench.evict(segments, dropCaches: false)
        let coldBusy = try ByteSource(file: OpenFile(path: segments[0]), options: allBusy, purpose: .scan)
        #expect(coldBusy.report.path == .pread && coldBusy.report.readAhead, "\(coldBusy.report.summary)")
        IOBench.warm(segments)
        // What the synchronous path hands out is the file's bytes, whatever
        // the request's offset within a page (the buffer keeps the file's
        // page phase, moves a straddled tail, and grows for a request larger
        // than itself).
        var copyOptions = IOOptions(mode: .pread)
        copyOptions.readAheadThread = false
        let copying = try ByteSource(file: OpenFile(path: segments[0]), options: copyOptions, purpose: .scan)
        #expect(copying.report.path == .pread && !copying.report.readAhead, "\(copying.report.summary)")
        let fileBytes = try #require(FileManager.default.contents(atPath: segments[0]))
        for (offset, count) in [(0, 64), (4095, 3), (1 << 20 - 7, 100), (1 << 20 + 4097, (1 << 20) + 5000),
                                ((2 << 20) + 10000, 5), (12345, 70000), (3, 1)] {
            let view = try copying.bytes(at: Int64(offset), count: count)
            #expect(view.count == count && view.elementsEqual(fileBytes[offset..<offset + count]), "bytes at \(offset)")
        }
        // A file whose sampled pages are all cached gets no read-ahead advice
        // (it would only look every page up again); one mapped on request keeps it.
        #expect(busy.report.advice == .none && synchronous.report.advice == .none, "\(busy.report.summary)")
        let asked = try ByteSource(file: OpenFile(path: segments[0]), options: IOOptions(mode: .mmap), purpose: .scan)
        #expect(asked.report.advice == .willneed, "\(asked.report.summary)")

        // Index files and seeks are lookups: mapped whatever their residency.
        let lookup = try ByteSource(file: OpenFile(path: segments[0]), options: IOOptions(), purpose: .lookup)
        #expect(lookup.report.path == .mmap && lookup.report.autoReason == "lookup")
    }

    /// A file read into the page cache page by page with read-ahead off is
    /// held in order-0 folios: a fault maps the kernel's fault-around (16
    /// pages), well under the large-folio threshold, and auto then copies a
    /// warm scan that has no spare core instead of mapping it.
    @Test func orderZeroFoliosAreToldApart() throws {
        let dir = TemporaryDirectory()
        let path = dir.path + "/pages"
        var bytes = [UInt8](repeating: 0, count: 8 << 20)
        for i in bytes.indices { bytes[i] = UInt8(truncatingIfNeeded: i &* 2654435761 >> 13) }
        writeFile(path, bytes)
        let file = try OpenFile(path: path)
        let fd = file.descriptor.rawValue
        _ = fsync(fd)  // dirty pages are not dropped
        _ = posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED)
        _ = posix_fadvise(fd, 0, 0, POSIX_FADV_RANDOM)
        var page = [UInt8](repeating: 0, count: 4096)
        for offset in stride(from: 0, to: bytes.count, by: 4096) {
            #expect(pread(fd, &page, 4096, off_t(offset)) == 4096)
        }
        guard PageCacheProbe.residentFraction(fd: fd, size: Int64(bytes.count)) == 1 else { return }  // evicted meanwhile
        let perFault = try #require(PageCacheProbe.pagesPerFault(fd: fd, size: Int64(bytes.count)))
        #expect(perFault >= 1 && perFault < PageCacheProbe.largeFolioPagesPerFault, "\(perFault) pages a fault")
        var allBusy = IOOptions()
        allBusy.decodingThreads = ByteSource.onlineCPUs
        let source = try ByteSource(file: OpenFile(path: path), options: allBusy, purpose: .scan)
        #expect(source.report.path == .pread && !source.report.readAhead, "\(source.report.summary)")
        let view = try source.bytes(at: 4093, count: 10)
        #expect(view.elementsEqual(bytes[4093..<4103]))
    }

    /// "A spare core" counts the CPUs this process may run on (its affinity
    /// mask), which is never more than the machine has online.
    @Test func usableCPUsFollowTheAffinityMask() {
        let online = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        #expect(ByteSource.onlineCPUs >= 1 && ByteSource.onlineCPUs <= max(online, 1))
        // The kernel's own account of the mask: /proc/self/status, Cpus_allowed (hex words).
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Cpus_allowed:") }) else { return }
        let bits = line.dropFirst("Cpus_allowed:".count).filter(\.isHexDigit)
            .reduce(0) { $0 + (Int(String($1), radix: 16) ?? 0).nonzeroBitCount }
        // sched_getaffinity reports the mask less CPUs that are not active,
        // so at most as many; on a plain machine, as here, the same.
        #expect(Int(logscan_usable_cpus()) >= 1 && Int(logscan_usable_cpus()) <= bits, "mask \(line)")
    }

    @Test func directPathReportsARefusingFileSystem() throws {
        // /dev/shm is tmpfs: kernels before 6.6 refuse O_DIRECT there; newer
        // ones allow it. Either way the answer is a reason or nil, never a crash.
        guard FileManager.default.fileExists(atPath: "/dev/shm") else { return }
        let path = "/dev/shm/logscan-direct-\(getpid())"
        writeFile(path, [UInt8](repeating: 7, count: 10000))
        defer { unlink(path) }
        let reason = BenchPath.direct.unavailableReason(files: [path])
        #expect(reason == nil || reason == "n/a: filesystem refuses O_DIRECT")
        #expect(BenchPath.mmapHugetlb.unavailableReason(files: [path]) == "n/a: not on hugetlbfs")
    }

    /// `bench` on a fixture written by the independent reference writer:
    /// every path counts the records its reference dump lists.
    @Test func benchRunsEveryPathOnAFixture() throws {
        let expected = String(decoding: readFile(repositoryRoot + "/testdata/native/sample.expected.jsonl"), as: UTF8.self)
            .split(separator: "\n").count
        let text = try runLogscan(["bench", "--runs", "1", "testdata/native/sample"], cwd: repositoryRoot)
        #expect(text.status == 0, "\(text.stderr)")
        let lines = text.out.split(separator: "\n").map(String.init)
        for path in BenchPath.allCases {
            let row = lines.first { $0.hasPrefix(path.rawValue + " ") }
            #expect(row != nil, "no row for \(path.rawValue)")
            if path == .mmapHugetlb {
                #expect(row?.contains("n/a: not on hugetlbfs") == true)
            } else if path != .direct {
                #expect(row?.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first == Substring(String(expected)), "\(row ?? "")")
            }
        }
        #expect(lines.contains("records: every path counted the same"))

        // --no-drop-caches: emptying the whole page cache (as root) would
        // pull the cache out from under tests running beside this one
        // (autoDecidesByPageCacheResidency failed that way in CI).
        let json = try runLogscan(["bench", "--runs", "1", "--cold", "--no-drop-caches", "--json", "testdata/native/sample"],
                                  cwd: repositoryRoot)
        #expect(json.status == 0, "\(json.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout)) as? [String: Any]
        #expect(object?["mode"] as? String == "cold")
        #expect(object?["records_agree"] as? Bool == true)
        let paths = object?["paths"] as? [[String: Any]] ?? []
        #expect(paths.count == BenchPath.allCases.count)
        for row in paths where row["available"] as? Bool == true {
            #expect(row["records"] as? Int == expected, "\(row)")
            #expect((row["seconds"] as? Double ?? -1) >= 0)
            #expect((row["peak_rss_bytes"] as? Int ?? 0) > 0)
        }
    }
}

/// The read-ahead thread's ring, read the way the Kafka reader reads: 1 MiB
/// views, each next one starting inside the last (at the first unit it could
/// not finish). Every byte must come out right, and the file must be read
/// exactly once: a view that started in a slot already given back used to
/// start a new read-ahead thread, which read part of the file again.
@Suite struct ReadAheadOverlapTests {
    @Test func overlappingViewsReadTheFileOnce() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("data")
        let size = 24 << 20
        let data = (0..<size).map { UInt8(truncatingIfNeeded: ($0 &* 2_654_435_761) >> 13) }
        writeFile(path, data)
        let source = try ByteSource(file: try OpenFile(path: path), options: IOOptions(mode: .pread), purpose: .scan)
        var position = 0
        var views = 0
        while position < size {
            let view = try source.bytes(at: Int64(position), count: 1 << 20)
            #expect(view.elementsEqual(data[position..<(position + view.count)]), "view at \(position)")
            views += 1
            // Leave an unfinished "unit" of up to 512 KiB to be asked for again.
            let unfinished = view.count == 1 << 20 ? (views &* 40503) % (512 << 10) + 1 : 0
            position += view.count - unfinished
        }
        #expect(views > 24)
        #expect(source.report.readAhead, "\(source.report.summary)")
        #expect(source.report.bytesRead == Int64(size), "read \(source.report.bytesRead) bytes for \(size)")
    }

    /// `view(at:upTo:atLeast:)`, as the Kafka reader uses it: units (batches)
    /// of 40-100 KiB walked inside each view, a unit the view cuts off read on
    /// its own. The views end at chunk boundaries instead of being stitched,
    /// every byte comes out right, the end of the file is said once, and the
    /// file is read once. A size that is a whole number of chunks too.
    @Test(arguments: [24 << 20, (24 << 20) + 12345])
    func tailViewsEndAtChunksAndReadTheFileOnce(size: Int) throws {
        let dir = TemporaryDirectory()
        let path = dir.file("data")
        let data = (0..<size).map { UInt8(truncatingIfNeeded: ($0 &* 2_654_435_761) >> 13) }
        writeFile(path, data)
        let source = try ByteSource(file: try OpenFile(path: path), options: IOOptions(mode: .pread), purpose: .scan)
        func unit(at position: Int) -> Int { min((40 << 10) + (position &* 2_654_435_761 >> 7) % (60 << 10), size - position) }
        var position = 0
        var tails = 0, singles = 0, ends = 0
        while position < size {
            let (view, endOfFile) = try source.view(at: Int64(position), upTo: 1 << 20, atLeast: 61)
            #expect(view.count >= 61 || endOfFile)
            #expect(view.elementsEqual(data[position..<(position + view.count)]), "view at \(position)")
            if endOfFile {
                ends += 1
                #expect(position + view.count == size)
            } else if view.count < 1 << 20 {
                tails += 1
                #expect((position + view.count) % (1 << 20) == 0, "a tail view ends at a chunk boundary")
            }
            var consumed = 0
            while consumed < view.count, consumed + unit(at: position + consumed) <= view.count { consumed += unit(at: position + consumed) }
            if consumed == 0 {
                let n = unit(at: position)
                let single = try source.bytes(at: Int64(position), count: n)
                #expect(single.elementsEqual(data[position..<(position + n)]), "unit at \(position)")
                singles += 1
                consumed = n
            }
            position += consumed
        }
        #expect(tails > 10 && singles > 10, "tails \(tails), singles \(singles)")
        #expect(ends <= 1)
        #expect(source.report.readAhead, "\(source.report.summary)")
        #expect(source.report.bytesRead == Int64(size), "read \(source.report.bytesRead) bytes for \(size)")
    }

    /// A Kafka segment of 6 MiB read through the read-ahead thread, whose
    /// 1 MiB views end at chunk boundaries and leave the batches they cut
    /// off to be read alone: the same records and the same damage as through
    /// a mapping, with a bad batch in the middle and a torn tail.
    @Test func kafkaThroughTailViewsReadsWhatAMappingReads() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("00000000000000000000.log")
        var rng = SplitMix64(seed: 7)
        var file: [UInt8] = []
        var expected: [[UInt8]] = []
        var offset: Int64 = 0
        var batchStarts: [Int] = []
        while file.count < 6 << 20 {  // read-ahead is for files of 4 chunks and more
            let values = (0..<Int.random(in: 100...600, using: &rng)).map { _ in rng.bytes(Int.random(in: 20...120, using: &rng)) }
            batchStarts.append(file.count)
            file += KafkaBatchWriter.batch(baseOffset: offset, timestamp: 1_700_000_000_000 + offset, values: values)
            expected += values
            offset += Int64(values.count)
        }
        // Damage: a flipped byte in the records of a batch near 1.5 MiB; a
        // torn tail: the last batch cut in half.
        let damaged = batchStarts.first { $0 > 3 << 19 }!
        file[damaged + 100] ^= 0xFF
        let last = batchStarts.last!
        file.removeLast((file.count - last) / 2)
        writeFile(path, file)
        var results: [(KafkaSink, ReplaySummary)] = []
        for mode in [IOOptions.Mode.mmap, .pread] {
            results.append(kafkaReplay(path, ReplayOptions(kind: .kafka, io: IOOptions(mode: mode), recovery: .skipCorrupted)))
        }
        let (mapped, mappedSummary) = results[0], (copied, copiedSummary) = results[1]
        #expect(copiedSummary.io.first?.report.readAhead == true, "\(copiedSummary.io)")
        #expect(copied.records == mapped.records)
        #expect(copied.damage.map(\.description) == mapped.damage.map(\.description))
        #expect(mapped.damage.count == 2, "\(mapped.damage.map(\.description))")
        #expect(copied.failures.isEmpty && mapped.failures.isEmpty)
        // Against what was written: every batch but the damaged one and the torn one.
        let damagedBatch = batchStarts.firstIndex(of: damaged)!
        #expect(mapped.records.count < expected.count && mapped.records.count > expected.count * 8 / 10)
        #expect(mapped.records.allSatisfy { $0.value == expected[Int($0.offset)] })
        #expect(!mapped.records.contains { $0.batchPosition == Int64(batchStarts[damagedBatch]) })
    }
}

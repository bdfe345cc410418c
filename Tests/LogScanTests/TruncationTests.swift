import Foundation
import Testing
@testable import LogScan

/// A file truncated under the mapping by another thread, many times over:
/// logscan must never die of SIGBUS. Each run ends complete, with a torn
/// tail (the cut came before the bytes were mapped), or with the "shrank"
/// error; and what was emitted is always a prefix of the log.
@Suite(.serialized) struct TruncationTests {
    @Test func truncatedWhileScanningNeverCrashes() throws {
        let dir = TemporaryDirectory()
        let template = dir.file("template")
        let written = try writeLog(template, randomRecords(20_000, maxValue: 1500, seed: 71),
                                   options: NativeWriterOptions(segmentBytes: 1 << 30, blockBytes: 16 << 10))
        let templateSegment = try NativeLogDirectory.segments(in: template)[0].path
        let bytes = readFile(templateSegment)
        let faultsBefore = logscan_guard_fault_count_for_tests()
        var outcomes: [String: Int] = [:]
        var rng = SplitMix64(seed: 72)
        for iteration in 0..<60 {
            let path = dir.file("segment-\(iteration).seg")
            writeFile(path, bytes)
            let truncator = truncateLater(path, size: bytes.count, maxDelay: 3000, using: &rng)
            // A small window, so the scan maps many times and faults land in
            // both guarded decoding and unguarded record views.
            var sink = TouchingSink()
            // Mostly mmap (the SIGBUS case); every fourth run through pread.
            let io = iteration % 4 == 3 ? IOOptions(mode: .pread) : IOOptions(mode: .mmap, windowBytes: 256 << 10)
            let options = ReplayOptions(io: io)
            let summary = LogReplayer(options: options).run([path], into: &sink)
            truncator.waitUntilFinished()
            #expect(sink.offsets == Array(0..<UInt64(sink.offsets.count)), "a prefix, in order")
            #expect(sink.offsets.count <= written.count)
            let outcome: String
            if summary.failures > 0 {
                outcome = "shrank"
                #expect(sink.failures.allSatisfy { if case .shrank = $0.kind { true } else { false } }, "\(sink.failures)")
                #expect(sink.failures.first?.description.contains("shrank to") == true)
            } else if summary.tornTails > 0 {
                outcome = "torn tail"
            } else {
                outcome = summary.damaged ? "damaged" : "complete"
            }
            outcomes[outcome, default: 0] += 1
            unlink(path)
        }
        // The guard must actually have been exercised.
        #expect(outcomes["shrank", default: 0] > 0, "\(outcomes)")
        #expect(logscan_guard_fault_count_for_tests() > faultsBefore)
        #expect(outcomes["damaged", default: 0] == 0, "a cut is never damage in the middle: \(outcomes)")
    }
}

/// Reads every byte of every record (so faults can land outside the guard too).
struct TouchingSink: ReplaySink {
    var offsets: [UInt64] = []
    var failures: [LogScanError] = []
    var checksum: UInt64 = 0
    mutating func record(_ record: LogRecord) -> Bool {
        offsets.append(record.offset)
        if let value = record.value { for b in value { checksum &+= UInt64(b) } }
        return true
    }
    mutating func failure(_ error: LogScanError) { failures.append(error) }
}

import CLogScanSupport
func logscan_guard_fault_count_for_tests() -> UInt64 { logscan_guard_fault_count() }

/// The same race on a Kafka segment: batches of the clean fixture copied
/// many times over with their base offsets moved up (the base offset lies
/// outside the batch CRC), so a multi-megabyte segment of real batches,
/// LZ4 ones included, is truncated under the scan.
@Suite(.serialized) struct KafkaTruncationTests {
    @Test func truncatedKafkaSegmentNeverCrashes() throws {
        let dir = TemporaryDirectory()
        let partition = repositoryRoot + "/testdata/kafka/clean/logscan-events-0"
        var batches: [[UInt8]] = []
        for name in try FileManager.default.contentsOfDirectory(atPath: partition).sorted() where name.hasSuffix(".log") {
            let bytes = readFile(partition + "/" + name)
            var at = 0
            while at + 12 <= bytes.count {
                let length = bytes[(at + 8)..<(at + 12)].reduce(0) { $0 << 8 | Int($1) }
                batches.append(Array(bytes[at..<(at + 12 + length)]))
                at += 12 + length
            }
        }
        #expect(batches.count == 40)
        // Rebase: each copy continues where the previous one ended.
        var segment: [UInt8] = []
        var nextOffset: Int64 = 0
        while segment.count < 6 << 20 {
            for batch in batches {
                var copy = batch
                let lastDelta = Int64(copy[23...26].reduce(0) { $0 << 8 | Int($1) })
                for i in 0..<8 { copy[i] = UInt8(truncatingIfNeeded: nextOffset >> (56 - 8 * i)) }
                nextOffset += lastDelta + 1
                segment += copy
            }
        }
        let full = dir.file("full/00000000000000000000.log")
        mkdir(dir.file("full"), 0o755)
        writeFile(full, segment)
        let reference = kafkaOffsets(full, ReplayOptions())
        #expect(reference.failures == 0 && !reference.damaged)
        #expect(reference.offsets.count > 10_000)

        var rng = SplitMix64(seed: 91)
        truncationRace(segment, named: "00000000000000000000.log", kind: .kafka, reference: reference.offsets, in: dir, using: &rng)
    }

    private func kafkaOffsets(_ path: String, _ options: ReplayOptions) -> RaceRun {
        raceReplay(path, kind: .kafka, io: options.io)
    }
}

/// The race on a RocksDB WAL: 4 MiB of write batches (values from 20 bytes
/// to 40 KiB, so records span blocks as FIRST/MIDDLE/LAST fragments) in
/// the legacy record format, written by a small writer that follows
/// LevelDB's log_writer rules, truncated under the scan.
@Suite(.serialized) struct WALTruncationTests {
    /// Appends logical records to a WAL image the way log_writer does.
    struct WALImage {
        static let blockSize = 32768
        var bytes: [UInt8] = []

        mutating func append(_ payload: [UInt8]) {
            var left = payload[...]
            var begin = true
            repeat {
                let leftover = Self.blockSize - bytes.count % Self.blockSize
                if leftover < 7 { bytes += [UInt8](repeating: 0, count: leftover) }
                let available = Self.blockSize - bytes.count % Self.blockSize - 7
                let fragment = left.prefix(available)
                let end = fragment.count == left.count
                let type: UInt8 = begin && end ? 1 : begin ? 2 : end ? 4 : 3
                let crc = CRC32C.mask(CRC32C.checksum([type] + fragment))
                bytes += withUnsafeBytes(of: crc.littleEndian, Array.init)
                bytes += withUnsafeBytes(of: UInt16(fragment.count).littleEndian, Array.init)
                bytes.append(type)
                bytes += fragment
                left = left.dropFirst(fragment.count)
                begin = false
            } while !left.isEmpty
        }

        /// A batch of one Put.
        static func batch(sequence: UInt64, key: [UInt8], value: [UInt8]) -> [UInt8] {
            var out = withUnsafeBytes(of: sequence.littleEndian, Array.init) + withUnsafeBytes(of: UInt32(1).littleEndian, Array.init)
            out.append(1)
            for slice in [key, value] {
                var n = UInt32(slice.count)
                while n >= 0x80 { out.append(UInt8(n & 0x7F) | 0x80); n >>= 7 }
                out.append(UInt8(n))
                out += slice
            }
            return out
        }
    }

    @Test func truncatedWALNeverCrashes() throws {
        let dir = TemporaryDirectory()
        var image = WALImage()
        var rng = SplitMix64(seed: 33)
        var sequence: UInt64 = 1
        while image.bytes.count < 4 << 20 {
            let size = Int.random(in: 0..<10, using: &rng) == 0 ? Int.random(in: 20_000...40_000, using: &rng) : Int.random(in: 20...400, using: &rng)
            image.append(WALImage.batch(sequence: sequence, key: Array("key-\(sequence)".utf8), value: rng.bytes(size)))
            sequence += 1
        }
        let full = dir.file("full/000004.log")
        mkdir(dir.file("full"), 0o755)
        writeFile(full, image.bytes)
        let reference = walSequences(full, IOOptions())
        #expect(reference.failures == 0 && !reference.damaged)
        #expect(reference.offsets == Array(1..<sequence))

        truncationRace(image.bytes, named: "000004.log", kind: .rocksdb, reference: reference.offsets, in: dir, using: &rng)
    }

    private func walSequences(_ path: String, _ io: IOOptions) -> RaceRun {
        raceReplay(path, kind: .rocksdb, io: io)
    }
}

/// Starts a thread that truncates `path` (of `size` bytes) at a random byte
/// after a random delay of less than `maxDelay` microseconds.
func truncateLater(_ path: String, size: Int, maxDelay: UInt32, using rng: inout SplitMix64) -> Thread {
    let cut = Int.random(in: 0..<size, using: &rng)
    let delay = UInt32.random(in: 0..<maxDelay, using: &rng)
    let truncator = Thread {
        usleep(delay)
        truncate(path, off_t(cut))
    }
    truncator.start()
    return truncator
}

extension Thread {
    func waitUntilFinished() {
        while !isFinished { usleep(100) }
    }
}

/// What one replay in a truncation race gave.
struct RaceRun {
    var offsets: [UInt64]
    var failures: Int
    var failureKinds: [LogScanError.Kind]
    var damaged: Bool
}

func raceReplay(_ path: String, kind: LogKind, io: IOOptions) -> RaceRun {
    var sink = TouchingSink()
    let summary = LogReplayer(options: ReplayOptions(kind: kind, io: io)).run([path], into: &sink)
    return RaceRun(offsets: sink.offsets, failures: summary.failures, failureKinds: sink.failures.map(\.kind),
                   damaged: summary.damaged || summary.tornTails > 0)
}

/// 40 replays of `bytes` (as a file `name` in a directory of its own), each
/// truncated at a random byte after a random delay by another thread, mostly
/// mapped, every fourth through pread. Every run gives a prefix of
/// `reference`, ends with the "shrank" error, a torn tail or complete; the
/// SIGBUS guard must have been exercised.
func truncationRace(_ bytes: [UInt8], named name: String, kind: LogKind, reference: [UInt64], in dir: TemporaryDirectory,
                    using rng: inout SplitMix64, sourceLocation: SourceLocation = #_sourceLocation) {
    let faultsBefore = logscan_guard_fault_count_for_tests()
    var outcomes: [String: Int] = [:]
    for iteration in 0..<40 {
        let runDir = dir.file("r\(iteration)")
        mkdir(runDir, 0o755)
        let path = runDir + "/" + name
        writeFile(path, bytes)
        let truncator = truncateLater(path, size: bytes.count, maxDelay: 4000, using: &rng)
        let io = iteration % 4 == 3 ? IOOptions(mode: .pread) : IOOptions(mode: .mmap, windowBytes: 256 << 10)
        let run = raceReplay(path, kind: kind, io: io)
        truncator.waitUntilFinished()
        #expect(run.offsets == Array(reference.prefix(run.offsets.count)), "a prefix, in order", sourceLocation: sourceLocation)
        if run.failures > 0 {
            outcomes["shrank", default: 0] += 1
            #expect(run.failureKinds.allSatisfy { if case .shrank = $0 { true } else { false } }, "\(run.failureKinds)",
                    sourceLocation: sourceLocation)
        } else {
            outcomes[run.damaged ? "damaged or torn" : "complete", default: 0] += 1
        }
    }
    #expect(outcomes["shrank", default: 0] > 0, "\(outcomes)", sourceLocation: sourceLocation)
    #expect(logscan_guard_fault_count_for_tests() > faultsBefore, sourceLocation: sourceLocation)
}

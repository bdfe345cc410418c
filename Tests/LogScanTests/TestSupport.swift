import Foundation
import Testing
@testable import LogScan

/// A fresh directory under /tmp, removed when the test's scope ends.
final class TemporaryDirectory {
    let path: String

    init(_ label: String = "logscan-test") {
        var template = Array("/tmp/\(label)-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        path = String(cString: made!)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func file(_ name: String) -> String { path + "/" + name }
}

/// Deterministic random numbers for reproducible test data.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func bytes(_ count: Int) -> [UInt8] {
        (0..<count).map { _ in UInt8.random(in: 0...255, using: &self) }
    }
}

/// A record copied out of the views a reader hands out.
struct OwnedRecord: Equatable, CustomStringConvertible {
    var offset: UInt64
    var position: Int64 = -1
    var timestamp: Int64?
    var key: [UInt8]?
    var value: [UInt8]?

    init(offset: UInt64, timestamp: Int64?, key: [UInt8]?, value: [UInt8]?) {
        self.offset = offset
        self.timestamp = timestamp
        self.key = key
        self.value = value
    }

    init(_ record: LogRecord) {
        offset = record.offset
        position = record.position
        timestamp = record.timestamp
        key = record.key.map { Array($0) }
        value = record.value.map { Array($0) }
    }

    /// Equal ignoring file positions.
    func sameContent(_ other: OwnedRecord) -> Bool {
        offset == other.offset && timestamp == other.timestamp && key == other.key && value == other.value
    }

    var description: String {
        "#\(offset) ts=\(timestamp.map(String.init) ?? "nil") key=\(key.map { "\($0.count)B" } ?? "nil") value=\(value.map { "\($0.count)B" } ?? "nil")"
    }
}

/// Collects everything a replay produces.
struct CollectingSink: ReplaySink {
    var records: [OwnedRecord] = []
    var damage: [DamageReport] = []
    var warnings: [String] = []
    var failures: [LogScanError] = []
    var segments: [String] = []

    mutating func beginSegment(path: String, kind: LogKind) { segments.append(path) }
    mutating func record(_ record: LogRecord) -> Bool {
        records.append(OwnedRecord(record))
        return true
    }
    mutating func damage(_ report: DamageReport) { damage.append(report) }
    mutating func warning(_ message: String) { warnings.append(message) }
    mutating func failure(_ error: LogScanError) { failures.append(error) }
}

func replay(_ paths: [String], _ options: ReplayOptions = ReplayOptions()) -> (CollectingSink, ReplaySummary) {
    var sink = CollectingSink()
    let summary = LogReplayer(options: options).run(paths, into: &sink)
    return (sink, summary)
}

func replay(_ path: String, _ options: ReplayOptions = ReplayOptions()) -> (CollectingSink, ReplaySummary) {
    replay([path], options)
}

/// Writes records to a native log and returns what was written.
@discardableResult
func writeLog(_ directory: String, _ records: [OwnedRecord], options: NativeWriterOptions) throws -> [OwnedRecord] {
    let writer = try NativeLogWriter(directory: directory, options: options)
    var written: [OwnedRecord] = []
    for record in records {
        let sequence = try writer.append(key: record.key, value: record.value, timestamp: record.timestamp)
        var copy = record
        copy.offset = sequence
        written.append(copy)
    }
    try writer.close()
    return written
}

/// Random records: sizes spread from 0 to `maxValue`, keys and nulls mixed.
func randomRecords(_ count: Int, maxValue: Int, seed: UInt64) -> [OwnedRecord] {
    var rng = SplitMix64(seed: seed)
    return (0..<count).map { i in
        let key: [UInt8]? = switch i % 5 {
        case 0: nil
        case 1: []
        default: rng.bytes(Int.random(in: 1...32, using: &rng))
        }
        // Mostly small values, some large ones, a few nulls.
        let size = i % 17 == 0 ? Int.random(in: 0...maxValue, using: &rng) : Int.random(in: 0...200, using: &rng)
        let value: [UInt8]? = i % 23 == 7 ? nil : (i % 3 == 0 ? compressible(size, &rng) : rng.bytes(size))
        let timestamp: Int64? = i % 11 == 5 ? nil : 1_700_000_000_000 + Int64(i) * 10 - Int64.random(in: 0...25, using: &rng)
        return OwnedRecord(offset: UInt64(i), timestamp: timestamp, key: key, value: value)
    }
}

func compressible(_ size: Int, _ rng: inout SplitMix64) -> [UInt8] {
    let words = ["alpha ", "beta ", "GET /api/v1/items ", "latency_ms=12 ", "ERROR ", "user-42 "].map { Array($0.utf8) }
    var out: [UInt8] = []
    out.reserveCapacity(size)
    while out.count < size { out += words[Int.random(in: 0..<words.count, using: &rng)] }
    return Array(out.prefix(size))
}

func readFile(_ path: String) -> [UInt8] {
    [UInt8](FileManager.default.contents(atPath: path) ?? Data())
}

func writeFile(_ path: String, _ bytes: [UInt8]) {
    _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
}

/// The repository root (tests run from anywhere).
let repositoryRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path
}()

/// The `logscan` binary built beside the test bundle (`swift test` builds it:
/// the test target depends on the executable).
let logscanBinary: String = {
    let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    var url = URL(fileURLWithPath: exe).deletingLastPathComponent()
    while !FileManager.default.isExecutableFile(atPath: url.appendingPathComponent("logscan").path) && url.path != "/" {
        url.deleteLastPathComponent()
    }
    return url.appendingPathComponent("logscan").path
}()

struct CommandResult {
    var status: Int32
    var stdout: [UInt8]
    var stderr: String
    var out: String { String(decoding: stdout, as: UTF8.self) }
}

/// Runs the logscan CLI with `arguments`, feeding `input` on stdin. Output
/// goes through files, so a large output can never block the child.
func runLogscan(_ arguments: [String], input: [UInt8]? = nil, cwd: String? = nil) throws -> CommandResult {
    let scratch = TemporaryDirectory("logscan-run")
    let inPath = scratch.file("stdin"), outPath = scratch.file("stdout"), errPath = scratch.file("stderr")
    writeFile(inPath, input ?? [])
    writeFile(outPath, [])
    writeFile(errPath, [])
    let process = Process()
    process.executableURL = URL(fileURLWithPath: logscanBinary)
    process.arguments = arguments
    if let cwd { process.currentDirectoryURL = URL(fileURLWithPath: cwd) }
    process.standardInput = FileHandle(forReadingAtPath: inPath)
    process.standardOutput = FileHandle(forWritingAtPath: outPath)
    process.standardError = FileHandle(forWritingAtPath: errPath)
    try process.run()
    process.waitUntilExit()
    return CommandResult(status: process.terminationStatus, stdout: readFile(outPath),
                         stderr: String(decoding: readFile(errPath), as: UTF8.self))
}

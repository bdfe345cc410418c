import Foundation
import Testing
@testable import LogScan

/// A Kafka record copied out of the reader's views.
struct KafkaOwned: Equatable, CustomStringConvertible {
    struct Header: Equatable {
        var key: [UInt8]
        var value: [UInt8]?
    }
    var offset: Int64
    var timestamp: Int64?
    var key: [UInt8]?
    var value: [UInt8]?
    var headers: [Header]
    var batchPosition: Int64 = -1
    var position: Int64 = -1
    var controlType: Int? = nil
    var transactional = false
    var logAppendTime = false

    /// Equal in what the reference dumps hold.
    func sameContent(_ other: KafkaOwned) -> Bool {
        offset == other.offset && timestamp == other.timestamp && key == other.key && value == other.value && headers == other.headers
    }

    var description: String { "#\(offset)@\(batchPosition) ts=\(timestamp.map(String.init) ?? "nil")" }
}

extension KafkaOwned {
    init(_ r: KafkaRecord) {
        offset = r.offset
        timestamp = r.timestamp
        key = r.key.map { Array($0) }
        value = r.value.map { Array($0) }
        headers = r.headers.map { Header(key: Array($0.key), value: $0.value.map { Array($0) }) }
        batchPosition = r.batchPosition
        position = r.position
        controlType = r.control.map { Int($0.type) }
        transactional = r.isTransactional
        logAppendTime = r.timestampType == .logAppendTime
    }
}

/// Collects Kafka records and everything else a replay reports.
struct KafkaSink: ReplaySink {
    var records: [KafkaOwned] = []
    var paths: [String] = []
    var damage: [DamageReport] = []
    var warnings: [String] = []
    var failures: [LogScanError] = []
    var segments: [String] = []
    private var current = ""

    mutating func beginSegment(path: String, kind: LogKind) { segments.append(path); current = path }
    mutating func record(_ record: LogRecord) -> Bool {
        guard case .kafka(let r) = record else { Issue.record("not a Kafka record"); return false }
        records.append(KafkaOwned(r))
        paths.append(current)
        return true
    }
    mutating func damage(_ report: DamageReport) { damage.append(report) }
    mutating func warning(_ message: String) { warnings.append(message) }
    mutating func failure(_ error: LogScanError) { failures.append(error) }
}

func kafkaReplay(_ path: String, _ options: ReplayOptions = ReplayOptions()) -> (KafkaSink, ReplaySummary) {
    var sink = KafkaSink()
    let summary = LogReplayer(options: options).run([path], into: &sink)
    return (sink, summary)
}

/// The committed Kafka fixtures and their reference dumps.
enum KafkaFixtures {
    static let root = repositoryRoot + "/testdata/kafka"
    static let clean = root + "/clean/logscan-events-0"
    static let live = root + "/live/logscan-events-0"
    static let gzip = root + "/gzip/clean/logscan-gzip-0"

    static func jsonLines(_ path: String) -> [[String: Any]] {
        let text = String(decoding: readFile(path), as: UTF8.self)
        return text.split(separator: "\n").map { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] ?? [:]
        }
    }

    static func hex(_ value: Any?) -> [UInt8]? {
        guard let text = value as? String else { return nil }
        var bytes: [UInt8] = []
        var chars = Array(text.utf8)[...]
        while chars.count >= 2 {
            bytes.append(UInt8(String(decoding: chars.prefix(2), as: UTF8.self), radix: 16)!)
            chars = chars.dropFirst(2)
        }
        return bytes
    }

    static func int(_ value: Any?) -> Int64? { (value as? NSNumber)?.int64Value }

    /// Records as kafka-python wrote them (`records.jsonl` schema).
    static func records(_ path: String) -> [KafkaOwned] {
        jsonLines(path).map { line in
            let headers = (line["headers"] as? [[Any]] ?? []).map { pair in
                KafkaOwned.Header(key: Array((pair[0] as! String).utf8), value: hex(pair[1]))
            }
            var r = KafkaOwned(offset: int(line["offset"])!, timestamp: int(line["timestamp"]), key: hex(line["key"]),
                               value: hex(line["value"]), headers: headers)
            r.batchPosition = int(line["batch_position"]) ?? -1
            r.controlType = int(line["control_type"]).map { Int($0) }
            r.logAppendTime = int(line["timestamp_type"]) == 1
            return r
        }
    }

    /// Reference records of a partition with their segment names.
    static func partitionRecords(_ referenceDir: String) -> [(segment: String, record: KafkaOwned)] {
        let lines = jsonLines(referenceDir + "/records.jsonl")
        return zip(lines, records(referenceDir + "/records.jsonl")).map { ($0["segment"] as! String, $1) }
    }
}

func expectSame(_ got: [KafkaOwned], _ expected: [KafkaOwned], _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(got.count == expected.count, "\(what): \(got.count) records, expected \(expected.count)", sourceLocation: sourceLocation)
    for (i, (g, e)) in zip(got, expected).enumerated() where !g.sameContent(e) {
        Issue.record("\(what): record \(i) is \(g), expected \(e)", sourceLocation: sourceLocation)
        return
    }
}

/// A copy of a fixture directory (or file) to damage.
func copyFixture(_ path: String, into dir: TemporaryDirectory, as name: String? = nil) -> String {
    let target = dir.file(name ?? Directory.baseName(path))
    try! FileManager.default.copyItem(atPath: path, toPath: target)
    return target
}


/// Runs logscan; returns (stdout, stderr, exit status).
func runLogscanTuple(_ arguments: [String]) throws -> (String, String, Int32) {
    let result = try runLogscan(arguments)
    return (result.out, result.stderr, result.status)
}

/// Writes Kafka v2 record batches (uncompressed, no headers, null keys) for
/// tests that need more bytes than the committed fixtures hold: batch layout
/// and CRC32C range as in Kafka's DefaultRecordBatch.
enum KafkaBatchWriter {
    static func varint(_ v: Int64, into out: inout [UInt8]) {
        var z = UInt64(bitPattern: (v << 1) ^ (v >> 63))
        while z >= 0x80 { out.append(UInt8(z & 0x7F) | 0x80); z >>= 7 }
        out.append(UInt8(z))
    }

    static func bigEndian<T: FixedWidthInteger>(_ v: T, into out: inout [UInt8]) {
        withUnsafeBytes(of: v.bigEndian) { out += $0 }
    }

    /// One batch of `values` starting at `baseOffset`, timestamps base + i.
    static func batch(baseOffset: Int64, timestamp: Int64, values: [[UInt8]]) -> [UInt8] {
        var records: [UInt8] = []
        for (i, value) in values.enumerated() {
            var body: [UInt8] = [0]              // attributes
            varint(Int64(i), into: &body)        // timestamp delta
            varint(Int64(i), into: &body)        // offset delta
            varint(-1, into: &body)              // null key
            varint(Int64(value.count), into: &body)
            body += value
            varint(0, into: &body)               // no headers
            varint(Int64(body.count), into: &records)
            records += body
        }
        var crcd: [UInt8] = []                   // attributes .. end: what the CRC covers
        bigEndian(Int16(0), into: &crcd)
        bigEndian(Int32(values.count - 1), into: &crcd)
        bigEndian(timestamp, into: &crcd)
        bigEndian(timestamp + Int64(values.count - 1), into: &crcd)
        bigEndian(Int64(-1), into: &crcd)        // producer id
        bigEndian(Int16(-1), into: &crcd)        // producer epoch
        bigEndian(Int32(-1), into: &crcd)        // base sequence
        bigEndian(Int32(values.count), into: &crcd)
        crcd += records
        var out: [UInt8] = []
        bigEndian(baseOffset, into: &out)
        bigEndian(Int32(4 + 1 + 4 + crcd.count), into: &out)  // leader epoch, magic, crc, the rest
        bigEndian(Int32(0), into: &out)
        out.append(2)
        bigEndian(crcd.withUnsafeBytes { CRC32C.checksum($0) }, into: &out)
        return out + crcd
    }
}

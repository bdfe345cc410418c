/// A Kafka segment read batch header by batch header, each batch's CRC
/// checked, offsets held to only increasing: what `stat` and the index tools
/// need. Record counts, timestamps and inflated sizes come from a second,
/// decoding pass over the valid part (`stat` only).
struct KafkaSegmentSurvey {
    let segment: LogInput.Segment
    let baseOffset: Int64
    let size: Int64
    let batches: [KafkaBatchHeader]
    /// Where the valid part ends, and what is wrong after it (nil: nothing).
    let validEnd: Int64
    let damage: LogScanError?
    private let reader: KafkaSegmentReader

    init(segment: LogInput.Segment) throws(LogScanError) {
        self.segment = segment
        let source = try ByteSource(file: OpenFile(path: segment.path), options: IOOptions(), purpose: .lookup)
        baseOffset = segment.baseOffset.map { Int64(clamping: $0) } ?? 0
        reader = KafkaSegmentReader(source: source, baseOffset: segment.baseOffset.map { Int64(clamping: $0) })
        size = source.size ?? 0
        var batches: [KafkaBatchHeader] = []
        var position: Int64 = 0
        var damage: LogScanError?
        var nextMinimum = baseOffset
        while position < size {
            guard let header = try reader.validEntry(at: position) else {
                // The reader names what is wrong (zero tail, torn, checksum...).
                reader.reposition(to: position)
                do throws(LogScanError) {
                    _ = try reader.nextBatch()
                    damage = LogScanError(path: segment.path, position: position, .damaged(.badRecord, detail: "no whole batch here"))
                } catch {
                    damage = error
                }
                break
            }
            guard header.baseOffset >= nextMinimum else {
                var error = LogScanError(path: segment.path, position: position, .damaged(.sequenceGap,
                    detail: "batch starts at offset \(header.baseOffset), below \(nextMinimum): offsets went backwards"))
                error.length = size - position
                damage = error
                break
            }
            batches.append(header)
            nextMinimum = header.lastOffset + 1
            position += Int64(header.size)
        }
        self.batches = batches
        validEnd = position
        self.damage = damage
    }

    /// The entries the broker's rule gives for these batches. `closed`: the
    /// segment is not the partition's active one (its time index then ends
    /// with an entry for the segment's largest timestamp).
    func expectedEntries(closed: Bool) -> (offsets: [KafkaIndexRule.OffsetEntry], times: [KafkaIndexRule.TimeEntry]) {
        KafkaIndexRule.entries(for: batches.map {
            KafkaIndexRule.Batch(position: $0.position, size: Int64($0.size), lastOffset: $0.lastOffset, maxTimestamp: $0.maxTimestamp)
        }, baseOffset: baseOffset, closed: closed)
    }

    /// The batch holding `offset`, if any.
    func batch(holding offset: Int64) -> KafkaBatchHeader? {
        var low = 0, high = batches.count
        while low < high {
            let mid = (low + high) / 2
            if batches[mid].lastOffset < offset { low = mid + 1 } else { high = mid }
        }
        guard low < batches.count, batches[low].magic < 2 || batches[low].baseOffset <= offset else { return nil }
        return batches[low]
    }

    func stat() -> SegmentStat {
        var stat = SegmentStat(
            path: segment.path, kind: .kafka, sizeBytes: size, records: 0, units: batches.count,
            storedPayloadBytes: 0, rawPayloadBytes: 0, validEnd: validEnd, damage: damage, index: .notApplicable)
        // The decoding pass: exact counts (v0/v1 wrappers hold several
        // messages), first and last records, inflated sizes.
        reader.reposition(to: 0)
        var decoded = 0
        do throws(LogScanError) {
            while decoded < batches.count, try reader.nextBatch() {
                let header = batches[decoded]
                decoded += 1
                let count = reader.batchRecordCount
                stat.records += count
                if header.magic >= 2 {
                    stat.storedPayloadBytes += Int64(header.size - KafkaFormat.v2HeaderSize)
                    stat.rawPayloadBytes += Int64(reader.batchRecordBytes?.count ?? 0)
                }
                guard count > 0 else { continue }
                if stat.firstOffset == nil, let first = reader.batchRecord(0) {
                    stat.firstOffset = UInt64(clamping: first.offset)
                    stat.firstTimestamp = first.timestamp
                }
                if let last = reader.batchRecord(count - 1) {
                    stat.lastOffset = UInt64(clamping: last.offset)
                    stat.lastTimestamp = last.timestamp
                }
            }
        } catch {
            if stat.damage == nil { stat.damage = error }
        }
        stat.index = (try? KafkaSegmentIndexer(survey: self).check()) ?? .missing
        return stat
    }
}

/// A Kafka segment's `.index` and `.timeindex`, checked against and rebuilt
/// from its batches by the broker's rule (`KafkaIndexRule`).
struct KafkaSegmentIndexer: SegmentIndexer {
    let survey: KafkaSegmentSurvey
    let offsetIndexPath: String
    let timeIndexPath: String

    init(segment: LogInput.Segment) throws(LogScanError) {
        try self.init(survey: KafkaSegmentSurvey(segment: segment))
    }

    init(survey: KafkaSegmentSurvey) throws(LogScanError) {
        self.survey = survey
        let path = survey.segment.path
        let name = Directory.baseName(path)
        guard KafkaLayout.isSegmentName(name), KafkaLayout.baseOffset(of: name, extension: KafkaFormat.segmentExtension) != nil else {
            throw LogScanError(path: path, .usage("cannot name the indexes of a Kafka segment not named <20 digits>.log (its base offset)"))
        }
        let stem = String(path.dropLast(KafkaFormat.segmentExtension.count))
        offsetIndexPath = stem + KafkaFormat.offsetIndexExtension
        timeIndexPath = stem + KafkaFormat.timeIndexExtension
    }

    /// Both files must hold a prefix of what the rule gives; the offset
    /// index exactly its entries. A time index entry must carry the rule's
    /// timestamp and an offset inside the batch the rule names (brokers
    /// differ on which offset of that batch they store). An active segment's
    /// time index lacks the closing entry; a rolled one's may too when the
    /// broker died before the roll finished.
    func check() throws(LogScanError) -> IndexHealth {
        guard Directory.exists(offsetIndexPath) else { return .missing }
        let logSize = survey.size
        let offsets: [(Int64, Int64)]
        var times: [(Int64, Int64)]? = nil
        do throws(LogScanError) {
            offsets = try KafkaIndex(path: offsetIndexPath, kind: .offset, baseOffset: survey.baseOffset, logSize: logSize,
                                     io: IOOptions(mode: .pread)).allEntries()
            if Directory.exists(timeIndexPath) {
                times = try KafkaIndex(path: timeIndexPath, kind: .time, baseOffset: survey.baseOffset, logSize: logSize,
                                       io: IOOptions(mode: .pread)).allEntries()
            }
        } catch {
            if case .damaged(_, let detail) = error.kind { return .damaged(detail) }
            throw error
        }
        let expected = survey.expectedEntries(closed: true)
        for (i, (offset, position)) in offsets.enumerated() {
            guard i < expected.offsets.count else {
                return .damaged("\(Directory.baseName(offsetIndexPath)) entry \(i) (offset \(offset) at byte \(position)) is past the entries the segment's batches give")
            }
            let want = expected.offsets[i]
            guard offset == want.offset, position == want.position else {
                return .damaged("\(Directory.baseName(offsetIndexPath)) entry \(i) says offset \(offset) at byte \(position); the rule gives offset \(want.offset) at byte \(want.position)")
            }
        }
        guard let times else { return .damaged("\(Directory.baseName(timeIndexPath)) is missing") }
        for (i, (timestamp, offset)) in times.enumerated() {
            guard i < expected.times.count else {
                return .damaged("\(Directory.baseName(timeIndexPath)) entry \(i) (timestamp \(timestamp)) is past the entries the segment's batches give")
            }
            let want = expected.times[i]
            let batch = survey.batch(holding: want.offset)
            let offsetFits = offset == want.offset || batch.map { $0.baseOffset <= offset && offset <= $0.lastOffset } == true
            guard timestamp == want.timestamp, offsetFits else {
                return .damaged("\(Directory.baseName(timeIndexPath)) entry \(i) says timestamp \(timestamp) at offset \(offset); the rule gives timestamp \(want.timestamp) in the batch ending at offset \(want.offset)")
            }
        }
        // Entries the rule gives but the files lack: an incomplete prefix,
        // except the time index's closing entry, which only a roll adds.
        let openTimes = survey.expectedEntries(closed: false).times.count
        let timesComplete = times.count == expected.times.count || times.count == openTimes
        if offsets.count < expected.offsets.count || !timesComplete {
            return .incomplete(entries: offsets.count + times.count, expected: expected.offsets.count + expected.times.count)
        }
        return .ok(entries: offsets.count + times.count)
    }

    /// Writes both files beside the old ones and renames them into place,
    /// as a cleanly stopped broker leaves them: trimmed, and the time index
    /// closed with the segment's largest timestamp (a broker that opens the
    /// segment again adds nothing twice: it appends only larger timestamps).
    /// Only with the broker stopped: it keeps the active segment's indexes
    /// mapped and would go on writing into the replaced files.
    func rebuild() throws(LogScanError) -> Int {
        let entries = survey.expectedEntries(closed: true)
        var offsetBytes: [UInt8] = []
        offsetBytes.reserveCapacity(entries.offsets.count * 8)
        for entry in entries.offsets {
            appendBigEndian(UInt32(truncatingIfNeeded: entry.offset - survey.baseOffset), to: &offsetBytes)
            appendBigEndian(UInt32(truncatingIfNeeded: entry.position), to: &offsetBytes)
        }
        var timeBytes: [UInt8] = []
        timeBytes.reserveCapacity(entries.times.count * 12)
        for entry in entries.times {
            appendBigEndian(UInt32(truncatingIfNeeded: UInt64(bitPattern: entry.timestamp) >> 32), to: &timeBytes)
            appendBigEndian(UInt32(truncatingIfNeeded: entry.timestamp), to: &timeBytes)
            appendBigEndian(UInt32(truncatingIfNeeded: entry.offset - survey.baseOffset), to: &timeBytes)
        }
        try WritableFile.replaceAtomically(offsetIndexPath, with: offsetBytes)
        try WritableFile.replaceAtomically(timeIndexPath, with: timeBytes)
        return entries.offsets.count + entries.times.count
    }

    private func appendBigEndian(_ value: UInt32, to bytes: inout [UInt8]) {
        bytes.append(UInt8(truncatingIfNeeded: value >> 24))
        bytes.append(UInt8(truncatingIfNeeded: value >> 16))
        bytes.append(UInt8(truncatingIfNeeded: value >> 8))
        bytes.append(UInt8(truncatingIfNeeded: value))
    }
}

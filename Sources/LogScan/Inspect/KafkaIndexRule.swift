/// The Kafka broker's rule for a segment's `.index` and `.timeindex`
/// entries (LogSegment.append and LogSegment.recover; see
/// /work/shared/corpus/KAFKA_LAYOUT.md), as a pure function of the segment's
/// batches. `logscan index` and `stat` check and rebuild Kafka indexes with
/// it (KafkaSegmentSurvey.swift supplies the batches).
public enum KafkaIndexRule {
    public struct Batch: Sendable, Equatable {
        public var position: Int64
        /// Bytes of the whole batch (12 + batchLength).
        public var size: Int64
        public var lastOffset: Int64
        public var maxTimestamp: Int64

        public init(position: Int64, size: Int64, lastOffset: Int64, maxTimestamp: Int64) {
            self.position = position
            self.size = size
            self.lastOffset = lastOffset
            self.maxTimestamp = maxTimestamp
        }
    }

    /// `.index` entry: absolute offset and byte position (stored relative to
    /// the base offset, 4 + 4 bytes big-endian).
    public struct OffsetEntry: Sendable, Equatable {
        public var offset: Int64
        public var position: Int64
    }

    /// `.timeindex` entry: timestamp and absolute offset (stored 8 + 4 bytes).
    public struct TimeEntry: Sendable, Equatable {
        public var timestamp: Int64
        public var offset: Int64
    }

    /// The default `index.interval.bytes`.
    public static let defaultIntervalBytes: Int64 = 4096

    /// Entries for `batches` (one append each), in file order. `closed`: the
    /// segment was rolled or closed cleanly, which appends a last time-index
    /// entry for the segment's largest timestamp.
    public static func entries(for batches: [Batch], baseOffset: Int64, intervalBytes: Int64 = defaultIntervalBytes,
                               closed: Bool = true) -> (offsets: [OffsetEntry], times: [TimeEntry]) {
        var offsets: [OffsetEntry] = []
        var times: [TimeEntry] = []
        var bytesSinceLastEntry: Int64 = 0
        var maxTimestampSoFar: Int64 = -1
        var offsetOfMaxTimestamp = baseOffset
        func maybeAppendTime(_ timestamp: Int64, _ offset: Int64) {
            // Only strictly increasing timestamps; an empty index behaves as (-1, base).
            if timestamp > (times.last?.timestamp ?? -1) { times.append(TimeEntry(timestamp: timestamp, offset: offset)) }
        }
        for batch in batches {
            if batch.maxTimestamp > maxTimestampSoFar {
                maxTimestampSoFar = batch.maxTimestamp
                offsetOfMaxTimestamp = batch.lastOffset
            }
            // Checked before this append's bytes count: the first batch of
            // a segment never gets an entry.
            if bytesSinceLastEntry > intervalBytes {
                offsets.append(OffsetEntry(offset: batch.lastOffset, position: batch.position))
                maybeAppendTime(maxTimestampSoFar, offsetOfMaxTimestamp)
                bytesSinceLastEntry = 0
            }
            bytesSinceLastEntry += batch.size
        }
        if closed && !batches.isEmpty { maybeAppendTime(maxTimestampSoFar, offsetOfMaxTimestamp) }
        return (offsets, times)
    }
}

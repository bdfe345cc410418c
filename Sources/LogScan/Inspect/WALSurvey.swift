/// `logscan stat` for a LevelDB/RocksDB WAL: a walk of the whole file with
/// the WAL reader (WALs have no header to survey and no index), stopping at
/// the first damage. Units are physical records; the stored/raw ratio is
/// the file's bytes read against the batches' (uncompressed) bytes.
struct WALSurvey {
    let segment: LogInput.Segment

    func stat() throws(LogScanError) -> SegmentStat {
        let file = try OpenFile(path: segment.path)
        let source = try ByteSource(file: file, options: IOOptions())
        let reader = WALSegmentReader(source: source, kind: segment.kind,
                                      logNumber: WALFormat.logNumber(fileName: Directory.baseName(segment.path)))
        var stat = SegmentStat(path: segment.path, kind: segment.kind, sizeBytes: source.size ?? 0, records: 0, units: 0,
                               storedPayloadBytes: 0, rawPayloadBytes: 0, validEnd: 0, index: .notApplicable)
        do throws(LogScanError) {
            while let batch = try reader.next() {
                stat.records += 1
                if stat.firstOffset == nil { stat.firstOffset = batch.sequence }
                stat.lastOffset = max(stat.lastOffset ?? 0, batch.lastSequence)
                stat.rawPayloadBytes += Int64(batch.byteSize)
                stat.validEnd = reader.log.bytesConsumed
            }
        } catch {
            guard error.isDamage else { throw error }
            stat.damage = error
        }
        stat.units = reader.log.physicalRecords
        stat.storedPayloadBytes = stat.validEnd
        return stat
    }
}

/// Searches logs record by record: the engine of `logscan grep`. For each
/// unit (native block, batch) it first looks for a literal every match must
/// contain, with a SIMD byte search over the unit's mapped or decompressed
/// bytes, and decodes only the records around a hit; then the real matcher
/// (fixed strings or PCRE2) checks the chosen field of those records.
public struct LogSearcher: Sendable {
    public let matcher: RecordMatcher
    public var replay: ReplayOptions
    public let options: SearchOptions

    public init(matcher: RecordMatcher, replay: ReplayOptions, options: SearchOptions = SearchOptions()) {
        self.matcher = matcher
        self.replay = replay
        self.options = options
    }

    /// Searches resolved inputs in order, on this thread. With
    /// `replay.follow`, only the last input is followed (the others are
    /// searched to their ends first), and the search ends when
    /// `replay.stop` is requested or `replay.limit` is reached.
    public func search<Sink: SearchSink & ~Copyable>(_ inputs: [LogInput], into sink: inout Sink) -> SearchSummary {
        var summary = SearchSummary()
        var state = matcher.makeState()
        for (i, input) in inputs.enumerated() {
            var searcher = self
            if i < inputs.count - 1 { searcher.replay.follow = nil }
            if !searcher.search(input, state: &state, into: &sink, summary: &summary) { break }
        }
        return summary
    }

    /// Returns false when the whole search must stop (-q, --limit).
    func search<Sink: SearchSink & ~Copyable>(_ input: LogInput, state: inout MatchState, into sink: inout Sink,
                                               summary: inout SearchSummary) -> Bool {
        // Readers that can (native raw blocks) find the first prefilter
        // literal while they checksum a unit: one pass over its bytes.
        var options = replay
        if usesPrefilter {
            options.probe = matcher.prefilter.first
        }
        switch LogReader.cursor(for: input, options: options) {
        case .native(let cursor):
            return drive(cursor, state: &state, into: &sink, summary: &summary)
        case .kafka(let cursor):
            return drive(cursor, state: &state, into: &sink, summary: &summary)
        case .wal(let cursor):
            return drive(cursor, state: &state, into: &sink, summary: &summary)
        case .unsupported(let error):
            summary.failures += 1
            sink.failure(error)
            return true
        }
    }

    /// With --limit, records must be counted one by one in log order, so
    /// the prefilter (which skips records unseen) is not used.
    private var usesPrefilter: Bool { !matcher.prefilter.isEmpty && replay.limit == nil }

    private func drive<Reader, Sink: SearchSink & ~Copyable>(_ cursor: SegmentCursor<Reader>, state: inout MatchState,
                                                             into sink: inout Sink, summary: inout SearchSummary) -> Bool {
        var currentPath: String? = nil
        var fileMatches = 0
        var fileRecordsAtStart = 0
        var fileBytesAtStart: Int64 = 0
        var candidates: [Int] = []
        let wantsSubmatches = sink.wantsSubmatches && !matcher.invert

        func endFile(_ sink: inout Sink) {
            guard let path = currentPath else { return }
            // The segment's reader is closed by now, its bytes counted.
            let stats = SegmentSearchStats(matches: fileMatches, recordsSearched: summary.recordsRead - fileRecordsAtStart,
                                           bytesSearched: cursor.bytesDecoded - fileBytesAtStart)
            sink.endSegment(path: path, stats: stats)
            summary.segments += 1
            if fileMatches > 0 { summary.segmentsWithMatches += 1 }
            currentPath = nil
        }
        defer {
            var replaySummary = ReplaySummary()
            cursor.addStatistics(to: &replaySummary)
            summary.bytes += replaySummary.bytes
            summary.damaged = summary.damaged || replaySummary.damaged
            summary.failures += replaySummary.failures
            summary.io += replaySummary.io
        }

        /// Handles one selected record; false when the file (or all) must stop.
        func select(_ record: LogRecord, _ state: inout MatchState, _ sink: inout Sink) -> Bool {
            fileMatches += 1
            summary.matches += 1
            if wantsSubmatches {
                sink.match(record, submatches: state.submatches(record))
            } else {
                sink.match(record, submatches: [])
            }
            if let max = options.maxCountPerFile, fileMatches >= max { return false }
            return options.stopAtFirstMatch == .never
        }

        while true {
            switch cursor.nextUnit(whenCaughtUp: { sink.caughtUp() }) {
            case .unit(let reader):
                if let cancellation = options.cancellation, cancellation.isCancelled {
                    endFile(&sink)
                    summary.stoppedEarly = true
                    return false
                }
                let count = reader.unitRecordCount
                var keepGoing = true
                if usesPrefilter, let bytes = reader.unitBytes {
                    // Records holding a prefilter literal somewhere in their bytes.
                    candidates.removeAll(keepingCapacity: true)
                    /// Adds the record holding `hit` and returns where to look
                    /// next: past that record, as one hit is enough.
                    func candidate(at hit: Int) -> Int {
                        let index = reader.unitRecordIndex(containing: hit)
                        candidates.append(index)
                        let next = index + 1 < count ? reader.unitRecordStart(index + 1) : bytes.count
                        return max(hit + 1, next)
                    }
                    for (n, literal) in matcher.prefilter.enumerated() {
                        var at = 0
                        if n == 0 {
                            // What the reader found while checksumming.
                            let probe = reader.unitProbe
                            for hit in probe.hits where Int(hit) >= at { at = candidate(at: Int(hit)) }
                            at = max(at, probe.searched)
                        }
                        while at < bytes.count, let hit = literal.firstIndex(in: bytes, from: at) { at = candidate(at: hit) }
                    }
                    if matcher.prefilter.count > 1 { candidates.sort() }
                    if !matcher.invert {
                        var previous = -1
                        for index in candidates where index != previous {
                            previous = index
                            guard let record = reader.unitRecord(index) else { continue }
                            if state.recordMatches(record) && !select(record, &state, &sink) { keepGoing = false; break }
                        }
                        summary.recordsRead += count
                    } else {
                        var next = 0
                        for index in 0..<count {
                            guard let record = reader.unitRecord(index) else { continue }
                            summary.recordsRead += 1
                            while next < candidates.count && candidates[next] < index { next += 1 }
                            let isCandidate = next < candidates.count && candidates[next] == index
                            if isCandidate && state.recordMatches(record) { continue }
                            if !select(record, &state, &sink) { keepGoing = false; break }
                        }
                    }
                } else {
                    for index in 0..<count {
                        guard let record = reader.unitRecord(index) else { continue }
                        summary.recordsRead += 1
                        if state.recordMatches(record) != matcher.invert && !select(record, &state, &sink) {
                            keepGoing = false
                            break
                        }
                        // Stop right at the limit: in follow mode the next
                        // record may never come.
                        if let limit = replay.limit, summary.recordsRead >= limit {
                            endFile(&sink)
                            summary.stoppedEarly = true
                            return false
                        }
                    }
                }
                if !keepGoing {
                    if options.stopAtFirstMatch == .everything {
                        endFile(&sink)
                        summary.stoppedEarly = true
                        return false
                    }
                    cursor.skipRestOfSegment()
                }
            case .event(let event):
                switch event {
                case .beginSegment(let path, let kind):
                    endFile(&sink)
                    currentPath = path
                    fileMatches = 0
                    fileRecordsAtStart = summary.recordsRead
                    fileBytesAtStart = cursor.bytesDecoded
                    sink.beginSegment(path: path, kind: kind)
                case .damage(let report): sink.damage(report)
                case .warning(let message): sink.warning(message)
                case .failure(let error): sink.failure(error)
                }
            case .record:
                preconditionFailure("record step while reading by unit")
            case .end:
                endFile(&sink)
                return true
            }
        }
    }
}

/// The one thing logscan reads from a database's MANIFEST: the smallest log
/// number whose WAL may still hold unflushed data. WALs below it are
/// obsolete (RocksDB keeps some around for recycling) and are not replayed.
///
/// The MANIFEST that `CURRENT` names is a log (the WAL's block format) of
/// VersionEdits (db/version_edit.{h,cc}): varint32 tags, each followed by
/// its fields. Every tag's layout is known here, and tags from the future
/// with the safe-ignore bit (1 << 13) carry their length. Column families
/// each have their own log number (kColumnFamily selects the family the
/// following fields are about); the minimum over the live families, and
/// over kMinLogNumberToKeep (two-phase commit), is the answer. LevelDB has
/// one log number and a previous one (kPrevLogNumber), which is kept too.
///
/// Anything unexpected (no CURRENT, an unknown tag, a damaged record)
/// gives nil: then every WAL is replayed, never fewer.
public enum WALManifest {
    public static func minimumLiveLogNumber(directory: String) -> UInt64? {
        guard let current = try? readSmallFile(Directory.join(directory, "CURRENT")),
              let name = String(validating: current, as: UTF8.self)?.split(separator: "\n").first,
              name.hasPrefix("MANIFEST-"), !name.contains("/") else { return nil }
        do throws(LogScanError) {
            let file = try OpenFile(path: Directory.join(directory, String(name)))
            defer { file.close() }
            let source = try ByteSource(file: file, options: IOOptions(mode: .pread))
            let reader = WALLogReader(source: source, dialect: .rocksdb, logNumber: 0)
            var state = State()
            loop: while true {
                switch try reader.next() {
                case .record(let record):
                    // The record is a view; copy it before decoding (cheap: edits are small).
                    let bytes = [UInt8](record.bytes)
                    guard bytes.withUnsafeBytes({ state.apply($0) }) else { return nil }
                case .report:
                    return nil
                case .end(let end):
                    if end.kind == .clean || end.kind == .torn { break loop }
                    return nil
                }
            }
            return state.minimum
        } catch {
            return nil
        }
    }

    private static func readSmallFile(_ path: String) throws(LogScanError) -> [UInt8] {
        let file = try OpenFile(path: path)
        defer { file.close() }
        let source = try ByteSource(file: file, options: IOOptions(mode: .pread))
        let view = try source.bytes(at: 0, count: 4096)
        return [UInt8](view)
    }

    struct State {
        /// Log number per live column family (0, the default one, always exists).
        var logNumbers: [UInt32: UInt64] = [0: 0]
        var minLogToKeep: UInt64? = nil
        var prevLogNumber: UInt64? = nil

        var minimum: UInt64? {
            guard var low = logNumbers.values.min() else { return nil }
            if let keep = minLogToKeep { low = min(low, keep) }
            if let prev = prevLogNumber, prev != 0 { low = min(low, prev) }
            return low
        }

        /// Applies one VersionEdit; false when it cannot be parsed.
        mutating func apply(_ edit: UnsafeRawBufferPointer) -> Bool {
            var i = 0
            let n = edit.count
            func varint64() -> UInt64? {
                var result: UInt64 = 0
                var shift: UInt64 = 0
                while shift <= 63 && i < n {
                    let byte = edit[i]
                    i += 1
                    result |= UInt64(byte & 0x7F) << shift
                    if byte < 0x80 { return result }
                    shift += 7
                }
                return nil
            }
            func varint32() -> UInt32? {
                guard let v = varint64(), v <= UInt64(UInt32.max) else { return nil }
                return UInt32(v)
            }
            func slice() -> Bool {
                guard let length = varint32(), Int(length) <= n - i else { return false }
                i += Int(length)
                return true
            }
            var family: UInt32 = 0
            var logNumber: UInt64? = nil
            var added = false, dropped = false
            while i < n {
                guard let tag = varint32() else { return false }
                switch tag {
                case 1: guard slice() else { return false }                        // comparator
                case 2: guard let v = varint64() else { return false }; logNumber = v
                case 3, 4: guard varint64() != nil else { return false }           // next file, last sequence
                case 5: guard varint32() != nil, slice() else { return false }     // compact cursor/pointer
                case 6: guard varint32() != nil, varint64() != nil else { return false }  // deleted file
                case 7:                                                            // new file
                    guard varint32() != nil, varint64() != nil, varint64() != nil, slice(), slice() else { return false }
                case 9: guard let v = varint64() else { return false }; prevLogNumber = v
                case 10: guard let v = varint64() else { return false }; minLogToKeep = v
                case 100:                                                          // new file 2
                    guard varint32() != nil, varint64() != nil, varint64() != nil, slice(), slice(),
                          varint64() != nil, varint64() != nil else { return false }
                case 102:                                                          // new file 3 (path id)
                    guard varint32() != nil, varint64() != nil, varint32() != nil, varint64() != nil, slice(), slice(),
                          varint64() != nil, varint64() != nil else { return false }
                case 103:                                                          // new file 4 + custom fields
                    guard varint32() != nil, varint64() != nil, varint64() != nil, slice(), slice(),
                          varint64() != nil, varint64() != nil else { return false }
                    while true {
                        guard let custom = varint32() else { return false }
                        if custom == 1 { break }                                   // kTerminate
                        guard slice() else { return false }
                    }
                case 200: guard let v = varint32() else { return false }; family = v
                case 201: guard slice() else { return false }; added = true        // column family add (name)
                case 202: dropped = true                                           // column family drop
                case 203, 300: guard varint32() != nil else { return false }       // max column family, atomic group
                case 400:                                                          // blob file addition
                    guard varint64() != nil, varint64() != nil, varint64() != nil, slice(), slice() else { return false }
                case 401: guard varint64() != nil, varint64() != nil, varint64() != nil else { return false }
                default:
                    guard tag & (1 << 13) != 0, slice() else { return false }      // safe to ignore
                }
            }
            if dropped {
                logNumbers[family] = nil
            } else if let logNumber {
                logNumbers[family] = logNumber
            } else if added {
                logNumbers[family] = logNumbers[family] ?? 0
            }
            return true
        }
    }
}

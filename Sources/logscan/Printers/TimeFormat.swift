#if canImport(Glibc)
import Glibc
#endif

enum TimeFormat {
    /// "2026-11-23T18:43:00.123Z" for milliseconds since the epoch.
    static func writeISO8601(_ millis: Int64, to out: inout OutputBuffer) {
        var seconds = millis / 1000
        var ms = millis % 1000
        if ms < 0 { ms += 1000; seconds -= 1 }
        var t = time_t(seconds)
        var parts = tm()
        guard gmtime_r(&t, &parts) != nil else { out.decimal(millis); return }
        func two(_ v: Int32, _ out: inout OutputBuffer) {
            out.byte(UInt8(48 + v / 10))
            out.byte(UInt8(48 + v % 10))
        }
        let year = Int64(parts.tm_year) + 1900
        if year >= 0 && year < 10000 {
            for divisor in [1000, 100, 10, 1] as [Int64] { out.byte(UInt8(48 + (year / divisor) % 10)) }
        } else {
            out.decimal(year)
        }
        out.byte(UInt8(ascii: "-")); two(parts.tm_mon + 1, &out)
        out.byte(UInt8(ascii: "-")); two(parts.tm_mday, &out)
        out.byte(UInt8(ascii: "T")); two(parts.tm_hour, &out)
        out.byte(UInt8(ascii: ":")); two(parts.tm_min, &out)
        out.byte(UInt8(ascii: ":")); two(parts.tm_sec, &out)
        out.byte(UInt8(ascii: "."))
        out.byte(UInt8(48 + ms / 100)); out.byte(UInt8(48 + (ms / 10) % 10)); out.byte(UInt8(48 + ms % 10))
        out.byte(UInt8(ascii: "Z"))
    }
}

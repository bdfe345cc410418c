#if canImport(Glibc)
import Glibc
#endif

enum TimeFormat {
    /// "2026-11-23T18:43:00.123Z" for milliseconds since the epoch.
    ///
    /// Years 0-9999 are computed here, without gmtime_r (the proleptic
    /// Gregorian calendar, days to civil date as in Howard Hinnant's
    /// `civil_from_days`), and written as one run of 24 bytes: through
    /// gmtime_r and a byte at a time this was ~30% of a text replay. Other
    /// years take `writeISO8601ByGmtime`, which tests hold this to.
    static func writeISO8601(_ millis: Int64, to out: inout OutputBuffer) {
        // ±2^53 ms is far beyond year 9999 either way, and keeps the
        // arithmetic below from overflowing.
        guard millis > -(1 << 53) && millis < 1 << 53 else { writeISO8601ByGmtime(millis, to: &out); return }
        let (seconds, ms) = split(millis)
        var days = seconds / 86400
        var secondOfDay = seconds % 86400
        if secondOfDay < 0 { secondOfDay += 86400; days -= 1 }
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        guard year >= 0 && year < 10000 else { writeISO8601ByGmtime(millis, to: &out); return }
        let hour = secondOfDay / 3600, minute = secondOfDay / 60 % 60, second = secondOfDay % 60
        // Three little-endian words, "YYYY-MM-" "DDTHH:MM" ":SS.mmmZ", built
        // in registers: bytes stored one by one and then copied as words
        // stalled on store forwarding.
        @inline(__always) func two(_ v: Int64) -> UInt64 {
            let tens = v / 10
            return 0x3030 | UInt64(tens) | UInt64(v - tens * 10) << 8
        }
        let dash = UInt64(UInt8(ascii: "-")), colon = UInt64(UInt8(ascii: ":"))
        let w0 = two(year / 100) | two(year % 100) << 16 | dash << 32 | two(month) << 40 | dash << 56
        let w1 = two(day) | UInt64(UInt8(ascii: "T")) << 16 | two(hour) << 24 | colon << 40 | two(minute) << 48
        let w2 = colon | two(second) << 8 | UInt64(UInt8(ascii: ".")) << 24 | (0x30 | UInt64(ms / 100)) << 32
            | two(ms % 100) << 40 | UInt64(UInt8(ascii: "Z")) << 56
        withUnsafeBytes(of: (w0.littleEndian, w1.littleEndian, w2.littleEndian)) { out.bytes($0) }
    }

    /// The same through gmtime_r, for every year (a year outside 0-9999 is
    /// written in full; a time gmtime_r cannot convert, as milliseconds).
    static func writeISO8601ByGmtime(_ millis: Int64, to out: inout OutputBuffer) {
        let (seconds, ms) = split(millis)
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

    /// Whole seconds (rounded down, also before the epoch) and 0-999 ms.
    @inline(__always)
    private static func split(_ millis: Int64) -> (seconds: Int64, ms: Int64) {
        let ms = millis % 1000
        return ms < 0 ? (millis / 1000 - 1, ms + 1000) : (millis / 1000, ms)
    }
}

import CablecarDomain

/// Parses `YYYY-MM-DDTHH:MM[:SS]` followed by `Z` or a `±HH:MM` offset into epoch milliseconds.
/// A time without an offset is refused: the importer never guesses a time zone.
enum ISO8601Instant {
    static func parse(_ text: String) -> EpochMillis? {
        let b = Array(text.utf8)
        guard b.count >= 17 else { return nil }
        func number(_ from: Int, _ length: Int) -> Int? {
            guard from + length <= b.count else { return nil }
            var value = 0
            for i in from..<(from + length) {
                guard (48...57).contains(b[i]) else { return nil }
                value = value * 10 + Int(b[i] - 48)
            }
            return value
        }
        guard b[4] == 45, b[7] == 45, b[10] == 84 || b[10] == 32, b[13] == 58,
            let year = number(0, 4), let month = number(5, 2), let day = number(8, 2), let hour = number(11, 2),
            let minute = number(14, 2)
        else { return nil }
        var index = 16
        var second = 0
        if index < b.count, b[index] == 58 {
            guard let s = number(index + 1, 2) else { return nil }
            second = s
            index += 3
        }
        guard index < b.count else { return nil }
        let offsetMinutes: Int
        if b[index] == 90, index + 1 == b.count {
            offsetMinutes = 0
        } else if b[index] == 43 || b[index] == 45, index + 6 == b.count, b[index + 3] == 58,
            let h = number(index + 1, 2), let m = number(index + 4, 2), h <= 18, m < 60
        {
            offsetMinutes = (b[index] == 45 ? -1 : 1) * (h * 60 + m)
        } else {
            return nil
        }
        guard (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year), hour < 24, minute < 60, second < 60
        else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        let seconds = days * 86_400 + hour * 3_600 + minute * 60 + second - offsetMinutes * 60
        return EpochMillis(seconds) * 1_000
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
    private static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}

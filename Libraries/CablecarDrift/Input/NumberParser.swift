import Foundation

/// Parses decimal numbers straight from CSV bytes. Most values take Clinger's fast path (at most
/// 19 significant digits and a power of ten up to 22, where one IEEE multiplication or division is
/// correctly rounded); anything else goes to `strtod`, so every result equals what a correct
/// `Double(String)` would give.
public enum NumberParser {
    public enum Parsed: Equatable, Sendable {
        case value(Double)
        /// Empty, NA, NaN, null, None, or ±inf (Evidently drops infinities as missing too).
        case missing
        case invalid
    }

    private static let powersOfTen: [Double] = (0...22).map { pow(10.0, Double($0)) }

    public static func parse(_ base: UnsafePointer<UInt8>, count: Int) -> Parsed {
        var start = 0
        var end = count
        while start < end && (base[start] == 0x20 || base[start] == 0x09) { start += 1 }
        while end > start && (base[end - 1] == 0x20 || base[end - 1] == 0x09) { end -= 1 }
        if start == end { return .missing }
        var i = start
        var negative = false
        if base[i] == UInt8(ascii: "-") {
            negative = true
            i += 1
        } else if base[i] == UInt8(ascii: "+") {
            i += 1
        }
        var mantissa: UInt64 = 0
        var digits = 0
        var significant = 0
        var exponent = 0
        var sawDigit = false
        while i < end, base[i] &- 0x30 < 10 {
            sawDigit = true
            let d = UInt64(base[i] &- 0x30)
            if significant < 19 {
                if mantissa != 0 || d != 0 { significant += 1 }
                mantissa = mantissa &* 10 &+ d
            } else {
                exponent += 1
                digits += 1
            }
            i += 1
        }
        if i < end && base[i] == UInt8(ascii: ".") {
            i += 1
            while i < end, base[i] &- 0x30 < 10 {
                sawDigit = true
                let d = UInt64(base[i] &- 0x30)
                if significant < 19 {
                    if mantissa != 0 || d != 0 { significant += 1 }
                    mantissa = mantissa &* 10 &+ d
                    exponent -= 1
                } else {
                    digits += 1
                }
                i += 1
            }
        }
        guard sawDigit else { return special(base + start, count: end - start) }
        if i < end && (base[i] == UInt8(ascii: "e") || base[i] == UInt8(ascii: "E")) {
            i += 1
            var expNegative = false
            if i < end && (base[i] == UInt8(ascii: "-") || base[i] == UInt8(ascii: "+")) {
                expNegative = base[i] == UInt8(ascii: "-")
                i += 1
            }
            var e = 0
            var expDigits = 0
            while i < end, base[i] &- 0x30 < 10 {
                if e < 100_000 { e = e * 10 + Int(base[i] &- 0x30) }
                expDigits += 1
                i += 1
            }
            if expDigits == 0 { return .invalid }
            exponent += expNegative ? -e : e
        }
        if i != end { return .invalid }
        if digits == 0 && mantissa <= (1 << 53) && exponent >= -22 && exponent <= 22 {
            var value = Double(mantissa)
            if exponent < 0 { value /= powersOfTen[-exponent] } else if exponent > 0 { value *= powersOfTen[exponent] }
            return .value(negative ? -value : value)
        }
        return slowPath(base + start, count: end - start)
    }

    private static func slowPath(_ p: UnsafePointer<UInt8>, count: Int) -> Parsed {
        guard count < 512 else { return .invalid }
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: count + 1) { buffer -> Parsed in
            for k in 0..<count { buffer[k] = CChar(bitPattern: p[k]) }
            buffer[count] = 0
            guard let base = buffer.baseAddress else { return .invalid }
            var endPointer: UnsafeMutablePointer<CChar>?
            let value = strtod(base, &endPointer)
            guard let endPointer, endPointer - base == count else { return .invalid }
            return value.isFinite ? .value(value) : .missing
        }
    }

    private static let missingTokens: Set<String> = [
        "na", "n/a", "nan", "null", "none", "inf", "+inf", "-inf", "infinity", "+infinity", "-infinity",
    ]

    private static func special(_ p: UnsafePointer<UInt8>, count: Int) -> Parsed {
        guard count <= 9 else { return .invalid }
        let token = String(decoding: UnsafeBufferPointer(start: p, count: count), as: UTF8.self).lowercased()
        return missingTokens.contains(token) ? .missing : .invalid
    }
}

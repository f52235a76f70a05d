/// A sum of readings kept in millionths of their unit, as an integer.
///
/// Floating-point addition depends on order: the same readings summed in the batches one run
/// happened to form and in those of another can differ in the last bit, and a mean rounded to
/// two decimals then differs by 0.01. Integers add up exactly in any order, so a replay of the
/// same records gives the same observations bit for bit (docs/ingest.md, Reproducible replays).
/// A millionth is far below any sensor's resolution; validated readings stay far from the
/// bounds of `Int64`.
public struct ExactSum: Sendable, Hashable, ExpressibleByFloatLiteral, ExpressibleByIntegerLiteral {
    public static let scale = 1_000_000.0
    /// Beyond what any validated reading or sum of them comes near: values are clamped to it so
    /// that conversion can never trap.
    static let bound = 9.0e12

    public var micros: Int64

    public init(micros: Int64) { self.micros = micros }

    public init(_ value: Double) {
        let scaled = (min(max(value, -Self.bound), Self.bound) * Self.scale).rounded()
        micros = scaled.isFinite ? Int64(scaled) : 0
    }

    public init(floatLiteral value: Double) { self.init(value) }
    public init(integerLiteral value: Int64) { self.init(Double(value)) }

    public var value: Double { Double(micros) / Self.scale }

    public static func + (lhs: ExactSum, rhs: ExactSum) -> ExactSum { ExactSum(micros: lhs.micros &+ rhs.micros) }
    public static func - (lhs: ExactSum, rhs: ExactSum) -> ExactSum { ExactSum(micros: lhs.micros &- rhs.micros) }
    public static func += (lhs: inout ExactSum, rhs: ExactSum) { lhs.micros &+= rhs.micros }
    public static func -= (lhs: inout ExactSum, rhs: ExactSum) { lhs.micros &-= rhs.micros }

    /// `sum / count` rounded half up to a millionth, in integers: the same expression as the SQL
    /// that keeps the stored sums (`(2 * sum + count) / (2 * count)`), for non-negative sums.
    public static func mean(_ sum: ExactSum, count: Int) -> ExactSum {
        guard count > 0 else { return 0 }
        let count = Int64(count)
        return ExactSum(micros: (2 &* sum.micros &+ count) / (2 &* count))
    }
}

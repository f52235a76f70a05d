/// A tiny seeded generator (Steele, Lea & Flood's SplitMix64). Tests, fixtures and benchmarks use
/// it so that Swift and the Python fixture script draw bit-identical samples from a seed.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform double in [0, 1) from the top 53 bits.
    public mutating func uniform() -> Double {
        Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
    }

    /// Approximately standard normal: centred Irwin–Hall(4) scaled to unit variance. Uses only
    /// additions and multiplications, so Python reproduces it exactly.
    public mutating func normalish() -> Double {
        var s = uniform() + uniform()
        s = s + uniform()
        s = s + uniform()
        return (s - 2.0) * 1.7320508075688772
    }
}

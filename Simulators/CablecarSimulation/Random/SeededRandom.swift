import Foundation

/// xoshiro256** seeded through SplitMix64: fast, small state, and — unlike
/// `SystemRandomNumberGenerator` — reproducible, which the simulator's byte-identical
/// output depends on. Every process in the simulation owns its own stream (see `stream`)
/// so that, for example, turning faults on does not change the traffic.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var s0: UInt64
    private var s1: UInt64
    private var s2: UInt64
    private var s3: UInt64

    public init(seed: UInt64) {
        var mixer = SplitMix64(state: seed)
        s0 = mixer.next()
        s1 = mixer.next()
        s2 = mixer.next()
        s3 = mixer.next()
        if s0 | s1 | s2 | s3 == 0 { s0 = 0x9E37_79B9_7F4A_7C15 }
    }

    /// An independent generator for one named concern, derived from the run's seed.
    public static func stream(_ name: String, seed: UInt64) -> SeededRandom {
        SeededRandom(seed: seed ^ stableHash(name))
    }

    public mutating func next() -> UInt64 {
        let result = rotate(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = rotate(s3, 45)
        return result
    }

    @inline(__always)
    private func rotate(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// Uniform in [0, 1), 53 bits of precision.
    @inline(__always)
    public mutating func uniform() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    public mutating func uniform(_ range: ClosedRange<Double>) -> Double {
        range.lowerBound + (range.upperBound - range.lowerBound) * uniform()
    }

    /// Uniform integer in `range`, without modulo bias worth worrying about at these sizes.
    public mutating func integer(_ range: ClosedRange<Int>) -> Int {
        let width = UInt64(range.upperBound - range.lowerBound) + 1
        return range.lowerBound + Int(next() % width)
    }

    public mutating func bernoulli(_ probability: Double) -> Bool {
        probability > 0 && uniform() < probability
    }

    /// Standard normal by Box–Muller (one of the pair is discarded: simpler state, and the
    /// simulator is nowhere near bound by this).
    public mutating func normal(mean: Double = 0, standardDeviation: Double = 1) -> Double {
        var u1 = uniform()
        if u1 < 1e-300 { u1 = 1e-300 }
        let u2 = uniform()
        return mean + standardDeviation * (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }

    /// Poisson counts: Knuth's product method for small means, a rounded normal beyond,
    /// where the two are indistinguishable for vehicle counts.
    public mutating func poisson(mean: Double) -> Int {
        guard mean > 0 else { return 0 }
        if mean < 30 {
            let limit = exp(-mean)
            var product = uniform()
            var count = 0
            while product > limit {
                product *= uniform()
                count += 1
            }
            return count
        }
        return max(0, Int((normal(mean: mean, standardDeviation: mean.squareRoot())).rounded()))
    }

    /// Exponential waiting time with the given mean.
    public mutating func exponential(mean: Double) -> Double {
        -mean * log(1 - uniform())
    }

    public mutating func element<T>(of array: [T]) -> T? {
        array.isEmpty ? nil : array[integer(0...(array.count - 1))]
    }
}

/// SplitMix64, used only to expand a 64-bit seed into xoshiro's state.
struct SplitMix64 {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// FNV-1a: `String.hashValue` is randomized per process, so it can never feed a seed.
func stableHash(_ text: String) -> UInt64 {
    var hash: UInt64 = 0xCBF2_9CE4_8422_2325
    for byte in text.utf8 {
        hash ^= UInt64(byte)
        hash &*= 0x0000_0100_0000_01B3
    }
    return hash
}

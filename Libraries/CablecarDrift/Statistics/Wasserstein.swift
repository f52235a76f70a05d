import Foundation

/// First Wasserstein (earth mover's) distance between two empirical distributions, as
/// `scipy.stats.wasserstein_distance(u, v)`: the integral of |F_u - F_v| over the real line.
public enum Wasserstein {
    /// Distance between two **sorted** samples. Both must be non-empty.
    public static func distance(
        sortedReference a: UnsafeBufferPointer<Double>,
        sortedCurrent b: UnsafeBufferPointer<Double>
    ) -> Double {
        let n1 = a.count
        let n2 = b.count
        guard n1 > 0, n2 > 0 else { return .nan }
        let d1 = Double(n1)
        let d2 = Double(n2)
        var i = 0
        var j = 0
        var sum = 0.0
        var compensation = 0.0
        var value = min(a[0], b[0])
        while i < n1 || j < n2 {
            while i < n1 && a[i] <= value { i += 1 }
            while j < n2 && b[j] <= value { j += 1 }
            let next: Double
            if i < n1 && j < n2 { next = min(a[i], b[j]) } else if i < n1 { next = a[i] } else if j < n2 { next = b[j] } else { break }
            let term = abs(Double(i) / d1 - Double(j) / d2) * (next - value)
            let y = term - compensation
            let t = sum + y
            compensation = (t - sum) - y
            sum = t
            value = next
        }
        return sum
    }

    /// Convenience for arrays; sorts copies.
    public static func distance(_ reference: [Double], _ current: [Double]) -> Double {
        let a = reference.sorted()
        let b = current.sorted()
        return a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in distance(sortedReference: pa, sortedCurrent: pb) } }
    }

    /// Evidently's normed Wasserstein distance: the distance divided by the reference's population
    /// standard deviation, floored at 0.001 so that a constant reference does not divide by zero.
    public static func normalized(distance: Double, referenceStandardDeviation sd: Double) -> Double {
        distance / max(sd, 0.001)
    }
}

/// Population moments (NumPy's `np.std` uses ddof = 0), accumulated with Welford's update so that
/// profiles from several chunks merge exactly (Chan et al.).
public struct Moments: Sendable, Codable, Equatable {
    public private(set) var count: Int = 0
    public private(set) var mean: Double = 0
    public private(set) var m2: Double = 0
    public private(set) var minimum: Double = .infinity
    public private(set) var maximum: Double = -.infinity

    public init() {}

    public mutating func add(_ x: Double) {
        count += 1
        let delta = x - mean
        mean += delta / Double(count)
        m2 += delta * (x - mean)
        if x < minimum { minimum = x }
        if x > maximum { maximum = x }
    }

    public mutating func merge(_ other: Moments) {
        guard other.count > 0 else { return }
        guard count > 0 else {
            self = other
            return
        }
        let total = count + other.count
        let delta = other.mean - mean
        mean += delta * Double(other.count) / Double(total)
        m2 += other.m2 + delta * delta * Double(count) * Double(other.count) / Double(total)
        count = total
        minimum = Swift.min(minimum, other.minimum)
        maximum = Swift.max(maximum, other.maximum)
    }

    /// Population standard deviation (ddof = 0).
    public var standardDeviation: Double { count > 0 ? (Swift.max(m2, 0) / Double(count)).squareRoot() : .nan }

    /// Two-pass moments of a buffer: more accurate than streaming, used when all values are at hand.
    public static func of(_ values: UnsafeBufferPointer<Double>) -> Moments {
        var result = Moments()
        guard !values.isEmpty else { return result }
        var sum = 0.0
        var lo = Double.infinity
        var hi = -Double.infinity
        for v in values {
            sum += v
            if v < lo { lo = v }
            if v > hi { hi = v }
        }
        let mean = sum / Double(values.count)
        var squares = 0.0
        for v in values {
            let d = v - mean
            squares += d * d
        }
        result.count = values.count
        result.mean = mean
        result.m2 = squares
        result.minimum = lo
        result.maximum = hi
        return result
    }
}

import Testing

@testable import CablecarSimulation

@Suite("Seeded random numbers")
struct RandomTests {
    @Test func sameSeedSameStreamDifferentSeedDifferentStream() {
        var a = SeededRandom(seed: 42)
        var b = SeededRandom(seed: 42)
        var c = SeededRandom(seed: 43)
        let first = (0..<8).map { _ in a.next() }
        #expect(first == (0..<8).map { _ in b.next() })
        #expect(first != (0..<8).map { _ in c.next() })
        #expect(SeededRandom.stream("traffic", seed: 1).uniformSample() != SeededRandom.stream("weather", seed: 1).uniformSample())
    }

    @Test func samplersHaveTheRightMoments() {
        var random = SeededRandom(seed: 7)
        let n = 40_000
        let uniforms = (0..<n).map { _ in random.uniform() }
        #expect(abs(Fixtures.mean(uniforms) - 0.5) < 0.01)
        #expect(uniforms.allSatisfy { $0 >= 0 && $0 < 1 })
        let normals = (0..<n).map { _ in random.normal(mean: 3, standardDeviation: 2) }
        let mean = Fixtures.mean(normals)
        let variance = Fixtures.mean(normals.map { ($0 - mean) * ($0 - mean) })
        #expect(abs(mean - 3) < 0.05)
        #expect(abs(variance.squareRoot() - 2) < 0.05)
        for lambda in [0.7, 12.0, 80.0] {
            let counts = (0..<n).map { _ in Double(random.poisson(mean: lambda)) }
            #expect(abs(Fixtures.mean(counts) - lambda) < 0.03 * lambda + 0.02)
            #expect(counts.allSatisfy { $0 >= 0 })
        }
        let integers = (0..<n).map { _ in random.integer(3...5) }
        #expect(Set(integers) == [3, 4, 5])
    }
}

extension SeededRandom {
    fileprivate func uniformSample() -> Double {
        var copy = self
        return copy.uniform()
    }
}

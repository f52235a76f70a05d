import CablecarDomain
import Foundation

/// Citywide weather with local variation: dry spells and rain episodes (a two-state Markov
/// process with a smooth intensity envelope), a daily temperature swing, and morning fog in
/// the western neighborhoods. Forced rain from a scenario overrides the random process.
struct WeatherProcess: Sendable {
    /// Chance per minute that a dry city starts raining: about one episode every three days.
    static let rainStartPerMinute = 1.0 / (3 * 1440)

    private var random: SeededRandom
    private var episodeStart: EpochMillis?
    private var episodeEnd: EpochMillis = 0
    private var episodePeak = 0.0
    private var dayOffset = 0.0
    private var lastDay = -1
    /// Wetter, foggier west; drier east. One factor per neighborhood.
    private let localRain: [Double]
    private let foggy: [Bool]

    /// Current citywide intensity, mm/h, and per-neighborhood values.
    private(set) var citywideRain = 0.0
    private(set) var rain: [Double]
    private(set) var temperature = 14.0

    /// Draws from `random` from now on (a fork of the city with another future).
    mutating func reseed(_ random: SeededRandom) {
        self.random = random
    }

    init(neighborhoods: Int, random: SeededRandom) {
        self.random = random
        var draws = random
        localRain = (0..<neighborhoods).map { index in
            // Neighborhoods listed first (west in the bundled city) get a bit more rain.
            1.2 - 0.35 * Double(index % 4) / 3 + draws.uniform(-0.05...0.05)
        }
        foggy = (0..<neighborhoods).map { $0 % 4 == 0 }
        rain = Array(repeating: 0, count: neighborhoods)
    }

    mutating func step(time: EpochMillis, day: Int, hour: Double, forcedRain: Double?) {
        if day != lastDay {
            lastDay = day
            dayOffset = random.normal(standardDeviation: 1.8)
        }
        if episodeStart != nil, time >= episodeEnd { episodeStart = nil }
        if episodeStart == nil, random.bernoulli(Self.rainStartPerMinute) {
            episodeStart = time
            episodeEnd = time + EpochMillis(max(30, random.exponential(mean: 150)) * 60_000)
            episodePeak = random.uniform(0.6...8)
        }
        var intensity = 0.0
        if let start = episodeStart {
            let progress = Double(time - start) / Double(max(1, episodeEnd - start))
            intensity = episodePeak * sin(Double.pi * progress) * random.uniform(0.85...1.15)
        }
        if let forcedRain { intensity = max(intensity, forcedRain) }
        citywideRain = intensity
        for index in rain.indices { rain[index] = intensity * localRain[index] }
        temperature = 14 + dayOffset + 4 * sin((hour - 9) / 24 * 2 * Double.pi) - min(3, intensity * 0.6)
    }

    /// 0 (dry) ... 1 (downpour): how much rain in a neighborhood hurts speed and capacity.
    func severity(neighborhood: Int) -> Double {
        1 - exp(-rain[neighborhood] / 3)
    }

    func visibility(neighborhood: Int, hour: Double) -> Double {
        var meters = 12_000 / (1 + rain[neighborhood] * 0.6)
        if foggy[neighborhood] && hour >= 5 && hour < 10 { meters = min(meters, 1_800) }
        return meters
    }
}

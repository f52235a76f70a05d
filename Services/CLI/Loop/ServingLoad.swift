import Foundation

/// The request generator of `cablecar run`: while the replay runs, it asks cablecar-forecast
/// what a city's apps would ask. Each time the feature store completes a new five-minute step it
/// requests the whole city (every segment, 15/30/60 min, speed and flow), so the monitor gets one
/// prediction per segment, horizon and step to score; in between it sends single-segment requests
/// at a steady pace, whose latency is what a rider's app would see.
struct ServingLoad: Sendable {
    let forecastPort: Int
    let featuresPort: Int
    let segments: [String]
    /// Single-segment requests per second between whole-city requests.
    var singleSegmentRate: Double = 20

    /// What the generator saw: counts, latencies and how the answers were served.
    struct Summary: Sendable {
        var cityRequests = 0
        var singleRequests = 0
        var failed = 0
        var failures: [String: Int] = [:]
        var predictions = 0
        var cityLatencies: [Double] = []
        var singleLatencies: [Double] = []
        var roles: [String: Int] = [:]
        var fallbackReasons: [String: Int] = [:]
        var versions: [Int: Int] = [:]

        mutating func record(_ answer: Answer) {
            for item in answer.forecasts {
                predictions += 1
                roles[item.role, default: 0] += 1
                versions[item.modelVersion, default: 0] += 1
                if let reason = item.fallbackReason { fallbackReasons[reason, default: 0] += 1 }
            }
        }

        static func percentile(_ values: [Double], _ p: Double) -> Double? {
            guard !values.isEmpty else { return nil }
            let sorted = values.sorted()
            let index = min(sorted.count - 1, max(0, Int((p * Double(sorted.count)).rounded(.up)) - 1))
            return sorted[index]
        }

        var rendered: String {
            func ms(_ value: Double?) -> String { value.map { String(format: "%.2f ms", $0) } ?? "n/a" }
            let fallbackText =
                fallbackReasons.isEmpty
                ? "none" : fallbackReasons.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            let roleText = roles.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            let versionText = versions.sorted { $0.key < $1.key }.map { "v\($0.key) \($0.value)" }.joined(separator: ", ")
            let failureText =
                failures.isEmpty
                ? "" : " (" + failures.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ") + ")"
            return """
                serving:
                  requests      \(cityRequests) whole-city, \(singleRequests) single-segment, \(failed) failed\(failureText)
                  latency       single segment p50 \(ms(Self.percentile(singleLatencies, 0.5))), p99 \(ms(Self.percentile(singleLatencies, 0.99))); \
                whole city p50 \(ms(Self.percentile(cityLatencies, 0.5))), p99 \(ms(Self.percentile(cityLatencies, 0.99)))
                  predictions   \(predictions) returned: \(roleText.isEmpty ? "none" : roleText)
                  versions      \(versionText.isEmpty ? "none" : versionText)
                  fallbacks     \(fallbackText)
                """
        }
    }

    /// The parts of a forecast answer the generator reads.
    struct Answer: Decodable {
        struct Item: Decodable {
            var role: String
            var modelVersion: Int
            var fallbackReason: String?
            enum CodingKeys: String, CodingKey {
                case role
                case modelVersion = "model_version"
                case fallbackReason = "fallback_reason"
            }
        }
        var forecasts: [Item]
    }

    struct Catalog: Decodable {
        var lastStep: Int64?
        enum CodingKeys: String, CodingKey { case lastStep = "last_step" }
    }

    /// Runs until cancelled, then returns what it saw.
    func run() async -> Summary {
        var summary = Summary()
        var lastStep: Int64?
        let pause = Duration.milliseconds(Int64(1000 / max(singleSegmentRate, 0.1)))
        var next = 0
        while !Task.isCancelled {
            let step = try? await HTTPGet.fetch("http://127.0.0.1:\(featuresPort)/api/v1/features/catalog", timeout: 10).body
                .decodeIgnoringErrors(Catalog.self)?.lastStep
            if let step, step != lastStep {
                lastStep = step
                await send(["segments": segments], city: true, into: &summary)
            } else if !segments.isEmpty {
                await send(["segments": [segments[next % segments.count]]], city: false, into: &summary)
                next += 1
            }
            try? await Task.sleep(for: pause)
        }
        return summary
    }

    private func send(_ body: [String: Any], city: Bool, into summary: inout Summary) async {
        let started = ContinuousClock.now
        guard let json = try? JSONSerialization.data(withJSONObject: body) else { return }
        do {
            let (status, data) = try await HTTPGet.post("http://127.0.0.1:\(forecastPort)/v1/forecasts", json: json, timeout: 10)
            let elapsed = (ContinuousClock.now - started) / .milliseconds(1)
            if city { summary.cityRequests += 1 } else { summary.singleRequests += 1 }
            guard status == 200, let answer = data.decodeIgnoringErrors(Answer.self) else {
                summary.failed += 1
                summary.failures["HTTP \(status)", default: 0] += 1
                return
            }
            if city { summary.cityLatencies.append(elapsed) } else { summary.singleLatencies.append(elapsed) }
            summary.record(answer)
        } catch {
            if city { summary.cityRequests += 1 } else { summary.singleRequests += 1 }
            summary.failed += 1
            summary.failures["unreachable", default: 0] += 1
        }
    }
}

extension Data {
    func decodeIgnoringErrors<T: Decodable>(_ type: T.Type) -> T? { try? JSONDecoder().decode(T.self, from: self) }
}

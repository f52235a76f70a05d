import CablecarDomain
import Foundation
import Testing

@testable import CablecarForecast

/// The forecast answer is written by hand (`ForecastAnswer.jsonBytes`) on the request path; it must
/// be the document its `Encodable` conformance describes.
@Suite("Forecast answer JSON")
struct AnswerEncodingTests {
    static func item(
        segment: String, reason: String?, speed: Double?, flow: Double?, step: EpochMillis?, speedServedBy: String? = nil
    ) -> ForecastItem {
        ForecastItem(
            segmentID: segment, neighborhood: "north", horizonMinutes: 30, issueTime: 1_704_067_200_000, targetTime: 1_704_069_000_000,
            featureStep: step, speedKmh: speed, flowVehiclesPerHour: flow, modelName: "traffic \"forecast\"", modelVersion: 7,
            role: reason == nil ? "production" : "fallback", fallback: reason != nil, fallbackReason: reason,
            speedServedBy: speedServedBy)
    }

    static let answer = ForecastAnswer(
        requestID: "req\\1\u{1}\n\t/é", issueTime: 1_704_067_200_000, featureStep: nil,
        forecasts: [
            item(
                segment: "seg-a-1", reason: nil, speed: 41.123456789012345, flow: 1e-7, step: 1_704_066_900_000,
                speedServedBy: "persistence"),
            item(segment: "seg-b-2", reason: "features_missing", speed: nil, flow: 1.5e21, step: nil),
            item(segment: "seg-c-3", reason: "model_failed", speed: -0.0, flow: 300, step: 0),
        ])

    @Test func decodesToTheSameAnswerWithTheSameKeys() throws {
        let written = try Self.answer.jsonBytes()
        #expect(try JSONDecoder().decode(ForecastAnswer.self, from: Data(written)) == Self.answer)

        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let reference = try encoder.encode(Self.answer)
        #expect(written == [UInt8](reference), "byte for byte what JSONEncoder writes with sorted keys")
        let ours = try #require(try JSONSerialization.jsonObject(with: Data(written)) as? [String: Any])
        let theirs = try #require(try JSONSerialization.jsonObject(with: reference) as? [String: Any])
        #expect(Set(ours.keys) == Set(theirs.keys))
        let ourItems = try #require(ours["forecasts"] as? [[String: Any]])
        let theirItems = try #require(theirs["forecasts"] as? [[String: Any]])
        #expect(ourItems.map { Set($0.keys) } == theirItems.map { Set($0.keys) })
        #expect(ourItems[1]["speed_kmh"] == nil, "a nil value is left out, as the synthesized encoder does")
    }

    @Test func keysAreSortedAsTheEncoderSortsThem() throws {
        let text = String(decoding: try Self.answer.jsonBytes(), as: UTF8.self)
        guard let open = text.firstIndex(of: "["), let close = text.lastIndex(of: "]") else {
            Issue.record("no forecasts array in \(text)")
            return
        }
        let keyPattern = /"([a-z_]+)":/
        let outer = (text[..<open] + text[text.index(after: close)...]).matches(of: keyPattern).map { String($0.1) }
        #expect(outer == ["forecasts", "issue_time", "request_id"], "feature_step is nil here and left out")
        let items = text[text.index(after: open)..<close].components(separatedBy: "},{")
        #expect(items.count == Self.answer.forecasts.count)
        for item in items {
            let keys = item.matches(of: keyPattern).map { String($0.1) }
            #expect(keys == keys.sorted() && keys.count >= 10, "\(keys)")
        }
    }

    @Test func refusesNonFiniteNumbers() {
        var answer = Self.answer
        answer.forecasts[0].speedKmh = .nan
        #expect(throws: JSONOutput.NonFiniteNumber.self) { try answer.jsonBytes() }
        answer.forecasts[0].speedKmh = .infinity
        #expect(throws: JSONOutput.NonFiniteNumber.self) { try answer.jsonBytes() }
    }
}

import CablecarService
import Foundation
import Testing

/// The one wording of a refused body or message: which field, what was wrong.
@Suite struct DecodingProblemTests {
    struct Reading: Decodable {
        struct Sample: Decodable { var value: Double }
        var eventTime: Int64
        var samples: [Sample]

        enum CodingKeys: String, CodingKey {
            case eventTime = "event_time"
            case samples
        }
    }

    func problem(_ json: String) -> String {
        do {
            _ = try JSONDecoder().decode(Reading.self, from: Data(json.utf8))
            return "decoded"
        } catch {
            return DecodingProblem.describe(error)
        }
    }

    @Test func bytesThatAreNoJSONSaySo() {
        #expect(problem("{\"event_time\":") == "not valid JSON")
        #expect(problem("\u{FF}") == "not valid JSON")
    }

    @Test func aFieldOfTheWrongTypeIsNamedWithItsPath() {
        #expect(problem(#"{"event_time":"soon","samples":[]}"#) == "event_time must be Int64")
        #expect(problem(#"{"event_time":1,"samples":[{"value":"x"}]}"#) == "samples.[0].value must be Double")
    }

    @Test func missingAndNullFieldsAreNamed() {
        #expect(problem(#"{"samples":[]}"#) == "event_time is missing")
        #expect(problem(#"{"event_time":null,"samples":[]}"#) == "event_time must be a Int64, not null")
        #expect(problem(#"{"event_time":1,"samples":[{}]}"#) == "samples.[0].value is missing")
    }

    /// Foundation's parser refuses a number no Swift number holds as invalid JSON.
    @Test func aNumberNoSwiftNumberHoldsIsRefused() {
        #expect(problem(#"{"event_time":99999999999999999999,"samples":[]}"#) == "not valid JSON")
        #expect(problem(#"{"event_time":1,"samples":[{"value":1e400}]}"#) == "not valid JSON")
    }
}

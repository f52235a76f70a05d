import CablecarDomain
import CablecarKafka
import Foundation

/// `POST /api/v1/ingest/{feed}` without HTTP: validates a body holding one record or an array
/// of records and publishes them to the feed's raw topic, so they take the same path (and the
/// same accounting) as records written to Kafka directly.
///
/// All or nothing: if any record is invalid nothing is published and the answer lists every
/// invalid record with its reason, so a client can fix and resend the whole body.
public struct PushHandler: Sendable {
    public struct Answer: Codable, Sendable, Equatable {
        public struct Problem: Codable, Sendable, Equatable {
            public var index: Int
            public var reason: String
            public var detail: String
        }

        public var status: Int
        public var accepted: Int
        /// The first problem's reason code (machine-readable), nil on success.
        public var reason: String?
        public var detail: String?
        public var problems: [Problem]

        /// The one error shape of Cablecar's HTTP APIs (`{"error": ..., "code": ...}`,
        /// docs/schemas.md), carried beside the push-specific fields when the push is refused.
        public var error: String? { status >= 400 ? detail : nil }
        public var code: String? { status >= 400 ? reason : nil }

        enum CodingKeys: String, CodingKey {
            case status, accepted, reason, detail, problems, error, code
        }

        public init(status: Int, accepted: Int, reason: String?, detail: String?, problems: [Problem]) {
            self.status = status
            self.accepted = accepted
            self.reason = reason
            self.detail = detail
            self.problems = problems
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            status = try container.decode(Int.self, forKey: .status)
            accepted = try container.decode(Int.self, forKey: .accepted)
            reason = try container.decodeIfPresent(String.self, forKey: .reason)
            detail = try container.decodeIfPresent(String.self, forKey: .detail)
            problems = try container.decode([Problem].self, forKey: .problems)
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(status, forKey: .status)
            try container.encode(accepted, forKey: .accepted)
            try container.encodeIfPresent(reason, forKey: .reason)
            try container.encodeIfPresent(detail, forKey: .detail)
            try container.encode(problems, forKey: .problems)
            try container.encodeIfPresent(error, forKey: .error)
            try container.encodeIfPresent(code, forKey: .code)
        }
    }

    let validator: RecordValidator
    let producer: KafkaProducer?
    let bodyLimit: Int
    let topicPrefix: String

    /// - Parameter producer: nil validates without publishing (tests of the HTTP contract).
    public init(validator: RecordValidator, producer: KafkaProducer?, bodyLimit: Int, topicPrefix: String = "") {
        self.validator = validator
        self.producer = producer
        self.bodyLimit = bodyLimit
        self.topicPrefix = topicPrefix
    }

    public func handle(feedName: String, body: [UInt8]?, now: EpochMillis) async -> Answer {
        guard let feed = Feed(rawValue: feedName) else {
            return failure(404, "unknown_feed", "feed \(feedName) is not one of \(Feed.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard let body else {
            return failure(413, RejectReason.oversized.rawValue, "the body exceeds \(bodyLimit) bytes")
        }
        let records: [[UInt8]]
        switch split(body) {
        case .failure(let rejection): return failure(400, rejection.reason.rawValue, rejection.detail)
        case .success(let split): records = split
        }
        var accepted: [(key: String, value: [UInt8])] = []
        var problems: [Answer.Problem] = []
        for (index, bytes) in records.enumerated() {
            switch validator.validate(bytes, feed: feed, referenceTime: now) {
            case .success(let record): accepted.append((partitionKey(record), bytes))
            case .failure(let rejection):
                problems.append(Answer.Problem(index: index, reason: rejection.reason.rawValue, detail: rejection.detail))
            }
        }
        if let first = problems.first {
            return Answer(status: 400, accepted: 0, reason: first.reason, detail: first.detail, problems: problems)
        }
        do {
            for record in accepted {
                try await producer?.enqueue(
                    topic: topicPrefix + feed.topic.rawValue, key: Array(record.key.utf8), value: record.value, timestamp: now)
            }
            try await producer?.flush()
        } catch {
            return failure(503, "unavailable", "could not publish to \(feed.topic.rawValue): \(error); retry later")
        }
        return Answer(status: 202, accepted: accepted.count, reason: nil, detail: nil, problems: [])
    }

    /// One record (the bytes as sent) or the elements of a JSON array (re-serialized).
    private func split(_ body: [UInt8]) -> Result<[[UInt8]], Rejection> {
        let parsed: Any
        do {
            parsed = try JSONSerialization.jsonObject(with: Data(body), options: [.fragmentsAllowed])
        } catch {
            return .failure(Rejection(.malformedJSON, "the body is not valid JSON"))
        }
        if parsed is [String: Any] { return .success([body]) }
        guard let array = parsed as? [Any] else { return .failure(Rejection(.wrongType, "the body is neither a JSON object nor an array")) }
        guard !array.isEmpty else { return .failure(Rejection(.missingField, "the array holds no records")) }
        var records: [[UInt8]] = []
        for element in array {
            guard element is [String: Any], let data = try? JSONSerialization.data(withJSONObject: element) else {
                return .failure(Rejection(.wrongType, "an array element is not a JSON object"))
            }
            records.append(Array(data))
        }
        return .success(records)
    }

    /// The partition key the simulator uses too: segment for sensors, route for GPS,
    /// neighborhood for weather and events.
    private func partitionKey(_ record: AcceptedRecord) -> String {
        switch record {
        case .loop(_, let segment, _), .camera(_, let segment, _): segment
        case .gps(let position, _): position.routeID
        case .weather, .event: record.neighborhood
        }
    }

    private func failure(_ status: Int, _ reason: String, _ detail: String) -> Answer {
        Answer(status: status, accepted: 0, reason: reason, detail: detail, problems: [])
    }
}

import CablecarDomain
import CablecarFeatures
import Foundation
import Logging
import PostgresNIO

/// `GET /api/v1/features/catalog`: every feature with its definition and version, plus how
/// fresh and how large the stores are.
public struct CatalogReport: Codable, Sendable {
    public struct Entry: Codable, Sendable {
        public var definition: FeatureDefinition
        public var registeredAt: Date?
        /// Stream clock minus the newest step (seconds); nil before the first step.
        public var freshnessSeconds: Double?

        enum CodingKeys: String, CodingKey {
            case definition
            case registeredAt = "registered_at"
            case freshnessSeconds = "freshness_s"
        }
    }

    public var featureSet: String
    public var features: [Entry]
    public var streamClock: EpochMillis?
    public var firstStep: EpochMillis?
    public var lastStep: EpochMillis?
    public var steps: Int
    public var offlineRows: Int
    public var onlineEntities: Int
    public var historyRevisions: Int
    /// obs.* messages this process consumed (redeliveries included); nil without a pipeline.
    public var consumedMessages: Int?

    enum CodingKeys: String, CodingKey {
        case featureSet = "feature_set"
        case features
        case streamClock = "stream_clock"
        case firstStep = "first_step"
        case lastStep = "last_step"
        case steps
        case offlineRows = "offline_rows"
        case onlineEntities = "online_entities"
        case historyRevisions = "history_revisions"
        case consumedMessages = "consumed_messages"
    }

    static func load(computer: FeatureComputer, progress: PipelineProgress?, on client: PostgresClient, logger: Logger) async throws
        -> CatalogReport
    {
        let registered = try await DefinitionRegistry.registered(on: client, logger: logger)
        var clock: EpochMillis?
        var firstStep: EpochMillis?
        var lastStep: EpochMillis?
        var steps = 0
        var offline = 0
        var online = 0
        var revisions = 0
        let rows = try await client.query(
            """
            SELECT (SELECT high_water FROM feature_stream_clock WHERE source = \(StreamStateStore.clockSource)),
                   (SELECT min(ts) FROM feature_steps), (SELECT max(ts) FROM feature_steps), (SELECT count(*) FROM feature_steps),
                   (SELECT count(*) FROM feature_rows), (SELECT count(*) FROM feature_online),
                   (SELECT count(*) FROM feature_traffic_history) + (SELECT count(*) FROM feature_context_history)
            """, logger: logger)
        for try await (streamClock, first, last, stepCount, offlineCount, onlineCount, revisionCount) in rows.decode(
            (Int64?, Int64?, Int64?, Int64, Int64, Int64, Int64).self)
        {
            clock = streamClock
            firstStep = first
            lastStep = last
            steps = Int(stepCount)
            offline = Int(offlineCount)
            online = Int(onlineCount)
            revisions = Int(revisionCount)
        }
        var freshness: Double?
        if let clock, let lastStep { freshness = Double(clock - lastStep) / 1_000 }
        let entries = computer.definitions.map { definition in
            Entry(
                definition: definition,
                registeredAt: registered.first { $0.name == definition.name && $0.version == definition.version }?.registeredAt,
                freshnessSeconds: freshness)
        }
        return CatalogReport(
            featureSet: computer.featureSetID, features: entries, streamClock: clock, firstStep: firstStep, lastStep: lastStep,
            steps: steps,
            offlineRows: offline, onlineEntities: online, historyRevisions: revisions, consumedMessages: progress?.value.observations)
    }
}

import CablecarDomain
import CablecarKafka
import CablecarRegistry
import CablecarRegistryAPI
import CablecarService
import Hummingbird
import Logging
import ServiceLifecycle

/// Hosting the registry inside a `ServiceMain` service (cablecar-trainer):
///
///     topics: { common in RegistryService.topics(common, topicPrefix: prefix) + ... },
///     build: { context, configuration, router in
///         let registry = try RegistryService.mount(
///             on: router, context: context, configuration: configuration.registry, topicPrefix: prefix)
///         return [registry.relay, ...]   // registry.store is the Swift API
///     }
public enum RegistryService {
    public struct Mounted: Sendable {
        public let store: RegistryStore
        /// Re-publishes events a broker outage left in the outbox; run it as a worker.
        public let relay: RegistryOutboxRelay
    }

    /// `topicPrefix` is the hosting service's own (CABLECAR_TRAINER_TOPIC_PREFIX for the trainer),
    /// so isolated platforms on one cluster keep their model events apart too.
    public static func topics(_ common: CommonConfiguration, topicPrefix: String) -> [TopicSpecification] {
        [TopicSpecification(name: topicPrefix + Topic.modelEvents.rawValue, partitions: common.topicPartitions)]
    }

    public static func mount(
        on router: Router<BasicRequestContext>, context: RuntimeContext, configuration: RegistryConfiguration, topicPrefix: String
    ) throws -> Mounted {
        let publisher = try KafkaModelEventPublisher(
            brokers: context.configuration.kafkaBrokers, topic: topicPrefix + Topic.modelEvents.rawValue, logger: context.logger)
        let store = RegistryStore(client: context.database, events: publisher, limits: configuration.limits, logger: context.logger)
        RegistryRoutes.add(to: router, store: store, configuration: configuration.http, logger: context.logger)
        if configuration.adminToken == nil {
            context.logger.notice(
                "Registry admin actions are disabled: set \(RegistryHTTPConfiguration.adminTokenVariable) to allow promote/rollback")
        }
        return Mounted(store: store, relay: RegistryOutboxRelay(store: store, startup: context.startup, logger: context.logger))
    }
}

/// Publishes outbox events left behind when the broker was unreachable during a change.
public struct RegistryOutboxRelay: Service {
    let store: RegistryStore
    let startup: StartupGate?
    let interval: Duration
    let logger: Logger

    public init(store: RegistryStore, startup: StartupGate?, interval: Duration = .seconds(5), logger: Logger) {
        self.store = store
        self.startup = startup
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        await startup?.wait()
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                let sent = try await store.publishPendingEvents()
                if sent > 0 { logger.info("Re-published model events from the outbox", metadata: ["count": "\(sent)"]) }
            } catch is CancellationError {
                return
            } catch {
                logger.warning("Outbox relay could not publish model events", metadata: ["error": "\(error)"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }
}

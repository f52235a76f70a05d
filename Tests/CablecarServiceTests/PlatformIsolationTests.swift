import CablecarKafka
import CablecarLocalStack
import CablecarTestSupport
import Foundation
import Logging
import Testing

/// Two platforms on one broker, told apart only by their topic prefixes (and their own
/// databases and consumer groups): every service of both runs as a process, simulated traffic
/// goes to one of them, a model is registered on it, and afterwards no topic outside that
/// platform's prefix holds a message, while its own topics do.
@Suite("Two prefixed platforms on one broker", .serialized)
struct PlatformIsolationTests {
    static let services: [(executable: String, variable: String)] = [
        ("cablecar-ingest", "INGEST"), ("cablecar-features", "FEATURES"), ("cablecar-trainer", "TRAINER"),
        ("cablecar-forecast", "FORECAST"), ("cablecar-monitor", "MONITOR"),
    ]

    struct Platform {
        let prefix: String
        let ports: [String: Int]
        let environment: [String: String]

        init(name: String, brokers: String, database: String) throws {
            prefix = TestStack.uniqueName(name) + "."
            var ports: [String: Int] = [:]
            for service in PlatformIsolationTests.services { ports[service.variable] = try Network.freePort() }
            self.ports = ports
            let city = TestStack.repositoryRoot.appendingPathComponent("Simulators/CablecarSimulation/Resources/city.json").path
            var environment = [
                "CABLECAR_DATABASE_URL": database, "CABLECAR_KAFKA_BROKERS": brokers, "CABLECAR_LOG_LEVEL": "warning",
                "CABLECAR_REGISTRY_ADMIN_TOKEN": "isolation-token",
                "CABLECAR_FEATURES_CITY": city, "CABLECAR_INGEST_CITY": city, "CABLECAR_FORECAST_CITY": city,
                "CABLECAR_FORECAST_FEATURES_URL": "http://127.0.0.1:\(ports["FEATURES"] ?? 0)",
                "CABLECAR_TRAINER_FEATURES_URL": "http://127.0.0.1:\(ports["FEATURES"] ?? 0)",
            ]
            for service in PlatformIsolationTests.services {
                environment["CABLECAR_\(service.variable)_TOPIC_PREFIX"] = prefix
                environment["CABLECAR_\(service.variable)_GROUP"] = prefix + service.executable
            }
            self.environment = environment
        }

        func start() async throws -> [ServiceProcess] {
            var started: [ServiceProcess] = []
            for service in PlatformIsolationTests.services {
                let port = ports[service.variable] ?? 0
                var environment = self.environment
                environment["CABLECAR_HTTP_PORT"] = "\(port)"
                // Forecast is ready only with a production model, which neither platform has.
                let (process, ready) = try await ServiceProcess.start(
                    service.executable, port: port, environment: environment,
                    waitingFor: service.variable == "FORECAST" ? "/health/live" : "/health/ready")
                started.append(process)
                #expect(ready?.status == 200, "\(prefix) \(service.executable) did not become ready: \(ready?.body ?? "no answer")")
            }
            return started
        }
    }

    @Test func noTopicOutsideAPlatformsPrefixReceivesItsMessages() async throws {
        // A broker of its own: every topic on it belongs to one of the two platforms, so a
        // message anywhere else is crosstalk (other tests share the stack's broker).
        let home = try TestStack.temporaryDirectory(prefix: "isolation-broker")
        let broker = TansuBroker(
            binary: try TansuBroker.locateBinary(home: TestStack.repositoryRoot.appendingPathComponent(".cablecar")),
            port: try Network.freePort(), logFile: home.appendingPathComponent("tansu.log"))
        let brokerPID = try await offThePool { try broker.start() }
        defer { kill(brokerPID, SIGKILL) }
        let brokers = broker.brokers
        let admin = try KafkaAdmin(
            configuration: KafkaClientConfiguration(brokers: brokers, clientID: "isolation-test"), logger: TestStack.logger)
        let busy = try Platform(
            name: "iso-busy", brokers: brokers, database: try await TestStack.shared.freshDatabaseURL())
        let quiet = try Platform(
            name: "iso-quiet", brokers: brokers, database: try await TestStack.shared.freshDatabaseURL())

        var processes = try await busy.start()
        processes += try await quiet.start()
        defer { for process in processes where process.process.isRunning { process.process.terminate() } }

        // Two simulated hours of the city into the busy platform's raw topics only.
        let replay = Process()
        replay.executableURL = try ProductBinary.url("cablecar-sim")
        replay.arguments = [
            "replay", "--brokers", brokers, "--topic-prefix", busy.prefix, "--days", "1", "--loop-interval", "300",
            "--camera-interval", "300", "--gps-interval", "60",
        ]
        replay.standardOutput = FileHandle.nullDevice
        replay.standardError = FileHandle.nullDevice
        try TestChildren.run(replay)
        let replayed = try await TestChildren.waitForExit(replay, within: .seconds(900), "the replay into \(busy.prefix)raw.*")
        #expect(replayed == 0, "the replay into \(busy.prefix)raw.* failed")

        // A model version registered on the busy platform: an event on its model.events.
        let trainer = "http://127.0.0.1:\(busy.ports["TRAINER"] ?? 0)"
        let created = try await HTTPProbe.post(
            "\(trainer)/api/2.0/mlflow/registered-models/create", json: #"{"name":"isolation-model"}"#)
        #expect(created.status == 200, "\(created.body)")
        let version = try await HTTPProbe.post(
            "\(trainer)/api/2.0/mlflow/model-versions/create", json: #"{"name":"isolation-model","source":"s3://nowhere/model"}"#)
        #expect(version.status == 200, "\(version.body)")

        // The busy platform's streams reach its own derived topics (obs.* from ingest).
        let deadline = ContinuousClock.now + .seconds(180)
        var after = try await Self.messageCounts(admin)
        while ContinuousClock.now < deadline {
            after = try await Self.messageCounts(admin)
            if (after[busy.prefix + "obs.traffic"] ?? 0) > 0, (after[busy.prefix + "model.events"] ?? 0) > 0 { break }
            try await Task.sleep(for: .seconds(2))
        }
        #expect((after[busy.prefix + "raw.loop"] ?? 0) > 0)
        #expect((after[busy.prefix + "obs.traffic"] ?? 0) > 0, "ingest of \(busy.prefix) published no observations")
        #expect((after[busy.prefix + "model.events"] ?? 0) > 0, "the registry of \(busy.prefix) published no model event")
        // Let the rest of the streams run for a while before looking for strays.
        try await Task.sleep(for: .seconds(10))
        after = try await Self.messageCounts(admin)

        let strays = after.filter { topic, count in count > 0 && !topic.hasPrefix(busy.prefix) }.keys.sorted()
        #expect(strays.isEmpty, "topics outside \(busy.prefix) received messages: \(strays)")
        let quietTopics = after.keys.filter { $0.hasPrefix(quiet.prefix) }
        #expect(!quietTopics.isEmpty, "the quiet platform created none of its topics")
        for topic in quietTopics { #expect(after[topic] == 0, "\(topic) of the quiet platform holds \(after[topic] ?? 0) messages") }
        for process in processes { #expect(process.process.isRunning, "a service exited during the run") }
        for (process, service) in zip(processes, Self.services + Self.services) {
            let status = try await process.stop()
            let exit = status.map(String.init) ?? "none"
            #expect(status == 0, "\(service.executable) did not stop cleanly within 30 s of SIGINT (exit \(exit))")
        }
    }

    /// Messages per topic (sum of partition end offsets), for every topic on the broker.
    static func messageCounts(_ admin: KafkaAdmin) async throws -> [String: Int64] {
        var counts: [String: Int64] = [:]
        for topic in try await admin.topicNames() where !topic.hasPrefix("__") {
            counts[topic] = try await admin.endOffsets(of: topic).values.reduce(0, +)
        }
        return counts
    }
}

import CablecarDomain
import CablecarKafka
import CablecarLocalStack
import CablecarRegistryAPI
import CablecarTestSupport
import Foundation
import PostgresNIO
import Testing

@testable import CablecarRegistry
@testable import CablecarRegistryHTTP

@Suite("Model registry on a real Postgres and broker")
struct ModelRegistryTests {
    @Test func transitionsAreRecordedAuditedAndPublishedOnModelEvents() async throws {
        try await RegistryHarness.with { h in
            let run = try await h.trainedRun()
            try await h.store.ensureRegisteredModel(name: "speed", description: "speed forecaster")
            let v1 = try await h.store.createModelVersion(
                modelName: "speed", runID: run.id, artifactPath: "model/weights.bin", description: "first")
            let v2 = try await h.store.createModelVersion(modelName: "speed", runID: run.id, artifactPath: "model", description: "second")
            #expect(v1.version == 1)
            #expect(v2.version == 2)
            #expect(v1.stage == .candidate)
            #expect(v1.artifactSHA256 == RegistryStore.sha256Hex(Array("weights of \(run.id)".utf8)))
            #expect(v2.artifactSHA256 != nil && v2.artifactSHA256 != v1.artifactSHA256)  // a directory digest

            try await h.store.transition(modelName: "speed", version: 1, to: .production, actor: "gate", reason: "beats baseline")
            let promoted = try await h.store.transition(
                modelName: "speed", version: 2, to: .production, actor: "alice", reason: "better MAE")
            #expect(promoted.stage == .production)
            #expect(try await h.store.version(modelName: "speed", version: 1)?.stage == .archived)
            #expect(try await h.store.versions(modelName: "speed", stage: .production).map(\.version) == [2])

            let history = try await h.store.transitions(modelName: "speed", version: 1)
            #expect(history.map(\.toStage) == [.candidate, .production, .archived])
            #expect(history.last?.actor == "alice")
            #expect(history.last?.reason.contains("better MAE") == true)
            let audits = try await h.count("SELECT count(*)::bigint FROM audit_log WHERE subject LIKE 'model/speed/%'")
            #expect(audits == 5)  // 2 registrations + promote v1 + archive v1 + promote v2

            let events = try await h.consumeEvents(expected: 5)
            #expect(events.count == 5)
            let summary = Set(
                events.map { "\($0.kind.rawValue) v\($0.modelVersion) \($0.fromStage?.rawValue ?? "-")>\($0.toStage.rawValue)" })
            #expect(
                summary == [
                    "registered v1 ->candidate", "registered v2 ->candidate", "transitioned v1 candidate>production",
                    "transitioned v1 production>archived", "transitioned v2 candidate>production",
                ])
            #expect(events.allSatisfy { $0.modelName == "speed" && $0.version == ModelEvent.currentVersion && $0.runID == run.id })
            #expect(try await h.store.pendingEventCount() == 0)
        }
    }

    @Test func rollbackRestoresAnEarlierVersionInOneCall() async throws {
        try await RegistryHarness.with { h in
            let run = try await h.trainedRun()
            try await h.store.ensureRegisteredModel(name: "flow")
            for _ in 0..<3 { _ = try await h.store.createModelVersion(modelName: "flow", runID: run.id, artifactPath: "model") }
            try await h.store.transition(modelName: "flow", version: 1, to: .production, actor: "gate", reason: "first")
            try await h.store.transition(modelName: "flow", version: 3, to: .production, actor: "gate", reason: "third")
            let restored = try await h.store.rollback(modelName: "flow", to: 1, actor: "oncall", reason: "v3 drifts in SoMa")
            #expect(restored.stage == .production)
            #expect(try await h.store.version(modelName: "flow", version: 3)?.stage == .archived)
            #expect(try await h.store.versions(modelName: "flow", stage: .production).map(\.version) == [1])
            let again = await #expect(throws: RegistryError.self) {
                try await h.store.rollback(modelName: "flow", to: 1, actor: "oncall", reason: "twice")
            }
            #expect(again?.code == .invalidState)
            let rollbacks = try await h.count("SELECT count(*)::bigint FROM audit_log WHERE action = 'model.rollback' AND actor = 'oncall'")
            #expect(rollbacks == 1)
            let events = try await h.consumeEvents(expected: 8)
            #expect(events.filter { $0.kind == .rolledBack }.map(\.modelVersion) == [1])
        }
    }

    @Test func concurrentRegistrationsGetDistinctConsecutiveNumbers() async throws {
        try await RegistryHarness.with { h in
            let run = try await h.trainedRun()
            try await h.store.ensureRegisteredModel(name: "race")
            let store = h.store
            let numbers = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<24 {
                    group.addTask {
                        // ensureRegisteredModel concurrently too: it must not fail on the race.
                        try await store.ensureRegisteredModel(name: "race")
                        return try await store.createModelVersion(modelName: "race", runID: run.id, artifactPath: "model").version
                    }
                }
                var collected: [Int] = []
                for try await number in group { collected.append(number) }
                return collected
            }
            #expect(numbers.sorted() == Array(1...24))
            #expect(try await h.store.versions(modelName: "race").count == 24)
            // Every registration's event reaches the broker (senders take turns; the relay,
            // running in every registry service, picks up anything a turn missed).
            let relay = RegistryOutboxRelay(store: h.store, startup: nil, interval: .milliseconds(200), logger: TestStack.logger)
            let relaying = Task { try await relay.run() }
            let events = try await h.consumeEvents(expected: 24)
            relaying.cancel()
            #expect(events.map(\.modelVersion).sorted() == Array(1...24))
            #expect(Set(events.map(\.eventID)).count == 24)
        }
    }

    @Test func anAbortedRegistrationLeavesNothingBehind() async throws {
        try await RegistryHarness.with { h in
            let run = try await h.trainedRun()
            try await h.store.ensureRegisteredModel(name: "atomic")
            // The artifact check runs after the version, transition, audit and outbox rows were
            // written in the transaction: a failure there must roll all of them back.
            let error = await #expect(throws: RegistryError.self) {
                try await h.store.createModelVersion(modelName: "atomic", runID: run.id, artifactPath: "not/uploaded")
            }
            #expect(error?.code == .notFound)
            #expect(try await h.count("SELECT count(*)::bigint FROM registry_model_versions WHERE model_name = 'atomic'") == 0)
            #expect(try await h.count("SELECT count(*)::bigint FROM registry_model_transitions WHERE model_name = 'atomic'") == 0)
            #expect(try await h.count("SELECT count(*)::bigint FROM audit_log WHERE subject LIKE 'model/atomic/%'") == 0)
            #expect(try await h.count("SELECT count(*)::bigint FROM registry_event_outbox") == 0)
            await #expect(throws: RegistryError.self) {
                try await h.store.createModelVersion(modelName: "no-such-model", runID: run.id, artifactPath: "model")
            }
            let next = try await h.store.createModelVersion(modelName: "atomic", runID: run.id, artifactPath: "model")
            #expect(next.version == 1)
        }
    }

    @Test func lineageLeadsFromAVersionToItsRunDataAndFeatures() async throws {
        try await RegistryHarness.with { h in
            let experiment = try await h.store.ensureExperiment(name: "lineage")
            let run = try await h.store.createRun(experimentID: experiment.id, name: "fit")
            try await h.store.recordLineage(
                runID: run.id, datasetFingerprint: "snap-42", featureVersions: ["speed_lag_1": 3], codeVersion: "deadbeef")
            try await h.store.putArtifact(runID: run.id, path: "model.json", bytes: Array("{}".utf8))
            try await h.store.finishRun(runID: run.id, status: .finished)
            try await h.store.ensureRegisteredModel(name: "lin")
            _ = try await h.store.createModelVersion(modelName: "lin", runID: run.id, artifactPath: "model.json")
            try await h.store.setAlias(modelName: "lin", alias: "champion", version: 1)
            let lineage = try await h.store.lineage(modelName: "lin", version: 1)
            #expect(lineage.run?.lineage.datasetFingerprint == "snap-42")
            #expect(lineage.run?.lineage.featureVersions == ["speed_lag_1": 3])
            #expect(lineage.run?.lineage.codeVersion == "deadbeef")
            #expect(lineage.experimentName == "lineage")
            #expect(lineage.version.aliases == ["champion"])
            #expect(try await h.store.version(modelName: "lin", alias: "champion")?.version == 1)
            await #expect(throws: RegistryError.self) { try await h.store.setAlias(modelName: "lin", alias: "v3", version: 1) }
            try await h.store.deleteAlias(modelName: "lin", alias: "champion")
            #expect(try await h.store.version(modelName: "lin", alias: "champion") == nil)
        }
    }

    @Test func deletesRefuseProductionAndLeaveAnAuditTrail() async throws {
        try await RegistryHarness.with { h in
            let run = try await h.trainedRun()
            try await h.store.ensureRegisteredModel(name: "gone")
            for _ in 0..<2 { _ = try await h.store.createModelVersion(modelName: "gone", runID: run.id, artifactPath: "model") }
            try await h.store.transition(modelName: "gone", version: 2, to: .production, actor: "gate", reason: "ok")
            try await h.store.setModelTag(modelName: "gone", version: 1, key: "note", value: "old")
            #expect(try await h.store.version(modelName: "gone", version: 1)?.tags == ["note": "old"])
            let refused = await #expect(throws: RegistryError.self) {
                try await h.store.deleteModelVersion(modelName: "gone", version: 2, actor: "alice", reason: "cleanup")
            }
            #expect(refused?.code == .invalidState)
            await #expect(throws: RegistryError.self) {
                try await h.store.deleteRegisteredModel(name: "gone", actor: "alice", reason: "cleanup")
            }
            try await h.store.deleteModelVersion(modelName: "gone", version: 1, actor: "alice", reason: "cleanup")
            #expect(try await h.store.versions(modelName: "gone").map(\.version) == [2])
            #expect(
                try await h.count("SELECT count(*)::bigint FROM audit_log WHERE action = 'model.version.delete' AND actor = 'alice'") == 1)
            try await h.store.transition(modelName: "gone", version: 2, to: .archived, actor: "alice", reason: "retire")
            try await h.store.deleteRegisteredModel(name: "gone", actor: "alice", reason: "retired")
            #expect(try await h.store.registeredModel(name: "gone") == nil)
            let events = try await h.consumeEvents(expected: 6)
            #expect(events.filter { $0.kind == .deleted }.map(\.modelVersion).sorted() == [1, 2])
        }
    }

    @Test func uploadAndRegistrationAreOneTransaction() async throws {
        try await RegistryHarness.with { h in
            let experiment = try await h.store.ensureExperiment(name: "upload")
            let run = try await h.store.createRun(experimentID: experiment.id)
            let bytes = Array("ridge coefficients".utf8)
            // The model does not exist: the registration fails and the upload is rolled back with it.
            await #expect(throws: RegistryError.self) {
                try await h.store.createModelVersion(modelName: "missing", runID: run.id, artifactPath: "model.bin", artifact: bytes)
            }
            #expect(try await h.store.artifacts(runID: run.id).isEmpty)
            try await h.store.ensureRegisteredModel(name: "uploaded")
            let version = try await h.store.createModelVersion(
                modelName: "uploaded", runID: run.id, artifactPath: "model.bin", artifact: bytes)
            #expect(version.artifactSHA256 == RegistryStore.sha256Hex(bytes))
            #expect(try await h.store.artifact(of: version) == bytes)
            try await h.store.transition(modelName: "uploaded", version: version.version, to: .production, actor: "gate", reason: "ok")
            let production = try #require(try await h.store.latestVersion(modelName: "uploaded", stage: .production))
            #expect(try await h.store.artifact(of: production) == bytes)
        }
    }

    @Test func eventsOfChangesMadeWhileTheBrokerIsDownArePublishedLater() async throws {
        try await RegistryHarness.with { h in
            let run = try await h.trainedRun()
            // A real producer aimed at a port where no broker listens: deliveries time out.
            let unreachable = try KafkaProducer(
                configuration: KafkaProducerConfiguration(
                    client: KafkaClientConfiguration(brokers: "127.0.0.1:\(try Network.freePort())", clientID: "registry-test-down"),
                    lingerMilliseconds: 0, deliveryTimeoutMilliseconds: 1_500),
                logger: TestStack.logger)
            let offline = RegistryStore(
                client: h.database, events: KafkaModelEventPublisher(producer: unreachable, topic: h.eventsTopic), logger: TestStack.logger)
            try await offline.ensureRegisteredModel(name: "outage")
            let version = try await offline.createModelVersion(modelName: "outage", runID: run.id, artifactPath: "model")
            try await offline.transition(
                modelName: "outage", version: version.version, to: .production, actor: "gate", reason: "during outage")
            // The changes are committed; their events wait in the outbox.
            #expect(try await h.store.version(modelName: "outage", version: 1)?.stage == .production)
            #expect(try await h.store.pendingEventCount() == 2)
            await unreachable.close(timeout: .seconds(1))
            // The relay (any registry process with a working broker) sends them, in order.
            let relay = RegistryOutboxRelay(store: h.store, startup: nil, interval: .milliseconds(100), logger: TestStack.logger)
            let relaying = Task { try await relay.run() }
            let events = try await h.consumeEvents(expected: 2)
            relaying.cancel()
            #expect(events.map(\.kind) == [.registered, .transitioned])
            #expect(events.last?.toStage == .production)
            #expect(try await h.store.pendingEventCount() == 0)
        }
    }
}

import CablecarKafka
import CablecarLocalStack
import CablecarTestSupport
import Foundation
import Testing

@Suite("A service executable, run as a process")
struct ServiceProcessTests {
    func launch(_ name: String, environment: [String: String]) throws -> Process {
        let process = Process()
        process.executableURL = try ProductBinary.url(name)
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        process.standardError = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        try TestChildren.run(process)
        return process
    }

    @Test("a malformed variable stops the service with exit 78 and a message naming it")
    func malformedVariableExits() async throws {
        let exited = try await ProcessCapture.run(
            try ProductBinary.url("cablecar-monitor"), [], environment: ["CABLECAR_HTTP_PORT": "eighty"], timeout: 60)
        let message = exited.stderr
        #expect(exited.status == 78)
        #expect(message.contains("CABLECAR_HTTP_PORT is \"eighty\""))
        #expect(message.contains("expected an integer from 0 to 65535"))
    }

    @Test("the service migrates, becomes ready, serves metrics, and stops cleanly on SIGTERM")
    func readyThenGracefulShutdown() async throws {
        let endpoints = try await TestStack.shared.endpoints()
        let database = try await TestStack.shared.freshDatabaseURL()
        let port = try Network.freePort()
        let process = try launch(
            "cablecar-monitor",
            environment: [
                "CABLECAR_DATABASE_URL": database, "CABLECAR_KAFKA_BROKERS": endpoints.kafkaBrokers,
                "CABLECAR_HTTP_PORT": "\(port)", "CABLECAR_LOG_FORMAT": "json",
            ])
        defer { if process.isRunning { process.terminate() } }
        let base = "http://127.0.0.1:\(port)"
        let live = await HTTPProbe.waitFor("\(base)/health/live", status: 200, timeout: .seconds(30))
        #expect(live?.status == 200)
        let ready = await HTTPProbe.waitFor("\(base)/health/ready", status: 200, timeout: .seconds(60))
        #expect(ready?.status == 200, "ready answered \(ready?.body ?? "nothing")")
        #expect(ready?.body.contains("\"check.database\":\"up\"") == true)
        #expect(ready?.body.contains("\"check.broker\":\"up\"") == true)
        let metrics = try await HTTPProbe.get("\(base)/metrics")
        #expect(metrics.status == 200)
        process.interrupt()  // SIGINT, like Ctrl-C; SIGTERM takes the same path
        #expect(try await TestChildren.waitForExit(process, within: .seconds(15), "the monitor after SIGINT") == 0)
    }

    /// With the broker hung (its process stopped, its connections open), librdkafka's consumer
    /// close never returned, and the service never stopped. Now the close is given up after 15 s.
    @Test("a service told to stop while the broker hangs stops")
    func stopsWhileTheBrokerHangs() async throws {
        let broker = try await DedicatedBroker.launch()
        let database = try await TestStack.shared.freshDatabaseURL()
        let port = try Network.freePort()
        let process = try launch(
            "cablecar-monitor",
            environment: ["CABLECAR_DATABASE_URL": database, "CABLECAR_KAFKA_BROKERS": broker.brokers, "CABLECAR_HTTP_PORT": "\(port)"])
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        let base = "http://127.0.0.1:\(port)"
        let ready = await HTTPProbe.waitFor("\(base)/health/ready", status: 200, timeout: .seconds(90))
        #expect(ready?.status == 200, "ready answered \(ready?.body ?? "nothing")")
        // Records the monitor refuses (dead-lettered, then marked processed) keep coming until the
        // broker stops, so offsets processed and not yet committed are what the close commits.
        let producer = try KafkaProducer(
            configuration: KafkaProducerConfiguration(
                client: KafkaClientConfiguration(brokers: broker.brokers, clientID: "hung-broker-test"), deliveryTimeoutMilliseconds: 2_000),
            logger: TestStack.logger)
        let feeding = Task {
            for index in 0... {
                try? await producer.enqueue(topic: "obs.traffic", key: Array("k\(index)".utf8), value: Array("not a record".utf8))
                try await Task.sleep(for: .milliseconds(20))
            }
        }
        try await eventually(timeout: .seconds(120), "the monitor refused none of the records fed to it") {
            let metrics = try? await HTTPProbe.get("\(base)/metrics")
            return metrics?.body.contains("cablecar_monitor_rejected_total") == true
        }
        let pid = try #require(broker.processID)
        kill(pid, SIGSTOP)
        feeding.cancel()
        _ = await feeding.result
        defer {
            kill(pid, SIGCONT)
            broker.kill()
        }
        let asked = ContinuousClock.now
        process.interrupt()
        // Compose kills a service 30 s after asking it to stop; the consumer's close gives up at 15.
        let status = try await TestChildren.waitForExit(process, within: .seconds(120), "the monitor stopping while the broker hangs")
        print("the monitor stopped \(ContinuousClock.now - asked) after SIGINT, with the broker hung, status \(status)")
        await producer.close(timeout: .seconds(1))
    }
}

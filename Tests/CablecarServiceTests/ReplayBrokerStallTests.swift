import CablecarKafka
import CablecarService
import CablecarTestSupport
import Foundation
import Logging
import Testing

@Suite("A replay through a broker that stalls")
struct ReplayBrokerStallTests {
    @Test("a broker paused mid-replay for longer than a flush waits: the replay sends the batch again and finishes")
    func replayRidesOutAPausedBroker() async throws {
        let broker = try DedicatedBroker()
        let directory = try TestStack.temporaryDirectory(prefix: "cablecar-test-replay-stall")
        let errors = directory.appendingPathComponent("stderr.txt")
        try #require(FileManager.default.createFile(atPath: errors.path, contents: nil))
        let replay = Process()
        replay.executableURL = try ProductBinary.url("cablecar-sim")
        // An hour of the city a second: a day takes about 24 s, long enough to pause it midway.
        replay.arguments = ["replay", "--brokers", broker.brokers, "--days", "1", "--speed", "3600", "--broker-patience", "600", "--quiet"]
        replay.standardOutput = FileHandle.nullDevice
        replay.standardError = try FileHandle(forWritingTo: errors)
        try TestChildren.run(replay)
        defer { if replay.isRunning { replay.terminate() } }

        let ends = BrokerPartitionEnds(client: KafkaClientConfiguration(brokers: broker.brokers), logger: TestStack.logger)
        try await eventually(timeout: .seconds(600), every: .milliseconds(200), "the replay published nothing") {
            let published = try? await ends.endOffsets(of: "raw.loop", timeout: .seconds(5))
            return (published?.values.reduce(0, +) ?? 0) > 0
        }
        // Longer than the 30 s a flush waits for the broker's acknowledgements.
        broker.pause()
        try await Task.sleep(for: .seconds(35))
        broker.resume()

        while replay.isRunning { try await Task.sleep(for: .milliseconds(200)) }
        let output = (try? String(contentsOf: errors, encoding: .utf8)) ?? ""
        #expect(replay.terminationStatus == 0, "the replay gave up: \(output.suffix(2000))")
        #expect(output.contains("sent again after broker errors"), "\(output.suffix(2000))")
    }
}

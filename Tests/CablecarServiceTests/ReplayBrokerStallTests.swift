import CablecarTestSupport
import Foundation
import Testing

@Suite("A replay through a broker that stalls")
struct ReplayBrokerStallTests {
    @Test("a broker paused mid-replay for longer than a flush waits: the replay sends the batch again and finishes")
    func replayRidesOutAPausedBroker() async throws {
        let broker = try await DedicatedBroker.launch()
        let brokerProcess = try #require(broker.processID)
        let directory = try TestStack.temporaryDirectory(prefix: "cablecar-test-replay-stall")
        let errors = directory.appendingPathComponent("stderr.txt")
        try #require(FileManager.default.createFile(atPath: errors.path, contents: nil))
        let replay = Process()
        replay.executableURL = try ProductBinary.url("cablecar-sim")
        // Half an hour of the city a second: two days take about 96 s.
        replay.arguments = ["replay", "--brokers", broker.brokers, "--days", "2", "--speed", "1800", "--broker-patience", "600", "--quiet"]
        replay.standardOutput = FileHandle.nullDevice
        replay.standardError = try FileHandle(forWritingTo: errors)
        // The pause is timed by a process of its own: this test's tasks can be starved for
        // minutes on a busy machine, the replay and the shell are not. 40 s is longer than the
        // 30 s a flush waits for the broker's acknowledgements.
        let staller = Process()
        staller.executableURL = URL(fileURLWithPath: "/bin/sh")
        staller.arguments = ["-c", "sleep 15; kill -STOP \(brokerProcess); sleep 40; kill -CONT \(brokerProcess)"]
        try TestChildren.run(replay)
        try TestChildren.run(staller)
        defer {
            if replay.isRunning { replay.terminate() }
            kill(brokerProcess, SIGCONT)
        }

        let replayed = try await TestChildren.waitForExit(replay, within: .seconds(900), "the replay across the broker's stall")
        try await TestChildren.waitForExit(staller, within: .seconds(120), "the broker's staller")
        let output = (try? String(contentsOf: errors, encoding: .utf8)) ?? ""
        #expect(replayed == 0, "the replay gave up: \(output.suffix(2000))")
        #expect(output.contains("sent again after broker errors"), "\(output.suffix(2000))")
    }
}

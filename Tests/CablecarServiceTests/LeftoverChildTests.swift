import CablecarLocalStack
import Foundation
import Testing

/// `cablecar run` records the services it starts; the next run stops those a crashed run left
/// running, and only those: a recorded pid that now runs another program is left alone.
@Suite("Services left running by a crashed run")
struct LeftoverChildTests {
    @Test func theRecordIsReadLeniently() {
        let text = "101 cablecar-ingest\n\ngarbage\n1 cablecar-init\n102 cablecar-../etc\n103 sleep\n104 cablecar-forecast"
        #expect(
            LeftoverChild.parse(text) == [
                LeftoverChild(pid: 101, name: "cablecar-ingest"), LeftoverChild(pid: 104, name: "cablecar-forecast"),
            ])
    }

    @Test func onlyAProcessRunningTheRecordedExecutableCounts() throws {
        // A real process whose executable is named like a service.
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("leftover-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let executable = directory.appendingPathComponent("cablecar-fake")
        try FileManager.default.copyItem(at: URL(fileURLWithPath: "/bin/sleep"), to: executable)
        let process = Process()
        process.executableURL = executable
        process.arguments = ["60"]
        try process.run()
        // SIGKILL: a test runner may hand its children an ignored SIGTERM.
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }

        let recorded = LeftoverChild(pid: process.processIdentifier, name: "cablecar-fake")
        // Until the child has exec'd, /proc shows the runner's own command line.
        let deadline = Date().addingTimeInterval(10)
        while !recorded.isRunning(), Date() < deadline { usleep(10_000) }
        #expect(recorded.isRunning())
        #expect(!LeftoverChild(pid: process.processIdentifier, name: "cablecar-ingest").isRunning(), "the pid runs another program")
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(!recorded.isRunning(), "gone once it exited")
    }
}

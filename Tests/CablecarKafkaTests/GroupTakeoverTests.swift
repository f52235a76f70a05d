import CablecarKafka
import CablecarTestSupport
import Foundation
import Testing

/// How long partitions take to come back to a restarted member: after a graceful close (the old
/// member leaves the group) and after the old member vanished without a word (destroyed without
/// closing, as a killed process does not close).
@Suite("Partitions come back to a restarted member", .serialized)
struct GroupTakeoverTests {
    @Test("a closed member's partitions go to the next one at once; a vanished member's within the session timeout")
    func takeover() async throws {
        let context = try await KafkaTestContext.make()
        let topic = try await context.createTopic(partitions: 3)
        for vanish in [false, true] {
            let group = TestStack.uniqueName("takeover")
            var first: KafkaConsumer? = try context.consumer(group: group, topics: [topic])
            _ = try await waitUntilAssigned(try #require(first), partitions: 3)
            #expect(first?.hasSettledAssignment == true)
            if vanish {
                first?.abandon()
            } else {
                await first?.close()
            }
            first = nil  // destroyed: without closing after abandon, so no LeaveGroup
            let second = try context.consumer(group: group, topics: [topic])
            #expect(!second.hasSettledAssignment, "a new member holds nothing until the group assigns it")
            let elapsed = try await waitUntilAssigned(second, partitions: 3)
            print("partitions back after the previous member \(vanish ? "vanished" : "closed"): \(elapsed)")
            #expect(elapsed < (vanish ? .seconds(25) : .seconds(15)))
            await second.close()
        }
    }

    /// Static membership (`group.instance.id`): the same instance coming back after a kill -9
    /// should get its partitions back without waiting out its own session. Prints the figure
    /// either way; asserts only that it comes back, since whether the broker honours static
    /// membership is the broker's business (docs/streaming.md gives the local broker's figure).
    @Test("a vanished static member that comes back under its id gets its partitions back")
    func staticMemberComesBack() async throws {
        let context = try await KafkaTestContext.make()
        let topic = try await context.createTopic(partitions: 3)
        let group = TestStack.uniqueName("static")
        var first: KafkaConsumer? = try context.consumer(group: group, topics: [topic], instanceID: "instance-1")
        _ = try await waitUntilAssigned(try #require(first), partitions: 3)
        first?.abandon()
        first = nil
        let second = try context.consumer(group: group, topics: [topic], instanceID: "instance-1")
        let elapsed = try await waitUntilAssigned(second, partitions: 3)
        print("partitions back after the same static member vanished and came back: \(elapsed)")
        #expect(elapsed < .seconds(25))
        await second.close()
    }

    private func waitUntilAssigned(_ consumer: KafkaConsumer, partitions: Int) async throws -> Duration {
        let start = ContinuousClock.now
        while !(consumer.hasSettledAssignment && consumer.assignment.count == partitions) {
            guard ContinuousClock.now - start < .seconds(60) else {
                throw TakeoverTimeout(assigned: consumer.assignment.count)
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        return ContinuousClock.now - start
    }

    struct TakeoverTimeout: Error, CustomStringConvertible {
        let assigned: Int
        var description: String { "the consumer did not get its partitions within 60 s (holds \(assigned))" }
    }
}

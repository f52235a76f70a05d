import CablecarLocalStack
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Daemons the local stack starts must not inherit the starter's descriptors: an inherited socket
/// stays open in a process that outlives the starter, and a server that closes its side of a
/// connection would never reach the peer (a test's slow client was never cut off while the test
/// stack's Postgres held its connection).
@Suite("Process runner")
struct ProcessRunnerTests {
    @Test func childrenInheritOnlyStandardDescriptors() throws {
        let socketDescriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(socketDescriptor > 2)
        defer { close(socketDescriptor) }
        let listing = try ProcessRunner.run(["ls", "/proc/self/fd"])
        let descriptors = Set(listing.split(whereSeparator: \.isWhitespace).compactMap { Int32($0) })
        #expect(descriptors.isSuperset(of: [0, 1, 2]), "\(listing)")
        #expect(!descriptors.contains(socketDescriptor), "the child inherited descriptor \(socketDescriptor): \(descriptors.sorted())")
        // ls itself holds one more, for reading the directory.
        #expect(descriptors.count <= 4, "the child has descriptors it did not open: \(descriptors.sorted())")
    }
}

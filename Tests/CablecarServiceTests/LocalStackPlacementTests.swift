import Foundation
import Testing

@testable import CablecarLocalStack

/// Run as root, the database server runs as the postgres user: the cluster must live where that
/// user can reach it, also for a checkout inside a private directory.
@Suite("Local stack placement")
struct LocalStackPlacementTests {
    @Test("a directory others cannot pass through is seen as such, and the cluster moves out of it when run as root")
    func privateAncestorsAreDetected() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("cablecar-placement-\(UUID().uuidString.prefix(8))")
        let home = base.appendingPathComponent("checkout/.cablecar")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: base) }
        chmod(base.path, 0o755)
        #expect(LocalStack.othersCanPass(through: home.deletingLastPathComponent()))
        #expect(LocalStack(home: home).postgresDirectory.path.hasPrefix(home.path), "a reachable home keeps its cluster")

        chmod(base.path, 0o700)
        #expect(!LocalStack.othersCanPass(through: home.deletingLastPathComponent()))
        let moved = LocalStack(home: home).postgresDirectory
        if getuid() == 0 {
            #expect(!moved.path.hasPrefix(base.path), "run as root, the cluster leaves the private directory")
            #expect(LocalStack.othersCanPass(through: moved.deletingLastPathComponent()))
            #expect(moved == LocalStack(home: home).postgresDirectory, "every command on the home finds the same cluster")
        } else {
            #expect(moved.path.hasPrefix(home.path), "not root: the server runs as this user and reaches it")
        }
    }

    @Test("the digest naming a moved cluster is stable and tells homes apart")
    func digestIsStable() {
        #expect(LocalStack.stableDigest("/tmp/a/.cablecar") == LocalStack.stableDigest("/tmp/a/.cablecar"))
        #expect(LocalStack.stableDigest("/tmp/a/.cablecar") != LocalStack.stableDigest("/tmp/b/.cablecar"))
        #expect(LocalStack.stableDigest("") == "cbf29ce484222325", "FNV-1a's offset basis for no input")
    }
}

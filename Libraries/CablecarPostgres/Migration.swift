import Crypto
import Foundation

/// One schema change: `NNNN_name.sql`, applied once, in version order, never edited afterwards.
///
/// Every migration has an owner: the part of the platform whose tables it changes (`ingest`,
/// `features`, `registry`, ...; `shared` for tables every service uses). A new migration names it
/// in a leading comment line `-- owner: NAME`; the first ten predate that and are listed in
/// `legacyOwners`. A service applies the migrations of the owners it uses and tolerates applied
/// migrations of others that it does not know (see `MigrationScope`), so services deploy independently.
public struct Migration: Sendable, Equatable {
    public let version: Int
    public let name: String
    public let sql: String
    /// SHA-256 of the file's bytes, recorded when applied; a later mismatch means the file was edited.
    public let checksum: String
    public let owner: String

    public static let sharedOwner = "shared"

    /// Owners of the migrations written before owners were declared in the files (their bytes,
    /// and so their checksums, must not change).
    static let legacyOwners: [Int: String] = [
        1: sharedOwner, 2: "ingest", 3: "ingest", 4: "features", 5: "registry", 6: "trainer", 7: "ingest",
        8: "features", 9: "ingest", 10: "ingest",
    ]

    public init(version: Int, name: String, sql: String, owner: String? = nil) {
        self.version = version
        self.name = name
        self.sql = sql
        self.checksum = SHA256.hash(data: Data(sql.utf8)).map { String(format: "%02x", $0) }.joined()
        self.owner = owner ?? Self.declaredOwner(in: sql) ?? Self.legacyOwners[version] ?? Self.sharedOwner
    }

    /// The `-- owner: NAME` line among the file's leading comment lines.
    static func declaredOwner(in sql: String) -> String? {
        for line in sql.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard trimmed.hasPrefix("--") else { return nil }
            let text = trimmed.dropFirst(2).trimmingCharacters(in: .whitespaces)
            if text.lowercased().hasPrefix("owner:") {
                let owner = text.dropFirst("owner:".count).trimmingCharacters(in: .whitespaces)
                return owner.isEmpty ? nil : owner
            }
        }
        return nil
    }

    /// Reads every `NNNN_name.sql` in `directory`, ordered by version.
    public static func load(directory: URL) throws -> [Migration] {
        let files: [String]
        do {
            files = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        } catch {
            throw DatabaseError.unreadableMigrations("\(directory.path): \(error.localizedDescription)")
        }
        var migrations: [Migration] = []
        for file in files where file.hasSuffix(".sql") {
            let stem = file.dropLast(4)
            guard let underscore = stem.firstIndex(of: "_"), let version = Int(stem[..<underscore]) else {
                throw DatabaseError.unreadableMigrations("\(file) is not named NNNN_name.sql")
            }
            let sql = try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
            migrations.append(Migration(version: version, name: String(stem[stem.index(after: underscore)...]), sql: sql))
        }
        migrations.sort { $0.version < $1.version }
        for (previous, next) in zip(migrations, migrations.dropFirst()) where previous.version == next.version {
            throw DatabaseError.unreadableMigrations("two migrations have version \(next.version): \(previous.name) and \(next.name)")
        }
        return migrations
    }

    /// The platform's schema, shipped with this library.
    public static func bundled() throws -> [Migration] {
        guard let directory = Bundle.module.url(forResource: "Migrations", withExtension: nil) else {
            throw DatabaseError.unreadableMigrations("the Migrations resource is missing from the CablecarPostgres bundle")
        }
        return try load(directory: directory)
    }
}

/// Failures of the metadata database layer, each saying what to do about it.
public enum DatabaseError: Error, CustomStringConvertible, Equatable {
    case invalidURL(String, reason: String)
    case migrationChanged(version: Int, name: String, appliedChecksum: String, fileChecksum: String)
    case unknownAppliedMigration(version: Int, name: String)
    case migrationFailed(version: Int, name: String, statement: Int, reason: String)
    case unreadableMigrations(String)

    public var description: String {
        switch self {
        case .invalidURL(let url, let reason):
            "database URL \(redact(url)) is invalid: \(reason); expected \(DatabaseConfiguration.expectedForm)"
        case .migrationChanged(let version, let name, let applied, let file):
            "migration \(version) (\(name)) was changed after it was applied (applied checksum \(applied.prefix(12)), "
                + "file checksum \(file.prefix(12))): restore the original file and put the change in a new migration"
        case .unknownAppliedMigration(let version, let name):
            "the database has migration \(version) (\(name)) applied, which this build does not know: "
                + "it was migrated by a newer version of Cablecar; run that version or restore a matching database"
        case .migrationFailed(let version, let name, let statement, let reason):
            "migration \(version) (\(name)) failed at statement \(statement) and was rolled back: \(reason)"
        case .unreadableMigrations(let reason):
            "cannot read migrations: \(reason)"
        }
    }

    private func redact(_ url: String) -> String {
        guard let at = url.firstIndex(of: "@"), let colon = url[..<at].lastIndex(of: ":"),
            url[..<colon].hasSuffix("/") == false, url[url.startIndex..<colon].contains("//")
        else { return url }
        return String(url[...colon]) + "***" + String(url[at...])
    }
}

/// Which migrations a service applies and which it answers for.
///
/// A service applies the migrations it knows of the owners in `owns` and `uses`, and the shared
/// ones. An applied migration it does not know is fatal only when an owner in `owns` owns it: a
/// newer build of this very service changed its tables, and older code must not run on them (roll
/// forward). Migrations of other owners, applied by newer builds of other services, are tolerated:
/// a newer feature store never makes an older ingest crash-loop.
public struct MigrationScope: Sendable, Equatable {
    public var owns: Set<String>
    public var uses: Set<String>
    /// Applies and answers for every owner: tools, tests and benchmarks that set up a whole database.
    public var everyOwner: Bool

    public init(owns: Set<String>, uses: Set<String> = []) {
        self.owns = owns
        self.uses = uses
        self.everyOwner = false
    }

    public static let everything: MigrationScope = {
        var scope = MigrationScope(owns: [])
        scope.everyOwner = true
        return scope
    }()

    public func applies(_ migration: Migration) -> Bool {
        everyOwner || migration.owner == Migration.sharedOwner || owns.contains(migration.owner) || uses.contains(migration.owner)
    }

    public func answers(forOwner owner: String) -> Bool { everyOwner || owns.contains(owner) }
}

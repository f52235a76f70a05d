/// The database answered in a way ingest's invariants rule out; the batch is not committed and
/// a restart redelivers it.
struct IngestStorageError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}

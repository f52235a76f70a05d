import CablecarPostgres
import Testing

@Suite("Database URL parsing")
struct DatabaseConfigurationTests {
    @Test("a full URL gives every part")
    func fullURL() throws {
        let configuration = try DatabaseConfiguration(url: "postgres://cablecar:s%40cret@db.example:6543/metadata?sslmode=require")
        #expect(configuration.host == "db.example")
        #expect(configuration.port == 6543)
        #expect(configuration.username == "cablecar")
        #expect(configuration.password == "s@cret")
        #expect(configuration.database == "metadata")
        #expect(configuration.tlsMode == .require)
        #expect(!configuration.redactedURL.contains("cret"))
    }

    @Test("defaults: port 5432, no TLS, no password")
    func defaults() throws {
        let configuration = try DatabaseConfiguration(url: "postgres://postgres@127.0.0.1/cablecar")
        #expect(configuration.port == 5432)
        #expect(configuration.tlsMode == .disable)
        #expect(configuration.password == nil)
    }

    @Test(
        "malformed URLs are refused with the reason and the expected form",
        arguments: [
            ("mysql://u@h/db", "postgres://"),
            ("postgres://u@h", "no database"),
            ("postgres://h:5432/db", "no user"),
            ("postgres://u@h/db?sslmode=maybe", "sslmode"),
        ])
    func malformed(url: String, expectedFragment: String) {
        let error = #expect(throws: DatabaseError.self) { try DatabaseConfiguration(url: url) }
        let message = error.map { String(describing: $0) } ?? ""
        #expect(message.contains(expectedFragment))
        #expect(message.contains("expected postgres://"))
    }

    @Test("a password never appears in the error message")
    func passwordRedacted() {
        let error = #expect(throws: DatabaseError.self) { try DatabaseConfiguration(url: "postgres://u:hunter2@h") }
        #expect(error.map { String(describing: $0) }?.contains("hunter2") == false)
    }
}

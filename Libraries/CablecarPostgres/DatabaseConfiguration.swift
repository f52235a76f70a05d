import Foundation
import PostgresNIO

/// Where the metadata database is, parsed from a `postgres://user:password@host:port/database`
/// URL (`CABLECAR_DATABASE_URL`). `?sslmode=disable|prefer|require` chooses TLS (default: disable,
/// as for the local stack; set `require` for a managed database).
public struct DatabaseConfiguration: Sendable, Equatable {
    public enum TLSMode: String, Sendable { case disable, prefer, require }

    public var host: String
    public var port: Int
    public var username: String
    public var password: String?
    public var database: String
    public var tlsMode: TLSMode
    public var maximumConnections: Int

    public init(
        host: String, port: Int = 5432, username: String, password: String? = nil, database: String,
        tlsMode: TLSMode = .disable, maximumConnections: Int = 10
    ) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
        self.tlsMode = tlsMode
        self.maximumConnections = maximumConnections
    }

    public static let expectedForm = "postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=disable|prefer|require]"

    public init(url text: String) throws {
        guard let components = URLComponents(string: text),
            let scheme = components.scheme, scheme == "postgres" || scheme == "postgresql"
        else {
            throw DatabaseError.invalidURL(text, reason: "it does not start with postgres://")
        }
        guard let host = components.host, !host.isEmpty else {
            throw DatabaseError.invalidURL(text, reason: "it names no host")
        }
        guard let user = components.user, !user.isEmpty else {
            throw DatabaseError.invalidURL(text, reason: "it names no user")
        }
        let database = String(components.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty else {
            throw DatabaseError.invalidURL(text, reason: "it names no database (the path after the port)")
        }
        var tlsMode = TLSMode.disable
        if let mode = components.queryItems?.first(where: { $0.name == "sslmode" })?.value {
            guard let parsed = TLSMode(rawValue: mode) else {
                throw DatabaseError.invalidURL(text, reason: "sslmode must be disable, prefer or require, not \(mode)")
            }
            tlsMode = parsed
        }
        self.init(
            host: host, port: components.port ?? 5432, username: user.removingPercentEncoding ?? user,
            password: components.password?.removingPercentEncoding, database: database, tlsMode: tlsMode)
    }

    /// The URL without its password, for logs.
    public var redactedURL: String {
        "postgres://\(username)\(password == nil ? "" : ":***")@\(host):\(port)/\(database)"
    }

    public var clientConfiguration: PostgresClient.Configuration {
        var configuration = PostgresClient.Configuration(
            host: host, port: port, username: username, password: password, database: database, tls: clientTLS)
        configuration.options.maximumConnections = maximumConnections
        configuration.options.connectTimeout = .seconds(5)
        return configuration
    }

    /// One connection outside the pool (see `Database.askOnOwnConnection`).
    public func connectionConfiguration(connectTimeout: Duration) throws -> PostgresConnection.Configuration {
        let tls: PostgresConnection.Configuration.TLS
        switch tlsMode {
        case .disable: tls = .disable
        case .prefer: tls = .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
        case .require: tls = .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
        }
        var configuration = PostgresConnection.Configuration(
            host: host, port: port, username: username, password: password, database: database, tls: tls)
        let milliseconds = connectTimeout.components.seconds * 1000 + connectTimeout.components.attoseconds / 1_000_000_000_000_000
        configuration.options.connectTimeout = .milliseconds(max(1, milliseconds))
        return configuration
    }

    private var clientTLS: PostgresClient.Configuration.TLS {
        switch tlsMode {
        case .disable: .disable
        case .prefer: .prefer(.makeClientConfiguration())
        case .require: .require(.makeClientConfiguration())
        }
    }
}

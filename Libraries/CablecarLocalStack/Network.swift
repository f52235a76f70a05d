import Foundation

/// Small socket helpers: picking free ports and waiting for servers to listen.
public enum Network {
    /// A TCP port on 127.0.0.1 that nothing listens on right now.
    public static func freePort() throws -> Int {
        let socketHandle = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socketHandle >= 0 else { throw LocalStackError.network("socket() failed: errno \(errno)") }
        defer { close(socketHandle) }
        var address = loopbackAddress(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socketHandle, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw LocalStackError.network("bind() failed: errno \(errno)") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socketHandle, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// True when something accepts TCP connections on 127.0.0.1:`port`.
    public static func isListening(port: Int) -> Bool {
        let socketHandle = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socketHandle >= 0 else { return false }
        defer { close(socketHandle) }
        var address = loopbackAddress(port: port)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socketHandle, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        return connected == 0
    }

    /// Polls until `port` accepts connections or `timeout` passes.
    public static func waitUntilListening(port: Int, timeout: TimeInterval, what: String) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while !isListening(port: port) {
            guard Date() < deadline else {
                throw LocalStackError.notReady("\(what) did not accept connections on 127.0.0.1:\(port) within \(Int(timeout)) s")
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
    }

    private static func loopbackAddress(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }
}

public enum LocalStackError: Error, CustomStringConvertible {
    case network(String)
    case notReady(String)
    case missingProgram(String)
    case notRunning(String)

    public var description: String {
        switch self {
        case .network(let text): "network: \(text)"
        case .notReady(let text): text
        case .missingProgram(let text): text
        case .notRunning(let text): text
        }
    }
}

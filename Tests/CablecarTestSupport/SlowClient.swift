import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A client that sends part of a request and then nothing: what a slow-loris attack does.
/// `closedByServer` waits until the server closes the connection (read returns 0 or fails).
///
/// Its waits (blocking reads, sleeps between dripped bytes) run on a thread of their own
/// (`offThePool`): on the concurrency pool, with one thread per core, they held the threads the
/// server under test needs to answer.
public final class SlowClient: @unchecked Sendable {
    private let descriptor: Int32
    /// When the request's first byte went out: a read deadline counts from there.
    private var firstByteSent: Date?

    public init(port: Int, partialRequest: String = "") throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw SlowClientError("socket() failed: errno \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr = in_addr(s_addr: inet_addr("127.0.0.1"))
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(descriptor)
            throw SlowClientError("connect() failed: errno \(errno)")
        }
        let bytes = Array(partialRequest.utf8)
        guard send(descriptor, bytes, bytes.count, 0) == bytes.count else {
            close(descriptor)
            throw SlowClientError("send() failed: errno \(errno)")
        }
        if !bytes.isEmpty { firstByteSent = Date() }
    }

    deinit { close(descriptor) }

    /// Sends `text` a byte at a time, one every `interval` (a slow-drip client), and returns
    /// the seconds from the request's first byte (the partial request's, when there was one) until
    /// the server closed the connection, or nil when all was sent and the server kept the
    /// connection open for `grace` seconds more.
    public func trickle(_ text: String, every interval: Duration, grace: Int = 5) async throws -> Double? {
        try await offThePool { self.tricklingNow(text, every: interval, grace: grace) }
    }

    private func tricklingNow(_ text: String, every interval: Duration, grace: Int) -> Double? {
        let started = firstByteSent ?? Date()
        for byte in Array(text.utf8) {
            if isClosed() { return Date().timeIntervalSince(started) }
            // MSG_NOSIGNAL: a write to a connection the server closed fails instead of raising SIGPIPE.
            guard send(descriptor, [byte], 1, Int32(MSG_NOSIGNAL)) == 1 else { return Date().timeIntervalSince(started) }
            Thread.sleep(forTimeInterval: Double(interval.components.seconds) + Double(interval.components.attoseconds) / 1e18)
        }
        return closedByServerNow(within: grace) ? Date().timeIntervalSince(started) : nil
    }

    /// True when the server has closed the connection (checked without waiting).
    private func isClosed() -> Bool {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let received = recv(descriptor, &buffer, buffer.count, Int32(MSG_DONTWAIT))
        if received == 0 { return true }
        return received < 0 && errno != EAGAIN && errno != EWOULDBLOCK
    }

    /// Sends `text` at once.
    public func sendAll(_ text: String) throws {
        let bytes = Array(text.utf8)
        guard send(descriptor, bytes, bytes.count, Int32(MSG_NOSIGNAL)) == bytes.count else {
            throw SlowClientError("send() failed: errno \(errno)")
        }
    }

    /// What the server sent within `seconds`, up to its first blank line after a status line and
    /// whatever body bytes came with it: enough to read a status and an error code.
    public func received(within seconds: Int) async throws -> String {
        try await offThePool { self.receivedNow(within: seconds) }
    }

    private func receivedNow(within seconds: Int) -> String {
        var timeout = timeval(tv_sec: 1, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var text: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        let deadline = Date().addingTimeInterval(TimeInterval(seconds))
        while Date() < deadline {
            let count = recv(descriptor, &buffer, buffer.count, 0)
            if count > 0 {
                text += buffer.prefix(count)
                if String(decoding: text, as: UTF8.self).contains("}") { break }
            } else if count == 0 || (errno != EAGAIN && errno != EWOULDBLOCK) {
                break
            }
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// True when the server closed the connection within `seconds` (it may answer first).
    public func closedByServer(within seconds: Int) async throws -> Bool {
        try await offThePool { self.closedByServerNow(within: seconds) }
    }

    private func closedByServerNow(within seconds: Int) -> Bool {
        var timeout = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var buffer = [UInt8](repeating: 0, count: 4096)
        let deadline = Date().addingTimeInterval(TimeInterval(seconds))
        while Date() < deadline {
            let received = recv(descriptor, &buffer, buffer.count, 0)
            if received == 0 { return true }
            if received < 0 { return errno == ECONNRESET }
        }
        return false
    }
}

public struct SlowClientError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

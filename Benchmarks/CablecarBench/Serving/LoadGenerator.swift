import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A load generator for HTTP/1.1 servers on loopback: keep-alive connections on blocking sockets,
/// one thread each, so its own cost per request is a send and a receive.
///
/// At a fixed rate, request `i` is due at `start + i / rate` and its latency is counted from then,
/// not from when a connection was free to send it: a server that stalls is charged for the
/// requests queued behind the stall (no coordinated omission). At saturation, every connection
/// sends its next request as soon as the previous answer is read.
enum LoadGenerator {
    struct Result {
        var requests: Int
        var failures: Int
        var seconds: Double
        /// Sorted, in nanoseconds.
        var latencies: [UInt64]

        var perSecond: Double { Double(requests) / seconds }

        func percentile(_ q: Double) -> Double {
            guard !latencies.isEmpty else { return .nan }
            let rank = min(latencies.count - 1, max(0, Int((q * Double(latencies.count)).rounded(.up)) - 1))
            return Double(latencies[rank]) / 1_000_000
        }
    }

    static func post(path: String, body: [UInt8]) -> [UInt8] {
        Array(
            "POST \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: \(body.count)\r\n\r\n".utf8)
            + body
    }

    /// Sends `requests` (whole HTTP messages, taken in turn) over `connections` connections for
    /// `seconds`, at `rate` requests per second or as fast as answers come back when nil.
    static func run(port: Int, requests: [[UInt8]], connections: Int, seconds: Double, rate: Double?) async -> Result {
        await withCheckedContinuation { continuation in
            let thread = Thread {
                continuation.resume(
                    returning: runBlocking(port: port, requests: requests, connections: connections, seconds: seconds, rate: rate))
            }
            thread.stackSize = 1 << 20
            thread.start()
        }
    }

    private static func runBlocking(port: Int, requests: [[UInt8]], connections: Int, seconds: Double, rate: Double?) -> Result {
        let next = Atomic<Int>(0)
        let collected = Mutex((latencies: [UInt64](), failures: 0))
        let group = DispatchGroup()
        let start = Monotonic.now() + 20_000_000
        let end = start + UInt64(seconds * 1e9)
        for _ in 0..<connections {
            group.enter()
            let thread = Thread {
                defer { group.leave() }
                var latencies: [UInt64] = []
                latencies.reserveCapacity(rate.map { Int($0 * seconds) / connections + 1000 } ?? 100_000)
                var failures = 0
                var client = try? BlockingHTTPClient(port: port)
                Monotonic.sleep(until: start)
                while true {
                    let index = next.add(1, ordering: .relaxed).oldValue
                    let due: UInt64
                    if let rate {
                        due = start + UInt64(Double(index) * 1e9 / rate)
                        if due >= end { break }
                        Monotonic.sleep(until: due)
                    } else {
                        due = Monotonic.now()
                        if due >= end { break }
                    }
                    do {
                        if client == nil { client = try BlockingHTTPClient(port: port) }
                        let status = try client?.exchange(requests[index % requests.count]).status ?? 0
                        if status == 200 { latencies.append(Monotonic.now() - due) } else { failures += 1 }
                    } catch {
                        failures += 1
                        client = nil
                    }
                }
                collected.withLock {
                    $0.latencies.append(contentsOf: latencies)
                    $0.failures += failures
                }
            }
            thread.stackSize = 1 << 20
            thread.start()
        }
        group.wait()
        let elapsed = Double(max(Monotonic.now(), end) - start) / 1e9
        return collected.withLock { collected in
            Result(
                requests: collected.latencies.count, failures: collected.failures, seconds: min(elapsed, seconds + 1),
                latencies: collected.latencies.sorted())
        }
    }
}

enum Monotonic {
    static func now() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }

    static func sleep(until deadline: UInt64) {
        var time = timespec(tv_sec: Int(deadline / 1_000_000_000), tv_nsec: Int(deadline % 1_000_000_000))
        while clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &time, nil) == EINTR {}
    }
}

/// One keep-alive HTTP/1.1 connection to 127.0.0.1, one request at a time; answers must carry a
/// Content-Length (both servers measured send one).
final class BlockingHTTPClient {
    private let socket: Int32
    private var buffer = [UInt8](repeating: 0, count: 1 << 16)
    private var filled = 0

    init(port: Int) throws {
        socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw BenchError("socket() failed: errno \(errno)") }
        var one: Int32 = 1
        setsockopt(socket, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(truncatingIfNeeded: port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(socket)
            throw BenchError("connecting to 127.0.0.1:\(port) failed: errno \(errno)")
        }
    }

    deinit { close(socket) }

    /// Sends one request and reads its answer.
    func exchange(_ request: [UInt8]) throws -> (status: Int, body: ArraySlice<UInt8>) {
        try request.withUnsafeBytes { raw in
            var sent = 0
            while sent < raw.count {
                let written = send(socket, raw.baseAddress.map { $0 + sent }, raw.count - sent, Int32(MSG_NOSIGNAL))
                guard written > 0 else { throw BenchError("send failed: errno \(errno)") }
                sent += written
            }
        }
        var headerEnd: Int?
        while headerEnd == nil {
            headerEnd = Self.find(buffer, filled)
            if headerEnd == nil { try receive() }
        }
        guard let headerEnd else { throw BenchError("no header") }
        let head = String(decoding: buffer[0..<headerEnd], as: UTF8.self)
        let lines = head.split(separator: "\r\n")
        guard let statusLine = lines.first, statusLine.count >= 12, let status = Int(statusLine.dropFirst(9).prefix(3)) else {
            throw BenchError("malformed status line")
        }
        guard
            let lengthLine = lines.first(where: { $0.lowercased().hasPrefix("content-length:") }),
            let length = Int(lengthLine.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces))
        else { throw BenchError("an answer without Content-Length") }
        let bodyStart = headerEnd + 4
        while filled < bodyStart + length { try receive() }
        let body = buffer[bodyStart..<(bodyStart + length)]
        // Keep whatever follows (nothing, one request at a time) at the front.
        let rest = filled - (bodyStart + length)
        if rest > 0 { buffer.replaceSubrange(0..<rest, with: buffer[(bodyStart + length)..<filled]) }
        filled = rest
        return (status, body)
    }

    private func receive() throws {
        if filled == buffer.count { buffer.append(contentsOf: repeatElement(0, count: buffer.count)) }
        let count = buffer.withUnsafeMutableBytes { raw in
            recv(socket, raw.baseAddress.map { $0 + filled }, raw.count - filled, 0)
        }
        guard count > 0 else { throw BenchError("the server closed the connection") }
        filled += count
    }

    private static func find(_ buffer: [UInt8], _ count: Int) -> Int? {
        guard count >= 4 else { return nil }
        for index in 0...(count - 4)
        where buffer[index] == 13 && buffer[index + 1] == 10 && buffer[index + 2] == 13 && buffer[index + 3] == 10 {
            return index
        }
        return nil
    }
}

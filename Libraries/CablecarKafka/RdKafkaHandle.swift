import CRdKafka
import Foundation
import NIOPosix
import Synchronization

/// Owns an `rd_kafka_t`. librdkafka handles are thread-safe, which is what makes this Sendable.
final class RdKafkaHandle: @unchecked Sendable {
    let pointer: OpaquePointer

    /// Creates a client; on success librdkafka takes ownership of `conf`.
    init(type: rd_kafka_type_t, properties: [String: String], configure: (OpaquePointer) -> Void = { _ in }) throws {
        guard let conf = rd_kafka_conf_new() else {
            throw KafkaError.client("creating a Kafka client", reason: "rd_kafka_conf_new returned NULL (out of memory)")
        }
        var errorText = [CChar](repeating: 0, count: 512)
        for (name, value) in properties.sorted(by: { $0.key < $1.key }) {
            let result = rd_kafka_conf_set(conf, name, value, &errorText, errorText.count)
            guard result == RD_KAFKA_CONF_OK else {
                rd_kafka_conf_destroy(conf)
                throw KafkaError.client(
                    "setting Kafka property \(name)=\(value)",
                    reason: string(fromCBuffer: errorText) + " (see librdkafka CONFIGURATION.md for valid values)")
            }
        }
        configure(conf)
        guard let handle = rd_kafka_new(type, conf, &errorText, errorText.count) else {
            rd_kafka_conf_destroy(conf)
            throw KafkaError.client("creating a Kafka client", reason: string(fromCBuffer: errorText))
        }
        self.pointer = handle
    }

    var name: String { String(cString: rd_kafka_name(pointer)) }
}

/// librdkafka's version, logged at start-up: compile-time headers and the runtime library can
/// disagree, and the broker needs >= 2.8.
public enum KafkaLibrary {
    public static var versionString: String { String(cString: rd_kafka_version_str()) }
    public static var version: Int { Int(rd_kafka_version()) }
    public static let minimumVersion = 0x0208_00FF

    public static func checkVersion() throws {
        guard version >= minimumVersion else {
            throw KafkaError.client(
                "loading librdkafka",
                reason: "librdkafka \(versionString) is loaded, but >= 2.8.0 is required; run scripts/bootstrap, "
                    + "which installs 2.8 into /usr/local/lib, and check that the loader finds it first (ldconfig -p | grep rdkafka)")
        }
    }
}

/// The process's one pool for blocking calls (librdkafka's commit, flush, metadata and close
/// calls wait on the network), so they never stall Swift's cooperative pool. Sized above the
/// core count: its threads mostly wait, and a broker outage can hold several at once.
public enum BlockingPool {
    public static let shared: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: 16)
        pool.start()
        return pool
    }()
}

/// Runs a blocking librdkafka call on the shared blocking pool.
func runBlocking<Result: Sendable>(_ name: String, _ body: @escaping @Sendable () -> Result) async -> Result {
    do {
        return try await BlockingPool.shared.runIfActive { body() }
    } catch {
        // The pool is never shut down; should it be, the call still runs, on its own thread.
        return await withCheckedContinuation { continuation in
            let thread = Thread { continuation.resume(returning: body()) }
            thread.name = name
            thread.start()
        }
    }
}

/// As `runBlocking`, but gives up waiting after `limit` and returns nil; the call goes on, on its
/// thread, and its result is dropped.
func runBlocking<Result: Sendable>(_ name: String, within limit: Duration, _ body: @escaping @Sendable () -> Result) async -> Result? {
    await withCheckedContinuation { (continuation: CheckedContinuation<Result?, Never>) in
        let first = FirstAnswer(continuation)
        let timer = Task {
            try await Task.sleep(for: limit)
            first.resume(returning: nil)
        }
        Task {
            first.resume(returning: await runBlocking(name, body))
            timer.cancel()
        }
    }
}

/// Resumes a continuation with the first answer; later ones are dropped.
private final class FirstAnswer<Value: Sendable>: Sendable {
    private let continuation: Mutex<CheckedContinuation<Value, Never>?>

    init(_ continuation: CheckedContinuation<Value, Never>) {
        self.continuation = Mutex(continuation)
    }

    func resume(returning value: Value) {
        continuation.withLock { $0.take() }?.resume(returning: value)
    }
}

extension rd_kafka_resp_err_t {
    var isError: Bool { self != RD_KAFKA_RESP_ERR_NO_ERROR }
}

/// Reads a NUL-terminated C string out of a fixed-size error buffer.
func string(fromCBuffer buffer: [CChar]) -> String {
    String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

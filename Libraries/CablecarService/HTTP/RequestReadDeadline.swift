import Hummingbird
import HummingbirdCore
import Metrics
import NIOCore
import NIOHTTPTypes

/// The HTTP/1.1 server every service runs: a connection that sends nothing for `idleTimeout` is
/// closed (a stalled request), and so is one whose request is not fully received within
/// `requestReadTimeout` of its first byte, however steadily it trickles in (a slow-drip client
/// would otherwise hold a connection, and the memory of its half-read request, forever). Time
/// spent answering is not counted: the clock stops when the request's last byte arrives.
extension HTTPServerBuilder {
    public static func cablecarHTTP1(idleTimeout: Duration, requestReadTimeout: Duration) -> HTTPServerBuilder {
        let limit = TimeAmount.nanoseconds(Int64(requestReadTimeout.components.seconds) * 1_000_000_000)
        return .http1(
            configuration: .init(
                additionalChannelHandlers: [RequestReadDeadline(limit: limit)],
                idleTimeout: .nanoseconds(Int64(idleTimeout.components.seconds) * 1_000_000_000)))
    }
}

/// Watches decoded request parts (it sits after the HTTP codec) and, through `FirstByteWatch`
/// at the front of the pipeline, raw bytes: the first byte of a request starts the clock, the
/// request's end stops it, and a clock that runs out closes the connection.
final class RequestReadDeadline: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart

    private static let closedConnections = Counter(label: "cablecar_http_slow_requests_closed_total")

    private let limit: TimeAmount
    private var reading = false
    private var expiry: Scheduled<Void>?

    init(limit: TimeAmount) { self.limit = limit }

    func handlerAdded(context: ChannelHandlerContext) {
        // Headers are decoded only once complete, so a trickled header block is seen only as
        // raw bytes, before the decoder.
        try? context.pipeline.syncOperations.addHandler(FirstByteWatch(deadline: self), position: .first)
    }

    func handlerRemoved(context: ChannelHandlerContext) { stopClock() }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .end = unwrapInboundIn(data) {
            reading = false
            stopClock()
        }
        context.fireChannelRead(data)
    }

    func channelInactive(context: ChannelHandlerContext) {
        stopClock()
        context.fireChannelInactive()
    }

    /// Called for every raw read; starts the clock when no request is being read.
    fileprivate func bytesArrived(context: ChannelHandlerContext) {
        guard !reading else { return }
        reading = true
        let channel = context.channel
        expiry = context.eventLoop.assumeIsolated().scheduleTask(in: limit) { [weak self] in
            guard let self, self.reading else { return }
            Self.closedConnections.increment()
            channel.close(promise: nil)
        }
    }

    private func stopClock() {
        expiry?.cancel()
        expiry = nil
    }
}

/// Tells `RequestReadDeadline` when bytes arrive, before the HTTP decoder sees them.
private final class FirstByteWatch: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let deadline: RequestReadDeadline

    init(deadline: RequestReadDeadline) { self.deadline = deadline }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        deadline.bytesArrived(context: context)
        context.fireChannelRead(data)
    }
}

import NIOCore
import NIOPosix

/// NIO's event loops as Swift's global executor: a request handler then runs on the event loop
/// that read the request, without a hop to the cooperative pool and back. For services whose
/// tasks are all short (cablecar-forecast: 15 % more requests per second in its benchmark);
/// anything CPU-heavy must then go `OffThePool`, or it holds up the connections of its loop.
public enum EventLoopExecutor {
    /// Call once, first thing in `main`, before any task is created.
    @discardableResult
    public static func install() -> Bool {
        NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
    }
}

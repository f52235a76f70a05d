import Hummingbird

/// Hummingbird answers a known path with an unregistered method 404; clients and probes expect
/// 405 with an `Allow` header, for any method (TRACE, CONNECT and made-up ones included).
/// Installed once every route is added: a middleware on the router's not-found path answers 405
/// when some route has the request's path, and the service's 404 error shape otherwise.
public enum MethodNotAllowed {
    /// The options of a service's router: HEAD answers wherever GET does (RFC 9110), which the
    /// `Allow` header of a 405 then says.
    public static let routerOptions: RouterOptions = [.autoGenerateHeadEndpoints]

    /// `headAnswersLikeGet`: the router was made with `routerOptions`.
    public static func install<Context: RequestContext>(on router: Router<Context>, headAnswersLikeGet: Bool = true) {
        var byPath: [String: (path: RouterPath, methods: Set<HTTPRequest.Method>)] = [:]
        for route in router.routes {
            byPath[route.path.description, default: (route.path, [])].methods.insert(route.method)
        }
        let routes = byPath.sorted(by: { $0.key < $1.key }).map { _, entry in
            var allowed = entry.methods
            if headAnswersLikeGet, allowed.contains(.get) { allowed.insert(.head) }
            return KnownPath(path: entry.path, allow: allowed.map(\.rawValue).sorted().joined(separator: ", "))
        }
        // Added after every route, the middleware wraps only the not-found responder.
        router.add(middleware: UnmatchedRequestMiddleware(paths: routes))
    }

    struct KnownPath: Sendable {
        var path: RouterPath
        var allow: String

        /// Paths without a recursive wildcard first, then the longer.
        var specificity: Int {
            let elements = path.components
            return (elements.contains { $0 == .recursiveWildcard } ? 0 : 1_000) + elements.count
        }

        /// Whether `components` (the request path split on "/") fall on this route's path.
        func matches(_ components: [Substring]) -> Bool {
            let elements = path.components
            var index = 0
            for element in elements {
                if element == .recursiveWildcard { return true }
                guard index < components.count, element ~= components[index] else { return false }
                index += 1
            }
            return index == components.count
        }
    }

    struct UnmatchedRequestMiddleware<Context: RequestContext>: RouterMiddleware {
        let paths: [KnownPath]

        func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
            let components = request.uri.path.split(separator: "/", omittingEmptySubsequences: true)
            // The most specific path that matches: a route's own methods, not those of a catch-all
            // (`prefix/**`) that also matches it.
            if let known = paths.filter({ $0.matches(components) }).max(by: { $0.specificity < $1.specificity }) {
                var error = ServiceError(
                    .methodNotAllowed, code: "method_not_allowed", "\(request.method) is not allowed here; allowed: \(known.allow)")
                error.allow = known.allow
                throw error
            }
            do {
                return try await next(request, context)
            } catch let error as HTTPError where error.status == .notFound {
                throw ServiceError.notFound("no route for \(request.method) \(request.uri.path): see the service's documentation")
            }
        }
    }
}

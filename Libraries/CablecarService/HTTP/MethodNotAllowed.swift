import Hummingbird

/// Hummingbird answers a known path with an unregistered method 404; clients and probes expect
/// 405 with an `Allow` header. Called once every route is added: each route path gets the
/// methods it lacks, answering 405.
public enum MethodNotAllowed {
    static let methods: [HTTPRequest.Method] = [.get, .post, .put, .delete, .patch]

    public static func install<Context: RequestContext>(on router: Router<Context>) {
        var byPath: [String: (path: RouterPath, methods: Set<HTTPRequest.Method>)] = [:]
        for route in router.routes {
            byPath[route.path.description, default: (route.path, [])].methods.insert(route.method)
        }
        for (_, entry) in byPath.sorted(by: { $0.key < $1.key }) {
            var allowed = entry.methods
            if allowed.contains(.get) { allowed.insert(.head) }
            let allow = allowed.map(\.rawValue).sorted().joined(separator: ", ")
            for method in methods where !entry.methods.contains(method) {
                router.on(entry.path, method: method) { request, _ -> Response in
                    var error = ServiceError(
                        .methodNotAllowed, code: "method_not_allowed", "\(request.method) is not allowed here; allowed: \(allow)")
                    error.allow = allow
                    throw error
                }
            }
        }
    }
}

import CablecarRegistryAPI

/// One page of a search answer: `max_results` checked against the search's own bounds (MLflow's
/// where it has them) and `page_token` resolved to an offset, for every search endpoint alike.
struct SearchPage: Sendable, Equatable {
    let offset: Int
    let limit: Int

    /// Runs and experiments: up to 50,000 per page, 1,000 unless asked. Registered models:
    /// MLflow's 1 to 1,000, 100 unless asked. Model versions: MLflow's up to 200,000, 10,000 unless asked.
    static let runs = (defaultLimit: 1_000, maximum: 50_000)
    static let registeredModels = (defaultLimit: 100, maximum: 1_000)
    static let modelVersions = (defaultLimit: 10_000, maximum: 200_000)

    /// What a search reads before filtering and paging: all of it, so that no page is cut short
    /// by a cap the caller cannot see.
    static let everything = 100_000_000

    init(_ body: JSONBody, bounds: (defaultLimit: Int, maximum: Int)) throws {
        let limit = try body.int64("max_results") ?? Int64(bounds.defaultLimit)
        guard (1...Int64(bounds.maximum)).contains(limit) else {
            throw APIError.invalid("'max_results' must be 1 to \(bounds.maximum), got \(limit)")
        }
        self.limit = Int(limit)
        self.offset = try PageToken.offset(try body.string("page_token"))
    }

    /// The page's part of the whole ordered answer, and the token of the next page if any.
    func slice<Element>(_ all: [Element]) -> (items: ArraySlice<Element>, nextPageToken: String?) {
        let start = min(offset, all.count)
        let end = min(all.count, start + limit)
        return (all[start..<end], end < all.count ? PageToken.token(end) : nil)
    }
}

import CablecarService
import Testing

/// The admin check every API shares: which refusal each request gets.
struct BearerTokenTests {
    @Test func withoutAServerTokenEveryAdminCallIsRefusedAsDisabled() {
        #expect(BearerToken.refusal(authorization: "Bearer anything", token: nil) == .disabled)
        #expect(BearerToken.refusal(authorization: nil, token: nil) == .disabled)
    }

    @Test func aMissingOrMalformedHeaderIsMissingAndAnotherTokenIsWrong() {
        #expect(BearerToken.refusal(authorization: nil, token: "s3cret") == .missing)
        #expect(BearerToken.refusal(authorization: "Basic czNjcmV0", token: "s3cret") == .missing)
        #expect(BearerToken.refusal(authorization: "bearer s3cret", token: "s3cret") == .missing, "the scheme is matched exactly")
        #expect(BearerToken.refusal(authorization: "Bearer s3cre", token: "s3cret") == .wrong, "a prefix of the token")
        #expect(BearerToken.refusal(authorization: "Bearer s3cret ", token: "s3cret") == .wrong, "a trailing space")
        #expect(BearerToken.refusal(authorization: "Bearer ", token: "s3cret") == .wrong)
        #expect(BearerToken.refusal(authorization: "Bearer s3cret", token: "s3cret") == nil)
    }
}

import Testing

@testable import OAuth

@Suite struct OAuthErrorTests {
    @Test func statusesFollowTheSpecifications() {
        #expect(OAuthError(.invalidClient, "x").status == 401)
        #expect(OAuthError(.invalidGrant, "x").status == 400)
        #expect(OAuthError(.invalidToken, "x").status == 401)
        #expect(OAuthError(.insufficientScope, "x").status == 403)
        #expect(OAuthError(.invalidClient, "x", status: 400).status == 400)
    }
}

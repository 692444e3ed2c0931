import Testing

@testable import OAuth

@Suite("Grant management: request parameters (GM-02…GM-04)")
struct GrantManagementChecksTests {
    func refused(_ form: [String: String]) -> OAuthError? {
        do {
            _ = try GrantManagementChecks.validate(form)
            return nil
        } catch let error as OAuthError {
            return error
        } catch {
            return OAuthError(.serverError, "\(error)")
        }
    }

    @Test("GM-02: no parameters, create, merge / replace with grant_id are accepted")
    func accepted() throws {
        #expect(try GrantManagementChecks.validate([:]) == (nil, nil))
        #expect(try GrantManagementChecks.validate(["grant_management_action": "create"]) == (.create, nil))
        let id = "1bX3k9-Qa_0123456789abcdefghij"
        #expect(
            try GrantManagementChecks.validate(["grant_management_action": "merge", "grant_id": id]) == (.merge, id))
        #expect(
            try GrantManagementChecks.validate(["grant_management_action": "replace", "grant_id": id])
                == (.replace, id))
    }

    @Test("GM-04, GM-03: each malformed combination has its exact code")
    func refusals() {
        #expect(refused(["grant_management_action": "update"])?.code == .invalidRequest)
        #expect(refused(["grant_management_action": ""])?.code == .invalidRequest)
        #expect(refused(["grant_id": "abc"])?.code == .invalidRequest)
        #expect(refused(["grant_management_action": "create", "grant_id": "abc"])?.code == .invalidRequest)
        #expect(refused(["grant_management_action": "merge"])?.code == .invalidRequest)
        #expect(refused(["grant_management_action": "replace"])?.code == .invalidRequest)
        #expect(refused(["grant_management_action": "merge", "grant_id": "a/b"])?.code == .invalidGrantID)
        #expect(
            refused(["grant_management_action": "merge", "grant_id": String(repeating: "a", count: 129)])?.code
                == .invalidGrantID)
        for error in [refused(["grant_id": "abc"]), refused(["grant_management_action": "merge", "grant_id": ""])] {
            #expect(error?.status == 400)
        }
    }

    @Test("GM-03: merge unions (order kept, no duplicates), replace and create take exactly the request")
    func scopes() {
        let existing = ["openid", "accounts"]
        #expect(
            GrantManagementAction.merge.scopes(existing: existing, requested: ["payments", "openid"]) == [
                "openid", "accounts", "payments",
            ])
        #expect(GrantManagementAction.replace.scopes(existing: existing, requested: ["payments"]) == ["payments"])
        #expect(GrantManagementAction.create.scopes(existing: existing, requested: ["a", "a"]) == ["a"])
    }
}

import Events
import Foundation
import Hummingbird
import Ledger
import OAuth
import Projection

/// `/account/grants`: where customers see what they granted and revoke it (DESIGN.md: "later see
/// and revoke what they granted"). Plain HTML forms, no JavaScript.
///
/// Without an SSO session the page is a login form (password, then the one-time password when the
/// user has TOTP — the same checks, throttle and journal events as the authorization endpoint's
/// login); with one, the user's grants: client name and id, scopes, created, last used, status, and
/// a revoke form per active grant (POST with a CSRF token bound to the browser's CSRF cookie and to
/// the session, then 303 back to the list). Revocation is `grant.revoked` with `revokedBy: end_user`
/// and the subject as actor. Headers as on every OP page: no-store, no framing, no referrer, no CORS.
struct AccountGrantsPage: Sendable {
    let env: ProtocolEnvironment
    let throttle: LoginThrottle

    static let pathSuffix = "/account/grants"
    var path: String { env.issuerPath + Self.pathSuffix }
    /// What the login forms' CSRF tokens and the between-password-and-OTP state are bound to
    /// (the authorization endpoint binds them to the pushed request instead).
    static let loginContext = "account-login"

    func add(to router: Router<OPRequestContext>) {
        router.get(RouterPath(path)) { request, context in try await self.show(request, context) }
        router.post(RouterPath(path + "/login")) { request, context in try await self.login(request, context) }
        router.post(RouterPath(path + "/otp")) { request, context in try await self.otp(request, context) }
        router.post(RouterPath(path + "/revoke")) { request, context in try await self.revoke(request, context) }
    }

    // MARK: GET /account/grants

    func show(_ request: Request, _ context: OPRequestContext) async throws -> Response {
        guard let session = try currentSession(request) else {
            return loginPage(request, message: nil, status: .ok)
        }
        return try listPage(request, session: session)
    }

    // MARK: POST /account/grants/login

    func login(_ request: Request, _ context: OPRequestContext) async throws -> Response {
        let form = try await FormParameters.read(request, context: context, limit: 16_384)
        guard checkCSRF(form, request: request, boundTo: Self.loginContext) else { return expiredForm(request) }
        let username = form["username"] ?? ""
        if throttle.lockedFor(username, nowSeconds: env.nowSeconds) != nil {
            try await recordFailure(username, subject: nil, reason: "locked", context)
            return loginPage(
                request, message: "Too many failed attempts for this account. Try again later.", status: .unauthorized)
        }
        let user = try env.projection.user(username: username)
        guard await env.checkPassword(form["password"] ?? "", hash: user?.passwordHash), let user else {
            throttle.recordFailure(username, nowSeconds: env.nowSeconds)
            try await recordFailure(username, subject: nil, reason: "bad_credentials", context)
            return loginPage(request, message: "Wrong username or password.", status: .unauthorized)
        }
        if user.sealedTOTPSeed != nil {
            let state = env.browser.loginState(
                subject: user.subject, requestID: Self.loginContext,
                expiresAt: env.nowSeconds + BrowserSecurity.loginStepSeconds)
            var response = otpPage(request, message: nil, status: .ok)
            response.headers.append(
                HTTPField(
                    name: .setCookie,
                    value: BrowserSecurity.setCookie(
                        BrowserSecurity.loginCookie, state, maxAgeSeconds: BrowserSecurity.loginStepSeconds)))
            return response
        }
        throttle.recordSuccess(user.username)
        return try await authenticated(
            subject: user.subject, acr: ProtocolEnvironment.ACR.password, amr: ["pwd"], totpStep: nil, context)
    }

    // MARK: POST /account/grants/otp

    func otp(_ request: Request, _ context: OPRequestContext) async throws -> Response {
        let form = try await FormParameters.read(request, context: context, limit: 16_384)
        guard checkCSRF(form, request: request, boundTo: Self.loginContext) else { return expiredForm(request) }
        guard
            let subject = env.browser.verifyLoginState(
                BrowserSecurity.cookie(BrowserSecurity.loginCookie, in: request), requestID: Self.loginContext,
                nowSeconds: env.nowSeconds),
            let user = try env.projection.user(subject: subject), let seed = user.sealedTOTPSeed
        else {
            return loginPage(request, message: "Your login took too long; log in again.", status: .unauthorized)
        }
        if throttle.lockedFor(user.username, nowSeconds: env.nowSeconds) != nil {
            try await recordFailure(user.username, subject: subject, reason: "locked", context)
            return loginPage(
                request, message: "Too many failed attempts for this account. Try again later.", status: .unauthorized)
        }
        guard
            let step = env.users.verifyTOTP(
                form["otp"] ?? "", sealedSeed: seed, subject: subject, nowSeconds: env.nowSeconds)
        else {
            throttle.recordFailure(user.username, nowSeconds: env.nowSeconds)
            try await recordFailure(user.username, subject: subject, reason: "bad_otp", context)
            return otpPage(request, message: "That code is not right. Try the current one.", status: .unauthorized)
        }
        do {
            let response = try await authenticated(
                subject: subject, acr: ProtocolEnvironment.ACR.sca, amr: ["pwd", "otp"], totpStep: step, context)
            throttle.recordSuccess(user.username)
            return response
        } catch let error as OAuthError where error.code == .accessDenied {
            return otpPage(request, message: error.description, status: .unauthorized)
        }
    }

    // MARK: POST /account/grants/revoke

    func revoke(_ request: Request, _ context: OPRequestContext) async throws -> Response {
        let form = try await FormParameters.read(request, context: context, limit: 16_384)
        guard let session = try currentSession(request) else {
            return loginPage(request, message: "Please log in.", status: .unauthorized)
        }
        guard checkCSRF(form, request: request, boundTo: session.sessionID) else {
            return errorPage(
                "The form has expired or did not come from this site; reload the page.", status: .badRequest)
        }
        guard let grantID = form["grant_id"], !grantID.isEmpty else {
            return errorPage("Choose the access to revoke.", status: .badRequest)
        }
        do {
            try await env.ledger.execute(
                RevokeGrant(
                    grantID: grantID, requiredClientID: nil, requiredSubject: session.subject, revokedBy: "end_user",
                    reason: "revoked by the customer on the account page", actor: .subject(session.subject),
                    correlation: Correlation(interactionID: context.interactionID, requestID: nil)))
        } catch let error as OAuthError where error.code == .invalidGrantID {
            return errorPage("That access does not exist or was already revoked.", status: .notFound)
        }
        var headers = AuthorizationEndpoint.pageHeaders
        headers[.location] = path
        return Response(status: .seeOther, headers: headers)
    }

    // MARK: steps

    /// Starts an SSO session (`user.authenticated`, no pushed request) and sends the browser to the list.
    func authenticated(
        subject: String, acr: String, amr: [String], totpStep: Int64?, _ context: OPRequestContext
    ) async throws -> Response {
        let now = env.nowMicros
        let token = SplitToken.mint(nowMicros: now)
        let event = UserAuthenticated(
            subject: subject, sessionID: token.selector, sessionHash: token.secretHash,
            sessionExpiresAtMicros: now + env.lifetimes.sessionSeconds * 1_000_000, acr: acr, amr: amr,
            authTimeMicros: now, requestID: nil, totpStep: totpStep)
        try await env.ledger.execute(
            RecordAuthentication(event, correlation: Correlation(interactionID: context.interactionID, requestID: nil)))
        var headers = AuthorizationEndpoint.pageHeaders
        headers[.location] = path
        var response = Response(status: .seeOther, headers: headers)
        BrowserSecurity.startSession(&response, sessionToken: token.value, maxAgeSeconds: env.lifetimes.sessionSeconds)
        return response
    }

    func recordFailure(
        _ username: String, subject: String?, reason: String, _ context: OPRequestContext
    )
        async throws
    {
        var rng = SystemRandomNumberGenerator()
        _ = try await env.ledger.execute(
            RecordAuthenticationFailure(
                AuthenticationFailed(username: username, subject: subject, reason: reason, requestID: nil),
                interactionID: TimeOrderedID.make(timeMicros: env.nowMicros, using: &rng),
                correlation: Correlation(interactionID: context.interactionID, requestID: nil)))
    }

    /// The SSO session of the request's cookie, if authentic and unexpired.
    func currentSession(_ request: Request) throws -> SessionRow? {
        guard let value = BrowserSecurity.cookie(BrowserSecurity.sessionCookie, in: request),
            let token = SplitToken.parse(value), let session = try env.projection.session(token.selector),
            ConstantTime.equal(session.sessionHash, token.secretHash), session.expiresMicros > env.nowMicros
        else { return nil }
        return session
    }

    func checkCSRF(_ form: [String: String], request: Request, boundTo context: String) -> Bool {
        env.browser.checkCSRF(
            form["csrf"], browserValue: BrowserSecurity.cookie(BrowserSecurity.csrfCookie, in: request),
            requestID: context)
    }

    /// The form's CSRF token for `context`, and a `Set-Cookie` when the browser has no CSRF value yet.
    func csrf(_ request: Request, boundTo context: String) -> (String, String?) {
        if let value = BrowserSecurity.cookie(BrowserSecurity.csrfCookie, in: request) {
            return (env.browser.csrfToken(browserValue: value, requestID: context), nil)
        }
        let value = BrowserSecurity.randomValue()
        return (
            env.browser.csrfToken(browserValue: value, requestID: context),
            BrowserSecurity.setCookie(BrowserSecurity.csrfCookie, value, maxAgeSeconds: nil)
        )
    }

    // MARK: pages

    func loginPage(_ request: Request, message: String?, status: HTTPResponse.Status) -> Response {
        let (token, cookie) = csrf(request, boundTo: Self.loginContext)
        return html(Pages.accountLogin(csrf: token, action: path + "/login", message: message), status, cookie)
    }

    func otpPage(_ request: Request, message: String?, status: HTTPResponse.Status) -> Response {
        let (token, cookie) = csrf(request, boundTo: Self.loginContext)
        return html(Pages.accountOTP(csrf: token, action: path + "/otp", message: message), status, cookie)
    }

    func listPage(_ request: Request, session: SessionRow) throws -> Response {
        let (token, cookie) = csrf(request, boundTo: session.sessionID)
        let entries = try env.projection.grants(subject: session.subject).map { grant in
            Pages.AccountGrant(
                grant: grant, clientName: (try? env.clients.client(grant.clientID).name) ?? grant.clientID)
        }
        let username = try env.projection.user(subject: session.subject)?.username ?? session.subject
        return html(
            Pages.accountGrants(username: username, grants: entries, csrf: token, revokeAction: path + "/revoke"),
            .ok, cookie)
    }

    func expiredForm(_ request: Request) -> Response {
        loginPage(
            request, message: "The form has expired or did not come from this site; try again.", status: .badRequest)
    }

    func errorPage(_ message: String, status: HTTPResponse.Status) -> Response {
        html(Pages.error(title: "Your access", message: message), status, nil)
    }

    func html(_ text: String, _ status: HTTPResponse.Status, _ cookie: String?) -> Response {
        var headers = AuthorizationEndpoint.pageHeaders
        headers[.contentType] = "text/html; charset=utf-8"
        var response = Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
        if let cookie { response.headers.append(HTTPField(name: .setCookie, value: cookie)) }
        return response
    }
}

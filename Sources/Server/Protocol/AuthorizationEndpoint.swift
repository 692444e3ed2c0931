import Events
import Foundation
import Hummingbird
import Ledger
import OAuth
import Projection

/// The authorization endpoint (RFC 6749 §3.1) and its pages: login, one-time password, consent.
///
/// Only pushed requests are served (SP-22): `GET /authorize?client_id=…&request_uri=…` (PAR-09).
/// Problems that make the redirect URI untrustworthy (unknown client or `request_uri`, another
/// client's `request_uri`) end on an error page (SP-12); others are redirected to the client with
/// `error`, `state` and `iss` (SP-26, ISS-01). Redirects are 303 (SP-29). Every refusal is journaled.
struct AuthorizationEndpoint: Sendable {
    static let requestURIPrefix = "urn:ietf:params:oauth:request_uri:"

    let env: ProtocolEnvironment
    /// Refuses attempts on an account after repeated failures (password and one-time password);
    /// shared with the account page, so that guesses count wherever they are made.
    let throttle: LoginThrottle

    var loginAction: String { env.issuerPath + "/authorize/login" }
    var otpAction: String { env.issuerPath + "/authorize/otp" }
    var consentAction: String { env.issuerPath + "/authorize/consent" }

    func add(to router: Router<OPRequestContext>) {
        let path = env.issuerPath + "/authorize"
        router.get(RouterPath(path)) { request, context in try await self.start(request, context) }
        router.post(RouterPath(path + "/login")) { request, context in try await self.login(request, context) }
        router.post(RouterPath(path + "/otp")) { request, context in try await self.otp(request, context) }
        router.post(RouterPath(path + "/consent")) { request, context in try await self.consent(request, context) }
    }

    /// A pushed request resolved from `client_id` + `request_uri`.
    struct Pending {
        var requestURI: String
        var row: PushedRequestRow
        var client: ClientRecord
    }

    /// Why the flow stops: an error page, or a redirect to the client.
    enum Stop: Error {
        case page(OAuthError)
        case redirect(OAuthError, Pending)
    }

    // MARK: GET /authorize

    func start(_ request: Request, _ context: OPRequestContext) async throws -> Response {
        let interaction = context.interactionID
        var parameters: [String: String] = [:]
        do {
            parameters = try FormParameters.parseQuery(request.uri.query)
            let pending = try await resolve(parameters)
            return try await continueAuthorization(pending, request: request, interaction: interaction, message: nil)
        } catch let stop as Stop {
            return try await render(stop, parameters: parameters, interaction: interaction)
        } catch let error as OAuthError {
            return try await render(.page(error), parameters: parameters, interaction: interaction)
        }
    }

    /// Login needed? Consent remembered? Then the page or the redirect.
    func continueAuthorization(
        _ pending: Pending, request: Request, interaction: String, message: String?
    )
        async throws -> Response
    {
        let session = try currentSession(request)
        let prompts = Set(pending.row.prompt?.split(separator: " ").map(String.init) ?? [])
        let pushedAtMicros = pending.row.expiresMicros - env.lifetimes.requestURISeconds * 1_000_000
        var needsLogin = session == nil
        if let session {
            if prompts.contains("login") && session.authTimeMicros < pushedAtMicros { needsLogin = true }
            if let maxAge = pending.row.maxAgeSeconds, session.authTimeMicros + maxAge * 1_000_000 < env.nowMicros {
                needsLogin = true
            }
            if pending.row.essentialACR == ProtocolEnvironment.ACR.sca && session.acr != ProtocolEnvironment.ACR.sca {
                needsLogin = true  // step up to SCA (OIDC-04)
            }
        }
        if needsLogin {
            if prompts.contains("none") {
                throw Stop.redirect(OAuthError(.loginRequired, "the user is not logged in (prompt=none)"), pending)
            }
            return try loginPage(pending, request: request, message: message)
        }
        guard let session else { throw Stop.page(OAuthError(.serverError, "no session")) }
        return try await afterLogin(pending, session: session, request: request, interaction: interaction)
    }

    /// With a logged-in user: the grant to change must be theirs (GM-04), then remembered consent
    /// (never with a grant management action: `create` wants a new grant, `merge` / `replace` a
    /// decision on the existing one) or the consent page.
    func afterLogin(
        _ pending: Pending, session: SessionRow, request: Request, interaction: String
    ) async throws -> Response {
        let prompts = Set(pending.row.prompt?.split(separator: " ").map(String.init) ?? [])
        _ = try grantToChange(pending, subject: session.subject)
        let scopes = pending.row.scope.split(separator: " ").map(String.init)
        if pending.row.grantManagementAction == nil, !prompts.contains("consent"),
            let grant = try env.projection.activeGrantPermissions(
                subject: session.subject, clientID: pending.client.clientID
            ).first(where: { Set(scopes).isSubset(of: Set($0.scopes)) })
        {
            return try await complete(
                pending, session: session, outcome: .approvedExistingGrant(grantID: grant.grantID),
                interaction: interaction, request: request)
        }
        if prompts.contains("none") {
            throw Stop.redirect(OAuthError(.consentRequired, "consent is needed and prompt=none"), pending)
        }
        return try consentPage(pending, request: request, session: session)
    }

    /// GM-04: for `merge` / `replace`, the grant named at PAR — still active, and held by the user
    /// who logged in; otherwise `invalid_grant_id` on the redirect (with `iss`, SP-26). Nil without one.
    func grantToChange(_ pending: Pending, subject: String) throws -> GrantRow? {
        guard let grantID = pending.row.grantID else { return nil }
        guard let grant = try env.projection.grant(grantID), grant.active, grant.subject == subject,
            grant.clientID == pending.client.clientID
        else {
            throw Stop.redirect(
                OAuthError(.invalidGrantID, "grant_id does not name an active grant of the user who logged in"),
                pending)
        }
        return grant
    }

    // MARK: POST /authorize/login

    func login(_ request: Request, _ context: OPRequestContext) async throws -> Response {
        try await formStep(request, context) { form, pending, interaction in
            if form["action"] == "cancel" { return try await deny(pending, subject: nil, interaction: interaction) }
            let username = form["username"] ?? ""
            if let wait = throttle.lockedFor(username, nowSeconds: env.nowSeconds) {
                try await recordFailure(username, subject: nil, reason: "locked", pending, interaction)
                return try loginPage(
                    pending, request: request,
                    message: "Too many failed attempts for this account. Try again in \((wait + 59) / 60) minutes.")
            }
            let user = try env.projection.user(username: username)
            guard await env.checkPassword(form["password"] ?? "", hash: user?.passwordHash), let user else {
                throttle.recordFailure(username, nowSeconds: env.nowSeconds)
                try await recordFailure(username, subject: nil, reason: "bad_credentials", pending, interaction)
                return try loginPage(pending, request: request, message: "Wrong username or password.")
            }
            if user.sealedTOTPSeed != nil {
                let state = env.browser.loginState(
                    subject: user.subject, requestID: pending.row.requestID,
                    expiresAt: env.nowSeconds + BrowserSecurity.loginStepSeconds)
                var response = try otpPage(pending, request: request, message: nil)
                response.headers.append(
                    HTTPField(
                        name: .setCookie,
                        value: BrowserSecurity.setCookie(
                            BrowserSecurity.loginCookie, state, maxAgeSeconds: BrowserSecurity.loginStepSeconds)))
                return response
            }
            if pending.row.essentialACR == ProtocolEnvironment.ACR.sca {
                throw Stop.redirect(
                    OAuthError(
                        .accessDenied, "strong customer authentication was required and the user has no second factor"),
                    pending)
            }
            throttle.recordSuccess(user.username)
            return try await authenticated(
                pending, subject: user.subject, acr: ProtocolEnvironment.ACR.password, amr: ["pwd"], totpStep: nil,
                request: request, interaction: interaction)
        }
    }

    // MARK: POST /authorize/otp

    func otp(_ request: Request, _ context: OPRequestContext) async throws -> Response {
        try await formStep(request, context) { form, pending, interaction in
            if form["action"] == "cancel" { return try await deny(pending, subject: nil, interaction: interaction) }
            guard
                let subject = env.browser.verifyLoginState(
                    BrowserSecurity.cookie(BrowserSecurity.loginCookie, in: request),
                    requestID: pending.row.requestID, nowSeconds: env.nowSeconds),
                let user = try env.projection.user(subject: subject), let seed = user.sealedTOTPSeed
            else {
                return try loginPage(pending, request: request, message: "Your login took too long; log in again.")
            }
            if throttle.lockedFor(user.username, nowSeconds: env.nowSeconds) != nil {
                try await recordFailure(user.username, subject: subject, reason: "locked", pending, interaction)
                return try loginPage(
                    pending, request: request, message: "Too many failed attempts for this account. Try again later.")
            }
            guard
                let step = env.users.verifyTOTP(
                    form["otp"] ?? "", sealedSeed: seed, subject: subject, nowSeconds: env.nowSeconds)
            else {
                throttle.recordFailure(user.username, nowSeconds: env.nowSeconds)
                try await recordFailure(user.username, subject: subject, reason: "bad_otp", pending, interaction)
                return try otpPage(pending, request: request, message: "That code is not right. Try the current one.")
            }
            do {
                let response = try await authenticated(
                    pending, subject: subject, acr: ProtocolEnvironment.ACR.sca, amr: ["pwd", "otp"], totpStep: step,
                    request: request, interaction: interaction)
                throttle.recordSuccess(user.username)
                return response
            } catch let error as OAuthError where error.code == .accessDenied {
                return try otpPage(pending, request: request, message: error.description)
            }
        }
    }

    // MARK: POST /authorize/consent

    func consent(_ request: Request, _ context: OPRequestContext) async throws -> Response {
        try await formStep(request, context) { form, pending, interaction in
            guard let session = try currentSession(request) else {
                return try loginPage(pending, request: request, message: "Please log in.")
            }
            let scopes = pending.row.scope.split(separator: " ").map(String.init)
            switch form["decision"] {
            case "approve":
                return try await approve(
                    pending, session: session, scopes: scopes, interaction: interaction, request: request)
            case "deny":
                return try await deny(pending, subject: session.subject, interaction: interaction)
            default:
                throw Stop.page(OAuthError(.invalidRequest, "decision must be approve or deny"))
            }
        }
    }

    /// The approval on the consent page: a new grant, or (GM-03) a merge into / replacement of the
    /// request's grant — whose new permissions the Ledger computes from the grant's current ones.
    func approve(
        _ pending: Pending, session: SessionRow, scopes: [String], interaction: String, request: Request
    ) async throws -> Response {
        let action = pending.row.grantManagementAction
        let existing = try grantToChange(pending, subject: session.subject)
        let shown = consentScopes(pending, existing: existing)
        if let existing {
            let given = ConsentGiven(
                requestID: pending.row.requestID, subject: session.subject, clientID: pending.client.clientID,
                clientName: pending.client.name, scopesShown: shown, scopesApproved: scopes, authorizationDetails: nil,
                grantID: existing.grantID, grantManagementAction: action)
            return try await complete(
                pending, session: session, outcome: .approvedGrantUpdate(given), interaction: interaction,
                request: request)
        }
        var rng = SystemRandomNumberGenerator()
        let grantID = TimeOrderedID.make(timeMicros: env.nowMicros, using: &rng)
        let given = ConsentGiven(
            requestID: pending.row.requestID, subject: session.subject, clientID: pending.client.clientID,
            clientName: pending.client.name, scopesShown: shown, scopesApproved: scopes, authorizationDetails: nil,
            grantID: grantID, grantManagementAction: action)
        let grant = GrantCreated(
            grantID: grantID, clientID: pending.client.clientID, subject: session.subject, scopes: scopes,
            authorizationDetails: nil)
        return try await complete(
            pending, session: session, outcome: .approvedNewGrant(given, grant), interaction: interaction,
            request: request)
    }

    /// What the consent page lists: the requested scopes, and for `merge` the grant's existing ones
    /// first (the grant keeps them); `replace` shows exactly what the grant will hold.
    func consentScopes(_ pending: Pending, existing: GrantRow?) -> [String] {
        let requested = pending.row.scope.split(separator: " ").map(String.init)
        guard let existing, pending.row.grantManagementAction == GrantManagementAction.merge.rawValue else {
            return requested
        }
        return GrantManagementAction.merge.scopes(existing: existing.scopes, requested: requested)
    }

    // MARK: steps

    /// Journals a failed login or one-time-password attempt (`user.authentication_failed`).
    func recordFailure(
        _ username: String, subject: String?, reason: String, _ pending: Pending, _ interaction: String
    ) async throws {
        _ = try await env.ledger.execute(
            RecordAuthenticationFailure(
                AuthenticationFailed(
                    username: username, subject: subject, reason: reason, requestID: pending.row.requestID),
                interactionID: pending.row.requestID, correlation: correlation(interaction)))
    }

    /// A POST of one of the pages: read the form, resolve the pushed request, check the CSRF token,
    /// then `body`; a refusal becomes an error page or an error redirect (and is journaled).
    func formStep(
        _ request: Request, _ context: OPRequestContext,
        _ body: (_ form: [String: String], _ pending: Pending, _ interaction: String) async throws -> Response
    ) async throws -> Response {
        let interaction = context.interactionID
        var form: [String: String] = [:]
        do {
            form = try await FormParameters.read(request, context: context, limit: 16_384)
            let pending = try await resolve(form)
            try requireCSRF(form, request: request, pending: pending)
            return try await body(form, pending, interaction)
        } catch let stop as Stop {
            return try await render(stop, parameters: form, interaction: interaction)
        } catch let error as OAuthError {
            return try await render(.page(error), parameters: form, interaction: interaction)
        }
    }

    /// PAR-06, PAR-07, SP-22: the pushed request behind `client_id` + `request_uri`.
    func resolve(_ parameters: [String: String]) async throws -> Pending {
        guard let requestURI = parameters["request_uri"] else {
            throw Stop.page(
                OAuthError(
                    .invalidRequest,
                    "authorization requests must be pushed first (PAR, RFC 9126): send client_id and request_uri"))
        }
        guard let clientID = parameters["client_id"] else {
            throw Stop.page(OAuthError(.invalidRequest, "client_id is required"))
        }
        guard requestURI.hasPrefix(Self.requestURIPrefix),
            let token = SplitToken.parse(String(requestURI.dropFirst(Self.requestURIPrefix.count))),
            let row = try env.projection.pushedRequest(token.selector),
            ConstantTime.equal(row.requestURIHash, token.secretHash)
        else {
            throw Stop.page(OAuthError(.invalidRequestURI, "the request_uri is unknown; push the request again"))
        }
        guard row.clientID == clientID else {
            throw Stop.page(OAuthError(.invalidRequestURI, "the request_uri was pushed by another client"))
        }
        let client = try env.clients.client(clientID)
        let pending = Pending(requestURI: requestURI, row: row, client: client)
        guard row.expiresMicros > env.nowMicros else {
            throw Stop.redirect(
                OAuthError(.invalidRequestURI, "the request_uri has expired; push the request again"), pending)
        }
        guard row.usedSequence == nil else {
            throw Stop.redirect(
                OAuthError(.invalidRequestURI, "the request_uri was already used to complete an authorization"), pending
            )
        }
        return pending
    }

    func requireCSRF(_ form: [String: String], request: Request, pending: Pending) throws {
        guard
            env.browser.checkCSRF(
                form["csrf"], browserValue: BrowserSecurity.cookie(BrowserSecurity.csrfCookie, in: request),
                requestID: pending.row.requestID)
        else {
            throw Stop.page(
                OAuthError(.invalidRequest, "the form has expired or did not come from this site; start again"))
        }
    }

    /// The SSO session of the request's cookie, if authentic and unexpired.
    func currentSession(_ request: Request) throws -> SessionRow? {
        guard let value = BrowserSecurity.cookie(BrowserSecurity.sessionCookie, in: request),
            let token = SplitToken.parse(value), let session = try env.projection.session(token.selector),
            ConstantTime.equal(session.sessionHash, token.secretHash), session.expiresMicros > env.nowMicros
        else { return nil }
        return session
    }

    func authenticated(
        _ pending: Pending, subject: String, acr: String, amr: [String], totpStep: Int64?, request: Request,
        interaction: String
    ) async throws -> Response {
        let now = env.nowMicros
        let token = SplitToken.mint(nowMicros: now)
        let expires = now + env.lifetimes.sessionSeconds * 1_000_000
        let event = UserAuthenticated(
            subject: subject, sessionID: token.selector, sessionHash: token.secretHash, sessionExpiresAtMicros: expires,
            acr: acr, amr: amr, authTimeMicros: now, requestID: pending.row.requestID, totpStep: totpStep)
        try await env.ledger.execute(RecordAuthentication(event, correlation: correlation(interaction)))
        let session = SessionRow(
            sessionID: token.selector, sessionHash: token.secretHash, subject: subject, acr: acr, amr: amr,
            authTimeMicros: now, expiresMicros: expires)
        var response = try await afterLogin(pending, session: session, request: request, interaction: interaction)
        BrowserSecurity.startSession(&response, sessionToken: token.value, maxAgeSeconds: env.lifetimes.sessionSeconds)
        return response
    }

    func complete(
        _ pending: Pending, session: SessionRow, outcome: CompleteAuthorization.Outcome, interaction: String,
        request: Request
    ) async throws -> Response {
        let now = env.nowMicros
        let code = SplitToken.mint(nowMicros: now)
        do {
            let result = try await env.ledger.execute(
                CompleteAuthorization(
                    requestID: pending.row.requestID, clientID: pending.client.clientID, sessionID: session.sessionID,
                    subject: session.subject, outcome: outcome,
                    code: (code.selector, code.secretHash, now + env.lifetimes.codeSeconds * 1_000_000),
                    correlation: correlation(interaction)))
            return redirect(to: result.redirectURI, ["code": code.value, "state": result.state])
        } catch let error as OAuthError {
            throw Stop.redirect(error, pending)
        }
    }

    func deny(_ pending: Pending, subject: String?, interaction: String) async throws -> Response {
        let denied = ConsentDenied(
            requestID: pending.row.requestID, subject: subject, clientID: pending.client.clientID,
            clientName: pending.client.name, scopesShown: pending.row.scope.split(separator: " ").map(String.init))
        let result = try await env.ledger.execute(
            CompleteAuthorization(
                requestID: pending.row.requestID, clientID: pending.client.clientID, sessionID: nil,
                subject: subject, outcome: .denied(denied), code: nil,
                correlation: correlation(interaction)))
        return redirect(
            to: result.redirectURI,
            ["error": "access_denied", "error_description": "the user denied the request", "state": result.state])
    }

    // MARK: rendering

    /// SP-26, SP-29, SP-46: 303 to the redirect URI with the parameters and `iss`, in the query.
    func redirect(to uri: String, _ parameters: [String: String?]) -> Response {
        var query: [String] = []
        for key in ["code", "error", "error_description", "state"] {
            if let value = parameters[key] ?? nil { query.append("\(key)=\(FormParameters.encode(value))") }
        }
        query.append("iss=\(FormParameters.encode(env.issuer))")
        let separator = uri.utf8.contains(UInt8(ascii: "?")) ? "&" : "?"
        var headers = Self.pageHeaders
        headers[.location] = uri + separator + query.joined(separator: "&")
        return Response(status: .seeOther, headers: headers)
    }

    func render(_ stop: Stop, parameters: [String: String], interaction: String) async throws -> Response {
        let error: OAuthError
        var pending: Pending?
        switch stop {
        case .page(let e): error = e
        case .redirect(let e, let p):
            error = e
            pending = p
        }
        var safe = parameters
        for secret in ["request_uri", "password", "otp", "csrf"] { safe[secret] = nil }
        let parametersJSON =
            (try? JSONSerialization.data(withJSONObject: safe, options: [.sortedKeys])).map {
                String(decoding: $0, as: UTF8.self)
            }
        var rng = SystemRandomNumberGenerator()
        _ = try await env.ledger.execute(
            RecordAuthorizationRejection(
                AuthorizationRejected(
                    endpoint: "authorize", clientID: pending?.client.clientID ?? parameters["client_id"],
                    requestID: pending?.row.requestID, error: error.code.rawValue, errorDescription: error.description,
                    parameters: parametersJSON, evidence: nil),
                interactionID: pending?.row.requestID ?? TimeOrderedID.make(timeMicros: env.nowMicros, using: &rng),
                correlation: correlation(interaction)))
        if let pending {
            return redirect(
                to: pending.row.redirectURI,
                ["error": error.code.rawValue, "error_description": error.description, "state": pending.row.state])
        }
        return html(
            Pages.error(title: "This request cannot continue", message: "\(error.code.rawValue): \(error.description)"),
            status: .badRequest)
    }

    func loginPage(_ pending: Pending, request: Request, message: String?) throws -> Response {
        let (csrf, cookie) = csrfFor(pending, request: request)
        var response = html(
            Pages.login(
                clientName: pending.client.name, clientID: pending.client.clientID, requestURI: pending.requestURI,
                csrf: csrf, action: loginAction, message: message), status: message == nil ? .ok : .unauthorized)
        if let cookie { response.headers.append(HTTPField(name: .setCookie, value: cookie)) }
        return response
    }

    func otpPage(_ pending: Pending, request: Request, message: String?) throws -> Response {
        let (csrf, cookie) = csrfFor(pending, request: request)
        var response = html(
            Pages.otp(
                clientName: pending.client.name, clientID: pending.client.clientID, requestURI: pending.requestURI,
                csrf: csrf, action: otpAction, message: message), status: message == nil ? .ok : .unauthorized)
        if let cookie { response.headers.append(HTTPField(name: .setCookie, value: cookie)) }
        return response
    }

    func consentPage(_ pending: Pending, request: Request, session: SessionRow) throws -> Response {
        let (csrf, cookie) = csrfFor(pending, request: request)
        let existing = try grantToChange(pending, subject: session.subject)
        var response = html(
            Pages.consent(
                clientName: pending.client.name, clientID: pending.client.clientID,
                scopes: consentScopes(pending, existing: existing), requestURI: pending.requestURI,
                csrf: csrf, action: consentAction,
                change: existing.map { (pending.row.grantManagementAction ?? "", $0.scopes) }), status: .ok)
        if let cookie { response.headers.append(HTTPField(name: .setCookie, value: cookie)) }
        return response
    }

    /// The form's CSRF token, and a `Set-Cookie` when the browser has no CSRF value yet.
    func csrfFor(_ pending: Pending, request: Request) -> (String, String?) {
        if let value = BrowserSecurity.cookie(BrowserSecurity.csrfCookie, in: request) {
            return (env.browser.csrfToken(browserValue: value, requestID: pending.row.requestID), nil)
        }
        let value = BrowserSecurity.randomValue()
        return (
            env.browser.csrfToken(browserValue: value, requestID: pending.row.requestID),
            BrowserSecurity.setCookie(BrowserSecurity.csrfCookie, value, maxAgeSeconds: nil)
        )
    }

    /// Pages are never cached, framed or given a referrer; no CORS headers are ever sent (SP-05).
    static let pageHeaders: HTTPFields = [
        .cacheControl: "no-store", .init("Pragma")!: "no-cache", .init("X-Frame-Options")!: "DENY",
        .init("Referrer-Policy")!: "no-referrer",
        .contentSecurityPolicy: "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
    ]

    func html(_ text: String, status: HTTPResponse.Status) -> Response {
        var headers = Self.pageHeaders
        headers[.contentType] = "text/html; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    func correlation(_ interaction: String) -> Correlation {
        Correlation(interactionID: interaction, requestID: nil)
    }
}

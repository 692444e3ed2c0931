import AsyncHTTPClient
import Crypto
import Foundation
import JOSE
import NIOCore
import NIOHTTP1
import NIOSSL
import Synchronization

/// What `--client FILE` holds, and what the benchmark writes to `DATA/bench-client.json` after it
/// registered its own client and user:
///
/// ```json
/// { "client_id": "client-…", "private_jwk": {"kty":"EC","crv":"P-256","x":"…","y":"…","d":"…","kid":"…"},
///   "ca": "/path/to/ca.pem", "username": "bench-…", "password": "…",
///   "redirect_uri": "https://client.example.org/callback", "scope": "openid accounts" }
/// ```
///
/// `redirect_uri` and `scope` are optional (defaults shown). The client must be registered for
/// `private_key_jwt` with the public half of `private_jwk` in its `jwks`, the redirect URI and the
/// scope; the user must log in with the password alone (no TOTP second factor).
struct BenchClientFile: Codable, Sendable {
    static let defaultRedirectURI = "https://client.example.org/callback"
    static let defaultScope = "openid accounts"

    var clientID: String
    var privateJWK: ECPrivateJWK
    var ca: String
    var username: String
    var password: String
    var redirectURI: String?
    var scope: String?

    enum CodingKeys: String, CodingKey {
        case clientID = "client_id"
        case privateJWK = "private_jwk"
        case ca, username, password
        case redirectURI = "redirect_uri"
        case scope
    }

    static func load(path: String) throws -> BenchClientFile {
        guard let data = FileManager.default.contents(atPath: path) else { throw FlowBenchError("cannot read \(path)") }
        do {
            return try JSONDecoder().decode(BenchClientFile.self, from: data)
        } catch {
            throw FlowBenchError("\(path) is not a bench client file: \(error)")
        }
    }

    func save(path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(self)
        guard FileManager.default.createFile(atPath: path, contents: data, attributes: [.posixPermissions: 0o600])
        else { throw FlowBenchError("cannot write \(path)") }
    }
}

/// The OP's endpoints, read from its discovery document.
struct FlowEndpoints: Sendable {
    var issuer: String
    var par: String
    var authorization: String
    var token: String
    /// `scheme://host:port` of the issuer, for the pages' relative form actions.
    var origin: String
}

/// The measured endpoints of one flow.
enum FlowStep: Int, CaseIterable, Sendable {
    case par, authorize, token

    var name: String {
        switch self {
        case .par: "par"
        case .authorize: "authorize"
        case .token: "token"
        }
    }
}

/// Counts and latencies of one worker, merged at the end.
struct FlowStatistics: Sendable {
    var latency = FlowStep.allCases.map { _ in LatencyHistogram() }
    var errors = FlowStep.allCases.map { _ in 0 }
    var flows = LatencyHistogram()

    mutating func merge(_ other: FlowStatistics) {
        for step in FlowStep.allCases {
            latency[step.rawValue].merge(other.latency[step.rawValue])
            errors[step.rawValue] += other.errors[step.rawValue]
        }
        flows.merge(other.flows)
    }
}

/// The first few failures, shared by all workers (printed as they happen, then only counted).
final class FailureLog: Sendable {
    private let printed = Atomic<Int>(0)
    let limit: Int

    init(limit: Int = 5) { self.limit = limit }

    func report(_ step: FlowStep, _ message: String) {
        if printed.add(1, ordering: .relaxed).oldValue < limit {
            FileHandle.standardError.write(Data("error endpoint=\(step.name): \(message.prefix(400))\n".utf8))
        }
    }
}

/// CPU seconds used by the server and by the benchmark during the measured window.
final class MeasuredCPU: Sendable {
    let seconds = Mutex<(server: Double, bench: Double)>((0, 0))
}

/// A response read whole: status, headers, body.
struct FlowResponse {
    var status: Int
    var headers: HTTPHeaders
    var body: String
}

/// One virtual user of the benchmark: its own SSO session (one interactive login + consent at
/// setup), its own DPoP key, and the client's assertion key; runs PAR → authorize → token.
struct FlowVirtualUser: Sendable {
    let http: HTTPClient
    let endpoints: FlowEndpoints
    let client: BenchClientFile
    let assertionSigner: ES256JWSSigner
    let dpopSigner: ES256JWSSigner
    let dpopAtPAR: Bool
    /// `{"iss":C,"sub":C,"aud":I,"jti":"` — the constant head of every client assertion.
    let assertionHead: String
    var sessionCookie: String?
    var rng: FastRandom
    /// The measured flows' own keep-alive connection (`--http-client raw`); nil: the shared `http` client.
    var connection: BenchConnection?
    var connector: BenchConnector?

    init(
        http: HTTPClient, endpoints: FlowEndpoints, client: BenchClientFile, assertionKey: P256.Signing.PrivateKey,
        dpopAtPAR: Bool
    ) {
        self.http = http
        self.endpoints = endpoints
        self.client = client
        self.assertionSigner = .clientAssertion(key: assertionKey, kid: client.privateJWK.kid)
        self.dpopSigner = .dpop(key: P256.Signing.PrivateKey())
        self.dpopAtPAR = dpopAtPAR
        let id = JSONText.string(client.clientID)
        assertionHead =
            #"{"iss":"# + id + #","sub":"# + id + #","aud":"# + JSONText.string(endpoints.issuer)
            + #","jti":""#
        var system = SystemRandomNumberGenerator()
        rng = FastRandom(seed: system.next())
    }

    var redirectURI: String { client.redirectURI ?? BenchClientFile.defaultRedirectURI }
    var scope: String { client.scope ?? BenchClientFile.defaultScope }

    static func nowSeconds() -> Int64 { Int64(Date().timeIntervalSince1970) }

    /// A fresh client assertion (single use: new `jti`), valid for 60 s.
    mutating func clientAssertion() throws -> String {
        let now = Self.nowSeconds()
        return try assertionSigner.sign(
            claimsJSON: assertionHead + rng.identifier(22) + #"","iat":\#(now),"exp":\#(now + 60)}"#)
    }

    /// A fresh DPoP proof for `POST uri`.
    mutating func dpopProof(uri: String) throws -> String {
        try dpopSigner.sign(
            claimsJSON: #"{"jti":""# + rng.identifier(22) + #"","htm":"POST","htu":"# + JSONText.string(uri)
                + #","iat":\#(Self.nowSeconds())}"#)
    }

    // MARK: HTTP

    func send(
        _ method: HTTPMethod, _ url: String, form: [(String, String)]? = nil, headers: [(String, String)] = []
    ) async throws -> FlowResponse {
        if let connection, let connector {
            return try await connection.send(
                method, target: connector.target(url), headers: headers, form: form)
        }
        var request = HTTPClientRequest(url: url)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let form {
            request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
            request.body = .bytes(ByteBuffer(string: FormEncoding.body(form)))
        }
        let response = try await http.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 1 << 20)
        return FlowResponse(status: Int(response.status.code), headers: response.headers, body: String(buffer: body))
    }

    // MARK: the flow

    /// What a pushed request needs later in the flow.
    struct Pushed {
        var requestURI: String
        var state: String
        var pkce: PKCEPair
    }

    /// POST /par: 201 with a `request_uri`.
    mutating func pushAuthorizationRequest() async throws -> Pushed {
        let pkce = PKCEPair(using: &rng)
        let state = rng.identifier(22)
        let assertion = try clientAssertion()
        let headers = dpopAtPAR ? [("DPoP", try dpopProof(uri: endpoints.par))] : []
        let form: [(String, String)] = [
            ("response_type", "code"), ("client_id", client.clientID), ("redirect_uri", redirectURI),
            ("scope", scope), ("state", state), ("nonce", rng.identifier(22)),
            ("code_challenge", pkce.challenge), ("code_challenge_method", "S256"),
            ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
            ("client_assertion", assertion),
        ]
        let response = try await send(.POST, endpoints.par, form: form, headers: headers)
        guard response.status == 201 else { throw FlowStepFailure(.par, response) }
        guard let requestURI = Self.jsonObject(response.body)?["request_uri"]?.stringValue else {
            throw FlowStepFailure(.par, "no request_uri in \(response.body)")
        }
        return Pushed(requestURI: requestURI, state: state, pkce: pkce)
    }

    /// The authorization request URI for a pushed request.
    func authorizationURL(_ pushed: Pushed) -> String {
        endpoints.authorization + "?client_id=" + FormEncoding.encode(client.clientID) + "&request_uri="
            + FormEncoding.encode(pushed.requestURI)
    }

    /// GET /authorize with the SSO session: 303 to the redirect URI with `code`, `state`, `iss`.
    func authorize(_ pushed: Pushed) async throws -> String {
        guard let sessionCookie else { throw FlowStepFailure(.authorize, "no SSO session") }
        let response = try await send(
            .GET, authorizationURL(pushed), headers: [("Cookie", BenchCookies.session + "=" + sessionCookie)])
        guard response.status == 303 else { throw FlowStepFailure(.authorize, response) }
        return try code(fromRedirect: response, pushed: pushed, step: .authorize)
    }

    /// The `code` of a 303 to the redirect URI; `state` and `iss` checked.
    func code(fromRedirect response: FlowResponse, pushed: Pushed, step: FlowStep) throws -> String {
        guard let location = response.headers.first(name: "Location"), location.hasPrefix(redirectURI) else {
            throw FlowStepFailure(step, "303 without a Location to the redirect URI")
        }
        let query = FormEncoding.queryParameters(of: location)
        guard let code = query["code"] else {
            throw FlowStepFailure(step, "redirect without code: \(location.prefix(300))")
        }
        guard query["state"] == pushed.state, query["iss"] == endpoints.issuer else {
            throw FlowStepFailure(step, "redirect with the wrong state or iss: \(location.prefix(300))")
        }
        return code
    }

    /// POST /token (authorization_code, private_key_jwt, DPoP): 200 with a DPoP-bound access token.
    mutating func redeem(code: String, pushed: Pushed) async throws {
        let assertion = try clientAssertion()
        let proof = try dpopProof(uri: endpoints.token)
        let form: [(String, String)] = [
            ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", redirectURI),
            ("code_verifier", pushed.pkce.verifier),
            ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
            ("client_assertion", assertion),
        ]
        let response = try await send(.POST, endpoints.token, form: form, headers: [("DPoP", proof)])
        guard response.status == 200 else { throw FlowStepFailure(.token, response) }
        let tokens = Self.jsonObject(response.body)
        guard tokens?["token_type"]?.stringValue == "DPoP", tokens?["access_token"]?.stringValue != nil
        else { throw FlowStepFailure(.token, "no DPoP access token in \(response.body.prefix(300))") }
    }

    /// A JSON object's members (JOSE's strict parser: one parse per response), or nil.
    static func jsonObject(_ body: String) -> [String: JSONValue]? {
        try? JSONValue.parseObject(Array(body.utf8))
    }

    // MARK: setup: one interactive login + consent

    /// Drives the login page (password only) and, when the grant does not exist yet, the consent
    /// page; keeps the SSO session cookie, and redeems the code so that no code is left unused.
    mutating func logIn() async throws {
        let pushed = try await pushAuthorizationRequest()
        var cookies: [String: String] = [:]
        let page = try await send(.GET, authorizationURL(pushed))
        BenchCookies.absorb(page.headers, into: &cookies)
        guard page.status == 200, page.body.contains(#"name="password""#) else {
            throw FlowStepFailure(.authorize, "expected the login page, got \(page.status): \(page.body.prefix(300))")
        }
        let loginAction = try formAction(page.body)
        let loginForm =
            try BenchPages.hiddenFields(page.body) + [
                ("username", client.username), ("password", client.password), ("action", "login"),
            ]
        let login = try await send(
            .POST, loginAction, form: loginForm, headers: [("Cookie", BenchCookies.header(cookies))])
        BenchCookies.absorb(login.headers, into: &cookies)
        var redirect = login
        if login.status != 303 {
            if login.body.contains(#"name="otp""#) {
                throw FlowStepFailure(.authorize, "the bench user has a TOTP second factor; use a password-only user")
            }
            guard login.status == 200, login.body.contains(#"name="decision""#) else {
                throw FlowStepFailure(
                    .authorize, "expected the consent page after login, got \(login.status): \(login.body.prefix(300))")
            }
            let consentAction = try formAction(login.body)
            let consentForm = try BenchPages.hiddenFields(login.body) + [("decision", "approve")]
            redirect = try await send(
                .POST, consentAction, form: consentForm, headers: [("Cookie", BenchCookies.header(cookies))])
            guard redirect.status == 303 else { throw FlowStepFailure(.authorize, redirect) }
        }
        guard let session = cookies[BenchCookies.session] else {
            throw FlowStepFailure(.authorize, "no \(BenchCookies.session) cookie after login")
        }
        sessionCookie = session
        let firstCode = try code(fromRedirect: redirect, pushed: pushed, step: .authorize)
        try await redeem(code: firstCode, pushed: pushed)
    }

    func formAction(_ html: String) throws -> String {
        guard let action = BenchPages.formAction(html) else {
            throw FlowStepFailure(.authorize, "no form on the page: \(html.prefix(300))")
        }
        return action.hasPrefix("/") ? endpoints.origin + action : action
    }
}

/// Why a step of a flow failed.
struct FlowStepFailure: Error, CustomStringConvertible {
    var step: FlowStep
    var description: String

    init(_ step: FlowStep, _ message: String) {
        self.step = step
        description = message
    }

    init(_ step: FlowStep, _ response: FlowResponse) {
        self.init(step, "HTTP \(response.status): \(response.body.prefix(300))")
    }
}

/// The OP's cookies, kept by hand (AsyncHTTPClient has no cookie jar).
enum BenchCookies {
    static let session = "__Host-sr_session"

    static func absorb(_ headers: HTTPHeaders, into cookies: inout [String: String]) {
        for value in headers["Set-Cookie"] {
            let pair = value.split(separator: ";", maxSplits: 1).first ?? ""
            guard let equals = pair.firstIndex(of: "=") else { continue }
            let name = pair[..<equals].trimmingCharacters(in: .whitespaces)
            let cookieValue = String(pair[pair.index(after: equals)...])
            if cookieValue.isEmpty || value.contains("Max-Age=0") {
                cookies[name] = nil
            } else {
                cookies[name] = cookieValue
            }
        }
    }

    static func header(_ cookies: [String: String]) -> String {
        cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; ")
    }
}

/// Reading the OP's login and consent pages (their forms, as `Pages.swift` writes them).
enum BenchPages {
    /// `<input type="hidden" name="N" value="V">` pairs, HTML entities decoded.
    static func hiddenFields(_ html: String) throws -> [(String, String)] {
        let pattern = try Regex(#"<input type="hidden" name="([^"]+)" value="([^"]*)">"#)
        return html.matches(of: pattern).compactMap { match in
            guard let name = match.output[1].substring, let value = match.output[2].substring else { return nil }
            return (String(name), unescape(String(value)))
        }
    }

    /// The `action` of the page's `<form method="post">`.
    static func formAction(_ html: String) -> String? {
        guard let pattern = try? Regex(#"<form method="post" action="([^"]+)">"#),
            let match = html.firstMatch(of: pattern), let action = match.output[1].substring
        else { return nil }
        return unescape(String(action))
    }

    static func unescape(_ text: String) -> String {
        text.replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&#39;", with: "'")
            .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&amp;", with: "&")
    }
}

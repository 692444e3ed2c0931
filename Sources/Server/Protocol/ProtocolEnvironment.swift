import Events
import Hummingbird
import JOSE
import Ledger
import Logging
import NIOPosix
import OAuth
import Projection

/// Verifies what an end user types: the password against its slow-KDF hash, the one-time password
/// against the sealed TOTP seed. Implemented with the `Authn` module; a protocol so tests and an
/// external identity store can stand in.
public protocol EndUserVerifier: Sendable {
    /// Whether `password` matches `hash` (PHC string). Slow by design: call it through
    /// `ProtocolEnvironment.checkPassword`, which runs it off the request threads.
    func verifyPassword(_ password: String, hash: String) -> Bool
    /// Does the work of a password check against a decoy hash with the same parameters as real ones:
    /// run when the username is unknown, so that an unknown user takes as long as a wrong password
    /// (no user enumeration by timing).
    func verifyDecoyPassword(_ password: String)
    /// The RFC 6238 time step `code` matches for this subject's sealed seed, or nil.
    func verifyTOTP(_ code: String, sealedSeed: String, subject: String, nowSeconds: Int64) -> Int64?
}

/// What the protocol endpoints share: the Ledger, the projection, the issuer, keys and clocks.
public struct ProtocolEnvironment: Sendable {
    /// Authentication context classes (published in `acr_values_supported`).
    public enum ACR {
        public static let password = "urn:strongroom:acr:pwd"
        public static let sca = "urn:strongroom:acr:sca"
        public static let all = [password, sca]
    }

    /// Lifetimes (seconds).
    public struct Lifetimes: Sendable {
        /// SP-30: `expires_in` of a `request_uri` (≤ 60 s).
        public var requestURISeconds: Int64 = 60
        /// SP-16: authorization codes live at most 60 s.
        public var codeSeconds: Int64 = 60
        public var accessTokenSeconds: Int64 = 300
        public var idTokenSeconds: Int64 = 300
        public var sessionSeconds: Int64 = 8 * 3600
        public init() {}
    }

    public let ledger: Ledger
    public let issuer: String
    /// Path prefix of the issuer (`""` when the issuer has no path).
    public let issuerPath: String
    public var lifetimes = Lifetimes()
    /// Reverse proxies allowed to pass the client certificate in a header (none by default).
    public var trustedProxies = TrustedProxies.none
    /// Server-provided DPoP nonces (RFC 9449 §8, DPOP-10), when `serve --dpop-nonce` demands them at
    /// PAR, token and the OP's resources; nil: proofs need no nonce.
    public var dpopNonces: DPoPNonceSource?
    public let users: any EndUserVerifier
    public let logger: Logger
    /// The OP keys that sign ID tokens, by algorithm (ES256 by default; PS256 when a client asks).
    public let signingKeys: SigningKeyRing
    let browser: BrowserSecurity
    let clock: @Sendable () -> Int64

    public var projection: ProjectionStore { ledger.projection }
    /// Registered clients, parsed once (invalidated by the admin service on every change).
    public let clients: ClientRegistry

    /// - Parameter browserKeyPath: where the HMAC key of cookies and CSRF tokens lives (created on first start).
    public init(
        ledger: Ledger, issuer: String, issuerPath: String, browserKeyPath: String, users: any EndUserVerifier,
        signingKeys: SigningKeyRing, logger: Logger, jwksFetcher: ClientJWKSFetcher? = nil,
        clock: @escaping @Sendable () -> Int64 = { SystemClock().nowMicros() }
    ) throws {
        self.signingKeys = signingKeys
        self.clients = ClientRegistry(projection: ledger.projection, ledger: ledger, fetcher: jwksFetcher)
        self.ledger = ledger
        self.issuer = issuer
        self.issuerPath = issuerPath
        self.users = users
        self.logger = logger
        self.browser = try BrowserSecurity.loadOrCreate(path: browserKeyPath)
        self.clock = clock
    }

    /// Checks a password on the blocking thread pool (scrypt takes tens of milliseconds and must not
    /// hold a request thread); an unknown user (`hash` nil) is checked against the decoy hash and
    /// fails, taking as long as a wrong password.
    func checkPassword(_ password: String, hash: String?) async -> Bool {
        let users = self.users
        let matches = try? await NIOThreadPool.singleton.runIfActive {
            guard let hash else {
                users.verifyDecoyPassword(password)
                return false
            }
            return users.verifyPassword(password, hash: hash)
        }
        return matches == true
    }

    var nowMicros: Int64 { clock() }
    /// DPOP-10: with server nonces on, every answer to a DPoP request offers the current nonce in
    /// `DPoP-Nonce` (RFC 9449 §8.2), so clients move to the next one before theirs expires.
    func offeringDPoPNonce(_ request: Request, _ response: Response) -> Response {
        guard let nonces = dpopNonces, request.headers[values: .init("DPoP")!].isEmpty == false else {
            return response
        }
        var response = response
        response.headers[.init("DPoP-Nonce")!] = nonces.current(nowSeconds: nowSeconds)
        return response
    }

    var nowSeconds: Int64 { clock() / 1_000_000 }
}

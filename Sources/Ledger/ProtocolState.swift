import Crypto
import Events
import Foundation

/// The protocol state the Ledger keeps in memory (part of ``LiveState``) — deliberately little.
///
/// Per-flow facts (pushed requests, codes, sessions, grants, tokens) live in the projection, which
/// decisions read through ``ProjectionLookup``. The projection lags the decisions by the batches in
/// the pipeline, so what a decision *consumes or revokes* (a `request_uri` completed, a code
/// redeemed, a grant or refresh token revoked) is also kept here, in an overlay, until the projector
/// has applied it; then it is pruned. Creations need no overlay: their secrets reach a client only
/// after the projection holds them.
///
/// Also kept: the `jti`s of client assertions and DPoP proofs already seen (until they can no longer
/// be accepted anyway; 16-byte digests, bounded by ``Limits/seenJTIsMax``) and each subject's last
/// TOTP time step.
public struct ProtocolState: Sendable {
    /// Named bounds on what the state may hold.
    public struct Limits: Sendable {
        /// Beyond this many remembered `jti`s new requests are refused with `temporarily_unavailable`.
        public var seenJTIsMax = 4_000_000
        public init() {}
    }

    public var limits = Limits()

    /// Consumed or revoked since the projection last caught up: id → decision pass that did it.
    public internal(set) var usedRequests: [String: UInt64] = [:]
    public internal(set) var redeemedCodes: [String: UInt64] = [:]
    public internal(set) var revokedGrants: [String: UInt64] = [:]
    public internal(set) var revokedRefreshTokens: [String: UInt64] = [:]
    /// Grants created by decisions not yet projected (a grant created by consent, looked up for reuse).
    public internal(set) var createdGrants: [String: (grant: GrantCreated, pass: UInt64)] = [:]
    /// Grants merged or replaced by decisions not yet projected (GM-03): their current permissions,
    /// and the mark that every refresh token a client can hold for them predates the change — a
    /// refresh token minted after it reaches its client only once the change is projected and pruned.
    public internal(set) var updatedGrants: [String: (update: GrantUpdated, pass: UInt64)] = [:]

    /// Digest of `client:<id>:<jti>` / `dpop:<jkt>:<jti>` → until when (µs) it must not be seen again.
    public internal(set) var seenJTIs: [JTIDigest: Int64] = [:]
    /// subject → last TOTP time step accepted.
    public internal(set) var lastTOTPStep: [String: Int64] = [:]

    public init() {}

    /// 16 bytes of SHA-256 of a `jti` key: compact, and no client-chosen string kept in memory.
    public struct JTIDigest: Hashable, Sendable {
        let high: UInt64
        let low: UInt64
        init(_ key: String) {
            let digest = Array(SHA256.hash(data: Array(key.utf8)))
            var h: UInt64 = 0
            var l: UInt64 = 0
            for i in 0..<8 { h = h << 8 | UInt64(digest[i]) }
            for i in 8..<16 { l = l << 8 | UInt64(digest[i]) }
            high = h
            low = l
        }
    }

    /// How long a DPoP proof's `jti` is remembered: longer than any proof `iat` the OP accepts.
    public static let dpopJTIRetentionMicros: Int64 = 600_000_000
    /// How long a client assertion's `jti` is remembered at most when it has no usable `exp`.
    public static let assertionJTIRetentionMicros: Int64 = 600_000_000

    static func assertionKey(clientID: String, jti: String) -> JTIDigest { JTIDigest("client:\(clientID):\(jti)") }
    static func dpopKey(jkt: String, jti: String) -> JTIDigest { JTIDigest("dpop:\(jkt):\(jti)") }

    /// A description of the replay when a `jti` of `evidence` was seen before (CA-05, DPOP-08).
    public func replayedJTI(in evidence: ClientEvidence?, clientID: String, nowMicros: Int64) -> String? {
        guard let evidence else { return nil }
        if let jti = evidence.assertionJTI, let until = seenJTIs[Self.assertionKey(clientID: clientID, jti: jti)],
            until >= nowMicros
        {
            return "the client assertion's jti was already used; sign a new assertion with a fresh jti (CA-05)"
        }
        if let jti = evidence.dpopJTI, let jkt = evidence.dpopJKT,
            let until = seenJTIs[Self.dpopKey(jkt: jkt, jti: jti)], until >= nowMicros
        {
            return "the DPoP proof's jti was already used; send a new proof with a fresh jti (DPOP-08)"
        }
        return nil
    }

    /// Whether the `jti` memory is full (new requests carrying `jti`s are then refused).
    public var jtiMemoryFull: Bool { seenJTIs.count >= limits.seenJTIsMax }

    mutating func remember(_ evidence: ClientEvidence?, clientID: String, timeMicros: Int64) {
        guard let evidence else { return }
        if let jti = evidence.assertionJTI {
            let until = min(
                evidence.assertionExpiresAtMicros ?? Int64.max, timeMicros + Self.assertionJTIRetentionMicros)
            seenJTIs[Self.assertionKey(clientID: clientID, jti: jti)] = until
        }
        if let jti = evidence.dpopJTI, let jkt = evidence.dpopJKT {
            seenJTIs[Self.dpopKey(jkt: jkt, jti: jti)] = timeMicros + Self.dpopJTIRetentionMicros
        }
    }

    /// Applies one event. `pass` is the Ledger's decision pass for live decisions (the overlay entry
    /// lives until the projector has applied that pass), nil when loading (already projected).
    mutating func evolve(_ body: EventBody, timeMicros: Int64, pass: UInt64?) {
        switch body {
        case .parPushed(let e):
            remember(e.evidence, clientID: e.clientID, timeMicros: timeMicros)
        case .userAuthenticated(let e):
            if let step = e.totpStep { lastTOTPStep[e.subject] = max(step, lastTOTPStep[e.subject] ?? step) }
        case .consentGiven(let e):
            if let pass { usedRequests[e.requestID] = pass }
        case .consentDenied(let e):
            if let pass { usedRequests[e.requestID] = pass }
        case .grantCreated(let e):
            if let pass { createdGrants[e.grantID] = (e, pass) }
        case .codeIssued(let e):
            if let pass, let rid = e.requestID { usedRequests[rid] = pass }
        case .tokensIssued(let e):
            if let pass, let code = e.codeID { redeemedCodes[code] = pass }
            remember(e.evidence, clientID: e.clientID, timeMicros: timeMicros)
        case .grantRevoked(let e):
            if let pass { revokedGrants[e.grantID] = pass }
        case .grantUpdated(let e):
            if let pass { updatedGrants[e.grantID] = (e, pass) }
        case .tokenRevoked(let e):
            if let pass, e.kind == "refresh" { revokedRefreshTokens[e.tokenID] = pass }
        case .authorizationRejected, .authenticationFailed, .codeReused, .signingKeyAdded, .signingKeyRetired,
            .clientRegistered, .clientUpdated, .clientRemoved, .userAdded, .clientJWKSFetched:
            break
        }
    }

    /// Forgets overlay entries the projector has applied (`pass ≤ projectedPass`).
    mutating func pruneOverlay(projectedPass: UInt64) {
        if !usedRequests.isEmpty { usedRequests = usedRequests.filter { $0.value > projectedPass } }
        if !redeemedCodes.isEmpty { redeemedCodes = redeemedCodes.filter { $0.value > projectedPass } }
        if !revokedGrants.isEmpty { revokedGrants = revokedGrants.filter { $0.value > projectedPass } }
        if !revokedRefreshTokens.isEmpty {
            revokedRefreshTokens = revokedRefreshTokens.filter { $0.value > projectedPass }
        }
        if !createdGrants.isEmpty { createdGrants = createdGrants.filter { $0.value.pass > projectedPass } }
        if !updatedGrants.isEmpty { updatedGrants = updatedGrants.filter { $0.value.pass > projectedPass } }
    }

    /// Forgets `jti`s that can no longer be replayed (their window has passed).
    mutating func evictExpiredJTIs(nowMicros: Int64) {
        seenJTIs = seenJTIs.filter { $0.value >= nowMicros }
    }
}

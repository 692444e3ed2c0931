import Events
import Foundation
import Hummingbird
import JOSE
import Ledger
import OAuth

/// The pushed authorization request endpoint (RFC 9126; SP-21, SP-23, PAR-01…05).
///
/// Authenticates the client exactly like the token endpoint (PAR-02), validates the request like an
/// authorization request (PAR-04, `AuthorizationRequestValidator`), checks a DPoP proof when one is
/// sent (its key then binds the code, SP-17), journals the push with the client's evidence and
/// answers `201 {"request_uri", "expires_in"}` (PAR-05). A refused push is journaled too.
struct PAREndpoint: Sendable {
    let env: ProtocolEnvironment
    let clients: ClientAuthenticator
    let dpop = DPoPProofValidator(context: .authorizationServer)

    var path: String { env.issuerPath + "/par" }

    func add(to router: Router<OPRequestContext>) {
        router.post(RouterPath(path)) { request, context in
            env.offeringDPoPNonce(request, try await self.push(request, context))
        }
        // PAR-01: POST only.
        for method in [HTTPRequest.Method.get, .put, .delete, .patch] {
            router.on(RouterPath(path), method: method) { _, _ -> Response in
                throw OPHTTPError(
                    .methodNotAllowed, error: "invalid_request",
                    description: "use POST for pushed authorization requests",
                    headers: [.allow: "POST"])
            }
        }
    }

    func push(_ request: Request, _ context: OPRequestContext) async throws -> Response {
        let form = try await FormParameters.read(request, context: context, limit: context.maxUploadSize)
        var client: AuthenticatedClient?
        do {
            let authenticated = try await clients.authenticate(form, request: request, context: context)
            client = authenticated
            var evidence = authenticated.evidence
            var proofJKT: String?
            let proofs = request.headers[values: .init("DPoP")!]
            if !proofs.isEmpty {
                let proof = try dpop.validate(
                    headerValues: proofs, method: "POST", targetURI: env.issuer + "/par", nonces: env.dpopNonces,
                    nowSeconds: env.nowSeconds)
                proofJKT = proof.jkt
                evidence.dpopProof = proof.proof
                evidence.dpopJTI = proof.jti
                evidence.dpopJKT = proof.jkt
            }
            let validated = try AuthorizationRequestValidator.validate(
                form, clientID: authenticated.record.clientID,
                registeredRedirectURIs: authenticated.record.redirectURIs,
                registeredScope: authenticated.record.scope, dpopProofJKT: proofJKT)
            let now = env.nowMicros
            let uri = SplitToken.mint(nowMicros: now)
            let expires = now + env.lifetimes.requestURISeconds * 1_000_000
            let event = ParPushed(
                clientID: validated.clientID, requestID: uri.selector, requestURIHash: uri.secretHash,
                expiresAtMicros: expires, scope: validated.scope, redirectURI: validated.redirectURI,
                codeChallenge: validated.codeChallenge, codeChallengeMethod: validated.codeChallengeMethod,
                state: validated.state, nonce: validated.nonce, dpopJKT: validated.dpopJKT, requestObject: nil,
                acrValues: validated.acrValues, essentialACR: validated.essentialACR, claims: validated.claims,
                prompt: validated.prompt, maxAgeSeconds: validated.maxAgeSeconds, authorizationDetails: nil,
                evidence: evidence, responseType: validated.responseType,
                grantManagementAction: validated.grantManagementAction?.rawValue, grantID: validated.grantID)
            try await env.ledger.execute(
                PushAuthorizationRequest(
                    event, correlation: Correlation(interactionID: context.interactionID, requestID: nil)))
            let body = ParResponse(
                requestURI: AuthorizationEndpoint.requestURIPrefix + uri.value,
                expiresIn: env.lifetimes.requestURISeconds)
            return try JSONResponse.make(
                body.json, status: .created,
                headers: [.cacheControl: "no-cache, no-store", .init("Pragma")!: "no-cache"])
        } catch let error as OAuthError {
            // A use_dpop_nonce challenge is a handshake, not a refusal: the retry is journaled.
            if error.code != .useDPoPNonce { try await record(error, form: form, client: client, context: context) }
            throw error
        }
    }

    /// Journals the refusal (no state change), then the error goes back to the client.
    func record(
        _ error: OAuthError, form: [String: String], client: AuthenticatedClient?, context: OPRequestContext
    )
        async throws
    {
        var safe = form
        for secret in ["client_assertion", "request_uri", "client_secret"] { safe[secret] = nil }
        let parameters = (try? JSONSerialization.data(withJSONObject: safe, options: [.sortedKeys])).map {
            String(decoding: $0, as: UTF8.self)
        }
        var rng = SystemRandomNumberGenerator()
        _ = try await env.ledger.execute(
            RecordAuthorizationRejection(
                AuthorizationRejected(
                    endpoint: "par", clientID: client?.record.clientID ?? form["client_id"], requestID: nil,
                    error: error.code.rawValue, errorDescription: error.description, parameters: parameters,
                    evidence: client?.evidence),
                interactionID: TimeOrderedID.make(timeMicros: env.nowMicros, using: &rng),
                correlation: Correlation(interactionID: context.interactionID, requestID: nil)))
    }

    struct ParResponse {
        var requestURI: String
        var expiresIn: Int64
        /// The response members (RFC 9126 §2.2).
        var json: JSONValue { .object(["request_uri": .string(requestURI), "expires_in": .integer(expiresIn)]) }
    }
}

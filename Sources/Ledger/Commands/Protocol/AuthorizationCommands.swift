import Events
import OAuth
import Projection

/// Records a pushed authorization request (RFC 9126) that passed every stateless check.
/// The Ledger adds what needs state: the client is active (PAR-02), its assertion's / DPoP
/// proof's `jti` is fresh (CA-05, DPOP-08), and a `grant_id` to merge into or replace names an
/// active grant of this client (GM-04: `invalid_grant_id` otherwise).
public struct PushAuthorizationRequest: LedgerCommand {
    public let event: ParPushed
    public let correlation: Correlation

    public init(_ event: ParPushed, correlation: Correlation) {
        self.event = event
        self.correlation = correlation
    }

    public func decide(_ state: LiveState, _ context: DecisionContext) throws -> Decision<Void> {
        guard state.clients[event.clientID] == .active else {
            throw OAuthError(.invalidClient, "client \(event.clientID) is not registered or was removed")
        }
        if let grantID = event.grantID {
            let grant = try state.activeGrant(grantID, context)
            guard let grant, grant.clientID == event.clientID else {
                throw OAuthError(.invalidGrantID, "grant_id does not name an active grant of this client")
            }
        }
        try state.requireFreshJTIs(event.evidence, clientID: event.clientID, nowMicros: context.nowMicros)
        return Decision(
            events: [
                NewEvent(
                    stream: .interaction(event.requestID), actor: .client(event.clientID), correlation: correlation,
                    body: .parPushed(event))
            ], output: ())
    }
}

/// Records a refused authorization request. Changes no state; always accepted.
public struct RecordAuthorizationRejection: LedgerCommand {
    public let event: AuthorizationRejected
    public let interactionID: String
    public let correlation: Correlation

    /// - Parameter interactionID: the pushed request's id when known, else a fresh `TimeOrderedID`.
    public init(_ event: AuthorizationRejected, interactionID: String, correlation: Correlation) {
        self.event = event
        self.interactionID = interactionID
        self.correlation = correlation
    }

    public func decide(_ state: LiveState, _ context: DecisionContext) throws -> Decision<Void> {
        let actor: Actor = event.clientID.map { .client($0) } ?? .system
        return Decision(
            events: [
                NewEvent(
                    stream: .interaction(interactionID), actor: actor, correlation: correlation,
                    body: .authorizationRejected(event))
            ], output: ())
    }
}

/// Records a successful authentication (the password and one-time password were verified by the
/// caller); starts an SSO session. Refuses a TOTP step already used by this subject (replay).
public struct RecordAuthentication: LedgerCommand {
    public let event: UserAuthenticated
    public let correlation: Correlation

    public init(_ event: UserAuthenticated, correlation: Correlation) {
        self.event = event
        self.correlation = correlation
    }

    public func decide(_ state: LiveState, _ context: DecisionContext) throws -> Decision<Void> {
        guard state.subjects.contains(event.subject) else {
            throw OAuthError(.accessDenied, "unknown user")
        }
        if let step = event.totpStep, let last = state.protocolState.lastTOTPStep[event.subject], step <= last {
            throw OAuthError(.accessDenied, "this one-time password was already used; wait for the next one")
        }
        return Decision(
            events: [
                NewEvent(
                    stream: .interaction(event.requestID ?? event.sessionID), actor: .subject(event.subject),
                    correlation: correlation, body: .userAuthenticated(event))
            ], output: ())
    }
}

/// Records a failed login or one-time-password attempt (evidence for the audit trail).
public struct RecordAuthenticationFailure: LedgerCommand {
    public let event: AuthenticationFailed
    public let interactionID: String
    public let correlation: Correlation

    public init(_ event: AuthenticationFailed, interactionID: String, correlation: Correlation) {
        self.event = event
        self.interactionID = interactionID
        self.correlation = correlation
    }

    public func decide(_ state: LiveState, _ context: DecisionContext) throws -> Decision<Void> {
        Decision(
            events: [
                NewEvent(
                    stream: .interaction(interactionID), actor: event.subject.map { .subject($0) } ?? .system,
                    correlation: correlation, body: .authenticationFailed(event))
            ], output: ())
    }
}

/// The end of an authorization: the user approved (a code is issued, under a new grant or an
/// existing one that already covers the request) or denied. A `request_uri` completes one
/// authorization only, and only now — loading the page twice is fine (SP-33, PAR-08).
public struct CompleteAuthorization: LedgerCommand {
    public enum Outcome: Sendable {
        /// Consent given on the page: a new grant.
        case approvedNewGrant(ConsentGiven, GrantCreated)
        /// Consent remembered: an active grant of this subject and client already covers the request.
        case approvedExistingGrant(grantID: String)
        /// Consent given on the page to `merge` into or `replace` the request's `grant_id` (GM-03).
        /// The Ledger computes the grant's new permissions from its current ones.
        case approvedGrantUpdate(ConsentGiven)
        case denied(ConsentDenied)
    }

    public let requestID: String
    public let clientID: String
    /// The SSO session that approves (nil for a denial, which may come before any login).
    public let sessionID: String?
    public let subject: String?
    public let outcome: Outcome
    /// The code to issue when approved (`selector`, SHA-256 of the secret, expiry); nil for a denial.
    public let code: (id: String, hash: String, expiresAtMicros: Int64)?
    public let correlation: Correlation

    /// What the authorization endpoint needs for its redirect.
    public struct Result: Sendable {
        public var redirectURI: String
        public var state: String?
    }

    public init(
        requestID: String, clientID: String, sessionID: String?, subject: String?, outcome: Outcome,
        code: (id: String, hash: String, expiresAtMicros: Int64)?, correlation: Correlation
    ) {
        self.requestID = requestID
        self.clientID = clientID
        self.sessionID = sessionID
        self.subject = subject
        self.outcome = outcome
        self.code = code
        self.correlation = correlation
    }

    public func decide(_ state: LiveState, _ context: DecisionContext) throws -> Decision<Result> {
        let projection = try context.requireProjection()
        guard let request = try projection.pushedRequest(requestID), request.clientID == clientID else {
            throw OAuthError(.invalidRequestURI, "the request_uri is unknown; push the authorization request again")
        }
        guard request.usedSequence == nil, state.protocolState.usedRequests[requestID] == nil else {
            throw OAuthError(
                .invalidRequestURI, "this request_uri was already used to complete an authorization (PAR-08)")
        }
        guard request.expiresMicros > context.nowMicros else {
            throw OAuthError(.invalidRequestURI, "the request_uri has expired; push the authorization request again")
        }
        let result = Result(redirectURI: request.redirectURI, state: request.state)
        let stream = StreamID.interaction(requestID)
        if case .denied(let denied) = outcome {
            return Decision(
                events: [
                    NewEvent(
                        stream: stream, actor: subject.map { .subject($0) } ?? .system, correlation: correlation,
                        body: .consentDenied(denied))
                ], output: result)
        }
        guard let sessionID, let subject, let code else {
            throw OAuthError(.serverError, "an approval needs the session, the subject and the code to issue")
        }
        guard let session = try projection.session(sessionID), session.subject == subject,
            session.expiresMicros > context.nowMicros
        else {
            throw OAuthError(.loginRequired, "the login session has ended; log in again")
        }
        var events: [NewEvent] = []
        let grantID: String
        var scope = request.scope
        let action = request.grantManagementAction.flatMap(GrantManagementAction.init(rawValue:))
        switch (outcome, action) {
        case (.approvedNewGrant, .merge), (.approvedNewGrant, .replace), (.approvedExistingGrant, .some),
            (.approvedGrantUpdate, .create), (.approvedGrantUpdate, nil):
            throw OAuthError(.serverError, "the approval does not carry out the request's grant_management_action")
        default: break
        }
        switch outcome {
        case .approvedGrantUpdate(let consent):
            // GM-03, GM-04: the grant must still be active (a revocation decided meanwhile wins) and
            // belong to this client and to the user who approves.
            guard let action, let target = request.grantID,
                let grant = try state.activeGrant(target, context),
                grant.clientID == clientID, grant.subject == subject, consent.grantID == target
            else {
                throw OAuthError(.invalidGrantID, "grant_id does not name an active grant of this user and client")
            }
            let update = GrantUpdated(
                grantID: target, clientID: clientID, subject: subject, action: action.rawValue,
                scopesBefore: grant.scopes,
                scopesAfter: action.scopes(
                    existing: grant.scopes, requested: request.scope.split(separator: " ").map(String.init)),
                requestID: requestID)
            events.append(
                NewEvent(
                    stream: stream, actor: .subject(subject), correlation: correlation, body: .consentGiven(consent)))
            events.append(
                NewEvent(
                    stream: .grant(target), actor: .subject(subject), correlation: correlation,
                    body: .grantUpdated(update)))
            grantID = target
            scope = update.scopesAfter.joined(separator: " ")
        case .approvedNewGrant(let consent, let grant):
            events.append(
                NewEvent(
                    stream: stream, actor: .subject(subject), correlation: correlation, body: .consentGiven(consent)))
            events.append(
                NewEvent(
                    stream: .grant(grant.grantID), actor: .subject(subject), correlation: correlation,
                    body: .grantCreated(grant)))
            grantID = grant.grantID
        case .approvedExistingGrant(let existing):
            guard try state.grantIsActive(existing, context) else {
                throw OAuthError(.accessDenied, "the remembered consent was revoked; ask the user again")
            }
            grantID = existing
        case .denied:
            fatalError("handled above")
        }
        let issued = CodeIssued(
            clientID: clientID, subject: subject, grantID: grantID, codeID: code.id, codeHash: code.hash,
            expiresAtMicros: code.expiresAtMicros, scope: scope, redirectURI: request.redirectURI,
            dpopJKT: request.dpopJKT, authTimeMicros: session.authTimeMicros, acr: session.acr, amr: session.amr,
            requestID: requestID, codeChallenge: request.codeChallenge, nonce: request.nonce, sessionID: sessionID,
            grantManagementAction: request.grantManagementAction)
        events.append(
            NewEvent(stream: stream, actor: .subject(subject), correlation: correlation, body: .codeIssued(issued)))
        return Decision(events: events, output: result)
    }
}

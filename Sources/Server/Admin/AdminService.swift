import Events
import Foundation
import GRDB
import JOSE
import Ledger
import OAuth
import Projection

/// An operator's request (`strongroom clients|users …`), the same whether the CLI holds the data
/// directory's lock itself (server down) or sends it to the running server's admin socket: so a
/// running CLI never writes the journal behind the server's back.
public enum AdminRequest: Codable, Sendable {
    /// RFC 7591 metadata (JSON text), optionally with `client_id`.
    case registerClient(metadata: String)
    case removeClient(clientID: String, reason: String)
    case listClients
    case showClient(clientID: String)
    /// The password arrives hashed (scrypt) and the TOTP seed sealed: the CLI did the crypto.
    case addUser(UserAdded)
    /// A new signing key for the algorithm (ES256 or PS256) becomes the signer; the old one stays
    /// published for `publishOldForSeconds`.
    case rotateKey(algorithm: String, publishOldForSeconds: Int64)
    /// Write a signed checkpoint now and answer with the durable sequence number once it is synced
    /// (`strongroom journal backup` copies up to there).
    case checkpoint
    /// A customer's grants, newest first (`strongroom grants list --subject`).
    case listGrants(subject: String)
    /// One grant with its history (`strongroom grants show`).
    case showGrant(grantID: String)
    /// Revokes a grant and its tokens; journaled with the operator and the reason (`grants revoke`).
    case revokeGrant(grantID: String, reason: String)
}

/// The answer: JSON text for the operator, or an error message.
public struct AdminResponse: Codable, Sendable {
    public var ok: Bool
    public var json: String?
    public var error: String?

    public static func success(_ json: String) -> AdminResponse { AdminResponse(ok: true, json: json, error: nil) }
    public static func failure(_ message: String) -> AdminResponse {
        AdminResponse(ok: false, json: nil, error: message)
    }
}

/// Carries out admin requests against a Ledger.
///
/// ```swift
/// let response = await AdminService(ledger: ledger, keys: ring).handle(.listClients, operatorName: "alice")
/// ```
public struct AdminService: Sendable {
    public let ledger: Ledger
    public let keys: SigningKeyRing
    /// The running server's client cache, told about every client change (nil offline).
    public let clients: ClientRegistry?

    public init(ledger: Ledger, keys: SigningKeyRing, clients: ClientRegistry? = nil) {
        self.ledger = ledger
        self.keys = keys
        self.clients = clients
    }

    public func handle(_ request: AdminRequest, operatorName: String) async -> AdminResponse {
        do {
            switch request {
            case .registerClient(let text):
                var metadata = try ClientMetadata.parse(Array(text.utf8))
                if metadata.clientID == nil {
                    var rng = SystemRandomNumberGenerator()
                    let id = "client-" + TimeOrderedID.make(timeMicros: SystemClock().nowMicros(), using: &rng)
                    metadata = try metadata.withClientID(id)
                }
                let clientID = metadata.clientID ?? ""
                let normalized = String(decoding: metadata.normalizedJSON(), as: UTF8.self)
                try await ledger.execute(
                    RegisterClient(clientID: clientID, metadata: normalized, via: "cli", actor: .operator(operatorName))
                )
                return .success(String(decoding: metadata.normalizedJSON(pretty: true), as: UTF8.self))
            case .removeClient(let clientID, let reason):
                try await ledger.execute(
                    RemoveClient(clientID: clientID, reason: reason, actor: .operator(operatorName)))
                return .success(#"{"client_id":"\#(clientID)","status":"removed"}"#)
            case .listClients:
                let rows = try ledger.projection.pool.read { db in
                    try Row.fetchAll(
                        db, sql: "SELECT client_id, status, metadata FROM clients ORDER BY client_id")
                }
                let list: [[String: Any]] = rows.map { row in
                    let metadata =
                        (try? JSONSerialization.jsonObject(with: Data((row[2] as String).utf8)) as? [String: Any])
                        ?? [:]
                    return [
                        "client_id": row[0] as String, "status": row[1] as String,
                        "client_name": metadata["client_name"] as? String ?? "",
                        "token_endpoint_auth_method": metadata["token_endpoint_auth_method"] as? String ?? "",
                    ]
                }
                return .success(try Self.json(list))
            case .showClient(let clientID):
                guard
                    let row = try ledger.projection.pool.read({ db in
                        try Row.fetchOne(
                            db, sql: "SELECT metadata, status FROM clients WHERE client_id = ?", arguments: [clientID])
                    })
                else { return .failure("no client \(clientID)") }
                var metadata =
                    (try? JSONSerialization.jsonObject(with: Data((row[0] as String).utf8)) as? [String: Any]) ?? [:]
                metadata["status"] = row[1] as String
                return .success(try Self.json(metadata))
            case .rotateKey(let name, let seconds):
                guard let algorithm = SigningAlgorithm(rawValue: name) else {
                    return .failure("unknown algorithm \(name): use ES256 or PS256")
                }
                let rotation = try await keys.rotate(
                    algorithm, ledger: ledger, publishOldForSeconds: seconds, actor: .operator(operatorName))
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
                encoder.dateEncodingStrategy = .iso8601
                return .success(String(decoding: try encoder.encode(rotation), as: UTF8.self))
            case .checkpoint:
                let durable = try await ledger.checkpointNow()
                return .success(#"{"durable_sequence":\#(durable)}"#)
            case .addUser(let user):
                try await ledger.execute(AddUser(user, actor: .operator(operatorName)))
                return .success(#"{"subject":"\#(user.subject)","username":"\#(user.username)"}"#)
            case .listGrants(let subject):
                let grants = try ledger.projection.grants(subject: subject)
                return .success(try Self.json(try grants.map { try grantJSON($0) }))
            case .showGrant(let grantID):
                guard let grant = try ledger.projection.grant(grantID) else { return .failure("no grant \(grantID)") }
                var object = try grantJSON(grant)
                // Where its history is in the journal (`strongroom journal dump --from N --through N`).
                object["event_sequences"] = try ledger.projection.sequences(stream: .grant(grantID))
                return .success(try Self.json(object))
            case .revokeGrant(let grantID, let reason):
                try await ledger.execute(
                    RevokeGrant(
                        grantID: grantID, requiredClientID: nil, requiredSubject: nil, revokedBy: "operator",
                        reason: reason, actor: .operator(operatorName), correlation: .none))
                guard let grant = try ledger.projection.grant(grantID) else { return .failure("no grant \(grantID)") }
                return .success(try Self.json(try grantJSON(grant)))
            }
        } catch let error as OAuthError {
            return .failure("\(error.code.rawValue): \(error.description)")
        } catch {
            return .failure("\(error)")
        }
    }

    /// A grant as the service desk sees it (times in RFC 3339, UTC).
    func grantJSON(_ grant: GrantRow) throws -> [String: Any] {
        let metadata = try ledger.projection.pool.read { db in
            try String.fetchOne(
                db, sql: "SELECT metadata FROM clients WHERE client_id = ?", arguments: [grant.clientID])
        }
        let clientName =
            metadata.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }?[
                "client_name"] as? String ?? ""
        var object: [String: Any] = [
            "grant_id": grant.grantID, "client_id": grant.clientID, "client_name": clientName,
            "subject": grant.subject, "scopes": grant.scopes, "status": grant.active ? "active" : "revoked",
            "created_at": Self.time(grant.createdMicros), "last_updated_at": Self.time(grant.updatedMicros),
            "last_used_at": Self.time(grant.lastUsedMicros),
        ]
        if let updatedBy = grant.updatedBy { object["updated_by"] = updatedBy }
        if let revoked = grant.revokedMicros { object["revoked_at"] = Self.time(revoked) }
        if let by = grant.revokedBy { object["revoked_by"] = by }
        if let reason = grant.revokeReason { object["revoke_reason"] = reason }
        return object
    }

    static func time(_ micros: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: Date(timeIntervalSince1970: Double(micros) / 1_000_000))
    }

    static func json(_ value: Any) throws -> String {
        String(
            decoding: try JSONSerialization.data(
                withJSONObject: value, options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]), as: UTF8.self)
    }
}

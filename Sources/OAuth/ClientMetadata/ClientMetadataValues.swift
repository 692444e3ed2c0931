/// How a client authenticates at the token and PAR endpoints (`token_endpoint_auth_method`).
///
/// Only the three methods FAPI 2.0 allows exist here (SP-11): no `none` (SP-09, public clients)
/// and no `client_secret_*`.
public enum ClientAuthenticationMethod: String, Sendable, Hashable, Codable, CaseIterable {
    /// A JWT signed with the client's private key (OIDC Core §9, RFC 7523).
    case privateKeyJWT = "private_key_jwt"
    /// Mutual TLS with a certificate from a trusted CA, matched on one subject attribute (RFC 8705 §2.1).
    case tlsClientAuth = "tls_client_auth"
    /// Mutual TLS with a self-signed certificate registered in the client's JWKS (RFC 8705 §2.2).
    case selfSignedTLSClientAuth = "self_signed_tls_client_auth"
}

/// The grant types a FAPI 2.0 client may register (`grant_types`).
public enum GrantType: String, Sendable, Hashable, Codable, CaseIterable {
    case authorizationCode = "authorization_code"
    case refreshToken = "refresh_token"
    case clientCredentials = "client_credentials"
}

/// The one certificate attribute a `tls_client_auth` client registers (RFC 8705 §2.1.2): the
/// presented certificate must carry exactly this value.
public enum TLSClientAuthAttribute: Sendable, Hashable {
    /// `tls_client_auth_subject_dn`: the subject DN as an RFC 4514 string.
    case subjectDN(String)
    /// `tls_client_auth_san_dns`: a dNSName SAN entry.
    case sanDNS(String)
    /// `tls_client_auth_san_uri`: a uniformResourceIdentifier SAN entry.
    case sanURI(String)
    /// `tls_client_auth_san_ip`: an iPAddress SAN entry, IPv4 dotted-decimal or IPv6 text.
    case sanIP(String)
    /// `tls_client_auth_san_email`: an rfc822Name SAN entry.
    case sanEmail(String)

    /// The client metadata member names, in the order RFC 8705 §2.1.2 lists them.
    public static let memberNames = [
        "tls_client_auth_subject_dn", "tls_client_auth_san_dns", "tls_client_auth_san_uri",
        "tls_client_auth_san_ip", "tls_client_auth_san_email",
    ]

    /// The client metadata member this attribute is registered under.
    public var memberName: String {
        switch self {
        case .subjectDN: "tls_client_auth_subject_dn"
        case .sanDNS: "tls_client_auth_san_dns"
        case .sanURI: "tls_client_auth_san_uri"
        case .sanIP: "tls_client_auth_san_ip"
        case .sanEmail: "tls_client_auth_san_email"
        }
    }

    /// The registered value.
    public var value: String {
        switch self {
        case .subjectDN(let v), .sanDNS(let v), .sanURI(let v), .sanIP(let v), .sanEmail(let v): v
        }
    }

    /// The attribute for a member name, or `nil` for another name.
    public init?(memberName: String, value: String) {
        switch memberName {
        case "tls_client_auth_subject_dn": self = .subjectDN(value)
        case "tls_client_auth_san_dns": self = .sanDNS(value)
        case "tls_client_auth_san_uri": self = .sanURI(value)
        case "tls_client_auth_san_ip": self = .sanIP(value)
        case "tls_client_auth_san_email": self = .sanEmail(value)
        default: return nil
        }
    }
}

/// The JWS algorithms FAPI 2.0 allows (SP-37): every `*_alg` client metadata member must name one.
public enum FAPISigningAlgorithm {
    /// `PS256`, `ES256`, `EdDSA` (Ed25519).
    public static let allowed = ["PS256", "ES256", "EdDSA"]
}

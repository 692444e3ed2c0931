/// The checks client metadata passes before a client is registered, one rule each
/// (RFC 7591 §2, §3.2.2; FAPI 2.0 SP 5.3.2.1; RFC 8705 §2).
///
/// ``ClientMetadata/parse(_:)`` runs them in order; each is usable on its own.
public enum ClientMetadataChecks {
    /// `access_token_format` is `opaque` (the default) or `jwt` (RFC 9068).
    public static func validateAccessTokenFormat(_ value: String?) throws(OAuthError) -> String {
        guard let value else { return "opaque" }
        guard value == "opaque" || value == "jwt" else {
            throw OAuthError(
                .invalidClientMetadata, "access_token_format must be opaque or jwt (RFC 9068), not \"\(value)\"")
        }
        return value
    }
    /// Largest accepted metadata document: 64 KiB (a JWKS with a few RSA keys and x5c chains fits).
    public static let documentByteCountMax = 64 * 1024
    /// Most entries in any array member (`redirect_uris`, `grant_types`, `contacts`, …).
    public static let arrayCountMax = 32
    /// Longest `client_id`, `client_name`, URI or other string member.
    public static let stringByteCountMax = 2048
    /// Longest `client_id`.
    public static let clientIDByteCountMax = 255

    /// Bounds the document size before it is parsed.
    public static func requireDocumentSize(_ byteCount: Int) throws(OAuthError) {
        guard byteCount <= documentByteCountMax else {
            throw OAuthError(
                .invalidClientMetadata,
                "the client metadata is \(byteCount) bytes; the limit is \(documentByteCountMax) bytes "
                    + "(publish large key sets at a jwks_uri instead)")
        }
    }

    /// `client_id`: 1 to 255 visible ASCII characters (RFC 6749 Appendix A.1 VSCHAR, no space).
    public static func validateClientID(_ clientID: String) throws(OAuthError) {
        let bytes = Array(clientID.utf8)
        guard (1...clientIDByteCountMax).contains(bytes.count), bytes.allSatisfy({ (0x21...0x7e).contains($0) })
        else {
            throw OAuthError(
                .invalidClientMetadata,
                "client_id must be 1 to \(clientIDByteCountMax) visible ASCII characters without spaces; "
                    + "omit it to have one assigned")
        }
    }

    /// `client_name`: non-empty, bounded, no control characters (it is shown to end users, SP-31).
    public static func validateClientName(_ name: String) throws(OAuthError) {
        guard !name.trimmingSpaces.isEmpty, name.utf8.count <= 200,
            !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
        else {
            throw OAuthError(
                .invalidClientMetadata,
                "client_name must be 1 to 200 bytes of text without control characters")
        }
    }

    /// SP-09, SP-11, DCR-02: `token_endpoint_auth_method` must be `private_key_jwt`,
    /// `tls_client_auth` or `self_signed_tls_client_auth`. Absent is refused too: RFC 7591 §2 would
    /// default it to `client_secret_basic`, which FAPI 2.0 forbids.
    public static func requireFAPIAuthMethod(_ value: String?) throws(OAuthError) -> ClientAuthenticationMethod {
        let allowed = "private_key_jwt, tls_client_auth or self_signed_tls_client_auth"
        guard let value else {
            throw OAuthError(
                .invalidClientMetadata,
                "token_endpoint_auth_method is missing (RFC 7591 would default it to client_secret_basic, "
                    + "which FAPI 2.0 forbids); set it to \(allowed)")
        }
        if let method = ClientAuthenticationMethod(rawValue: value) { return method }
        switch value {
        case "none":
            throw OAuthError(
                .invalidClientMetadata,
                "token_endpoint_auth_method \"none\" registers a public client; FAPI 2.0 allows only "
                    + "confidential clients: use \(allowed)")
        case "client_secret_basic", "client_secret_post", "client_secret_jwt":
            throw OAuthError(
                .invalidClientMetadata,
                "token_endpoint_auth_method \"\(value)\" uses a shared secret, which FAPI 2.0 forbids; "
                    + "use \(allowed)")
        default:
            throw OAuthError(
                .invalidClientMetadata, "token_endpoint_auth_method \"\(value)\" is not supported; use \(allowed)")
        }
    }

    /// SP-37, DCR-02: every `*_alg` member must be PS256, ES256 or EdDSA (never RS256 or `none`).
    public static func requireFAPISigningAlg(_ value: String?, member: String) throws(OAuthError) -> String? {
        guard let value else { return nil }
        guard FAPISigningAlgorithm.allowed.contains(value) else {
            throw OAuthError(
                .invalidClientMetadata,
                "\(member) \"\(value)\" is not allowed; FAPI 2.0 allows only PS256, ES256 or EdDSA")
        }
        return value
    }

    /// The members asking the OP to encrypt (JWE) are refused rather than ignored: this OP does not
    /// encrypt, and silently ignoring them would send the client plaintext it asked to be
    /// encrypted.
    static func rejectEncryptionMembers(_ members: [String: MetadataJSON]) throws(OAuthError) {
        let names = [
            "id_token_encrypted_response_alg", "id_token_encrypted_response_enc",
            "userinfo_encrypted_response_alg", "userinfo_encrypted_response_enc",
            "authorization_encrypted_response_alg", "authorization_encrypted_response_enc",
            "introspection_encrypted_response_alg", "introspection_encrypted_response_enc",
            "request_object_encryption_alg", "request_object_encryption_enc",
        ]
        for name in names where members[name] != nil && members[name] != .null {
            throw OAuthError(
                .invalidClientMetadata, "\(name) is not supported: this OP does not use JWE; remove the member")
        }
    }

    /// DCR-06: `jwks` and `jwks_uri` must not both be present (RFC 7591 §2).
    public static func rejectJWKSAndJWKSURI(hasJWKS: Bool, hasJWKSURI: Bool) throws(OAuthError) {
        guard !(hasJWKS && hasJWKSURI) else {
            throw OAuthError(
                .invalidClientMetadata,
                "jwks and jwks_uri are both present; RFC 7591 §2 allows only one: keep jwks_uri if the "
                    + "client can serve its keys, else jwks")
        }
    }

    /// SP-11, MTLS-02: `private_key_jwt` verifies assertions with the client's keys and
    /// `self_signed_tls_client_auth` matches the certificate against them, so both need `jwks` or
    /// `jwks_uri`.
    public static func requireKeysForAuthMethod(
        _ method: ClientAuthenticationMethod, hasJWKS: Bool, hasJWKSURI: Bool
    ) throws(OAuthError) {
        guard method != .tlsClientAuth, !hasJWKS, !hasJWKSURI else { return }
        let why =
            method == .privateKeyJWT
            ? "the OP verifies the client's assertion JWTs with these keys"
            : "the OP matches the client certificate against the x5c of these keys (RFC 8705 §2.2)"
        throw OAuthError(
            .invalidClientMetadata,
            "token_endpoint_auth_method \(method.rawValue) needs jwks or jwks_uri: \(why)")
    }

    /// MTLS-07: a `tls_client_auth` client registers exactly one `tls_client_auth_*` attribute
    /// (RFC 8705 §2.1.2); other methods register none (they would never be checked).
    public static func requireExactlyOneTLSClientAuthAttribute(
        _ attributes: [TLSClientAuthAttribute], method: ClientAuthenticationMethod
    ) throws(OAuthError) -> TLSClientAuthAttribute? {
        let names = attributes.map(\.memberName).joined(separator: ", ")
        guard method == .tlsClientAuth else {
            guard attributes.isEmpty else {
                throw OAuthError(
                    .invalidClientMetadata,
                    "\(names) apply only to token_endpoint_auth_method tls_client_auth; remove them or "
                        + "change the method")
            }
            return nil
        }
        guard attributes.count == 1 else {
            let all = TLSClientAuthAttribute.memberNames.joined(separator: ", ")
            throw OAuthError(
                .invalidClientMetadata,
                attributes.isEmpty
                    ? "tls_client_auth needs exactly one of \(all) to say which certificate identifies the client"
                    : "tls_client_auth needs exactly one certificate attribute, but \(names) are all present; keep one")
        }
        return attributes[0]
    }

    /// MTLS-07: the registered attribute is well-formed, so that the match at the token endpoint
    /// (MTLS-01) can only fail because of the certificate: a subject DN that parses as RFC 4514, a
    /// DNS name, an absolute URI, an IPv4/IPv6 address, an e-mail address.
    public static func validateTLSClientAuthAttribute(_ attribute: TLSClientAuthAttribute) throws(OAuthError) {
        let value = attribute.value
        let member = attribute.memberName
        guard !value.isEmpty, value.utf8.count <= stringByteCountMax else {
            throw OAuthError(.invalidClientMetadata, "\(member) is empty or longer than \(stringByteCountMax) bytes")
        }
        switch attribute {
        case .subjectDN:
            do {
                _ = try RFC4514DistinguishedName(parsing: value)
            } catch {
                throw OAuthError(
                    .invalidClientMetadata, "\(member) is not an RFC 4514 distinguished name: \(error.description)")
            }
        case .sanDNS:
            guard value.utf8.allSatisfy({ $0.isDNSNameCharacter }) else {
                throw OAuthError(
                    .invalidClientMetadata,
                    "\(member) \"\(value)\" is not a DNS name (letters, digits, '-', '.', leading '*.')")
            }
        case .sanURI:
            guard AbsoluteURI.hasValidScheme(value), value.utf8.allSatisfy({ $0.isURICharacter }) else {
                throw OAuthError(.invalidClientMetadata, "\(member) \"\(value)\" is not an absolute URI")
            }
        case .sanIP:
            guard IPAddressText.bytes(value) != nil else {
                throw OAuthError(
                    .invalidClientMetadata,
                    "\(member) \"\(value)\" is not an IPv4 (dotted decimal) or IPv6 address")
            }
        case .sanEmail:
            guard EmailAddressText.isPlausible(value) else {
                throw OAuthError(.invalidClientMetadata, "\(member) \"\(value)\" is not an e-mail address")
            }
        }
    }

    /// SP-08, DCR-02: `grant_types` ⊆ {authorization_code, refresh_token, client_credentials};
    /// `password` and `implicit` are refused by name; duplicates are dropped; absent means
    /// `["authorization_code"]` (RFC 7591 §2).
    public static func validateGrantTypes(_ values: [String]?) throws(OAuthError) -> [GrantType] {
        guard let values else { return [.authorizationCode] }
        guard !values.isEmpty else {
            throw OAuthError(
                .invalidClientMetadata, "grant_types is empty; list authorization_code and/or client_credentials")
        }
        var grants: [GrantType] = []
        for value in values {
            guard let grant = GrantType(rawValue: value) else {
                switch value {
                case "password":
                    throw OAuthError(
                        .invalidClientMetadata,
                        "grant_types contains \"password\"; FAPI 2.0 forbids the resource owner password grant: "
                            + "use authorization_code")
                case "implicit":
                    throw OAuthError(
                        .invalidClientMetadata,
                        "grant_types contains \"implicit\"; FAPI 2.0 forbids the implicit grant: use authorization_code"
                    )
                default:
                    throw OAuthError(
                        .invalidClientMetadata,
                        "grant_types contains \"\(value)\", which this OP does not support; allowed: "
                            + "authorization_code, refresh_token, client_credentials")
                }
            }
            if !grants.contains(grant) { grants.append(grant) }
        }
        if grants == [.refreshToken] {
            throw OAuthError(
                .invalidClientMetadata,
                "grant_types contains only refresh_token; add the grant that issues the refresh token "
                    + "(authorization_code)")
        }
        return grants
    }

    /// SP-20, DCR-02: `response_types` is `["code"]` exactly when `authorization_code` is a grant
    /// type and `[]` otherwise (RFC 7591 §2.1 consistency); absent takes that value.
    public static func validateResponseTypes(
        _ values: [String]?, grantTypes: [GrantType]
    ) throws(OAuthError)
        -> [String]
    {
        let expected = grantTypes.contains(.authorizationCode) ? ["code"] : []
        guard let values else { return expected }
        for value in values where value != "code" {
            throw OAuthError(
                .invalidClientMetadata,
                "response_types contains \"\(value)\"; FAPI 2.0 allows only the \"code\" response type")
        }
        let unique = values.isEmpty ? [] : ["code"]
        guard unique == expected else {
            throw OAuthError(
                .invalidClientMetadata,
                expected.isEmpty
                    ? "response_types contains \"code\" but grant_types lacks authorization_code; add the grant "
                        + "or remove the response type"
                    : "grant_types contains authorization_code but response_types lacks \"code\"; set "
                        + "response_types to [\"code\"]")
        }
        return expected
    }

    /// RFC 6749 §3.3: `scope` is scope tokens (visible ASCII except `"` and `\`) separated by single
    /// spaces, without leading or trailing space.
    public static func validateScope(_ scope: String) throws(OAuthError) {
        guard scope.utf8.count <= stringByteCountMax else {
            throw OAuthError(.invalidClientMetadata, "scope is longer than \(stringByteCountMax) bytes")
        }
        let tokens = scope.split(separator: " ", omittingEmptySubsequences: false)
        for token in tokens {
            guard !token.isEmpty else {
                throw OAuthError(
                    .invalidClientMetadata,
                    "scope \"\(scope)\" has an empty token; separate scope values by single spaces, without "
                        + "leading or trailing spaces")
            }
            guard token.utf8.allSatisfy({ $0 == 0x21 || (0x23...0x5b).contains($0) || (0x5d...0x7e).contains($0) })
            else {
                throw OAuthError(
                    .invalidClientMetadata,
                    "scope value \"\(token)\" has a character RFC 6749 §3.3 does not allow (only visible ASCII "
                        + "except '\"' and '\\')")
            }
        }
    }

    /// `contacts`: e-mail addresses (RFC 7591 §2).
    public static func validateContacts(_ contacts: [String]) throws(OAuthError) {
        for contact in contacts where !EmailAddressText.isPlausible(contact) {
            throw OAuthError(.invalidClientMetadata, "contacts entry \"\(contact)\" is not an e-mail address")
        }
    }

    /// `jwks_uri`, `client_uri`, `logo_uri`: absolute https URLs without fragment or user info
    /// (SP-40 for keys; RFC 7591 §5 for the display URLs).
    public static func requireHTTPSURL(_ value: String, member: String) throws(OAuthError) {
        guard value.utf8.count <= stringByteCountMax, let uri = AbsoluteURI(value) else {
            throw OAuthError(.invalidClientMetadata, "\(member) \"\(value)\" is not an absolute URL")
        }
        guard uri.scheme == "https" else {
            throw OAuthError(.invalidClientMetadata, "\(member) \"\(value)\" must use https")
        }
        guard !uri.hasFragment, uri.userInfo == nil else {
            throw OAuthError(
                .invalidClientMetadata, "\(member) \"\(value)\" must not contain a fragment or user information")
        }
    }
}

/// Loose but useful e-mail syntax: `local@domain`, one `@`, no spaces, a dotted-or-not domain.
enum EmailAddressText {
    static func isPlausible(_ text: String) -> Bool {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty, text.utf8.count <= 254 else { return false }
        return text.unicodeScalars.allSatisfy { $0.value > 0x20 && $0.value != 0x7f }
    }
}

extension UInt8 {
    /// Letters, digits, `-`, `.` and `*` (for wildcard SAN entries).
    var isDNSNameCharacter: Bool {
        switch self {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "*"):
            true
        default: false
        }
    }
}

extension StringProtocol {
    /// The text without leading and trailing spaces, tabs and line breaks.
    var trimmingSpaces: Substring {
        let scalars = Substring(self)
        guard let first = scalars.firstIndex(where: { !$0.isWhitespace }),
            let last = scalars.lastIndex(where: { !$0.isWhitespace })
        else { return "" }
        return scalars[first...last]
    }

}

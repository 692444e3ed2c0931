import Foundation
import JOSE
import Testing

@testable import OAuth

/// Builds client metadata documents: a valid private_key_jwt client, with members replaced or removed.
enum MetadataDocument {
    static var base: [String: Any] {
        [
            "client_name": "Example Client",
            "redirect_uris": ["https://client.example.com/cb"],
            "token_endpoint_auth_method": "private_key_jwt",
            "token_endpoint_auth_signing_alg": "PS256",
            "jwks_uri": "https://client.example.com/jwks.json",
            "scope": "openid accounts",
            "dpop_bound_access_tokens": true,
        ]
    }

    static func json(_ changes: [String: Any] = [:], removing: [String] = []) -> [UInt8] {
        var members = base
        for (name, value) in changes { members[name] = value }
        for name in removing { members[name] = nil }
        return Array(try! JSONSerialization.data(withJSONObject: members, options: [.sortedKeys]))
    }

    static func parse(_ changes: [String: Any] = [:], removing: [String] = []) throws(OAuthError) -> ClientMetadata {
        try ClientMetadata.parse(json(changes, removing: removing))
    }

    /// Captures the OAuthError a parse throws.
    static func error(_ changes: [String: Any] = [:], removing: [String] = []) -> OAuthError? {
        do {
            _ = try parse(changes, removing: removing)
            return nil
        } catch {
            return error
        }
    }

    /// A 2048-bit RSA public JWK (structure only: the checks look at the modulus size).
    static var rsa2048: [String: Any] {
        ["kty": "RSA", "e": "AQAB", "n": Base64URL.encode([0xC1] + Array(repeating: 0x5A, count: 255))]
    }
    static var ecP256: [String: Any] {
        [
            "kty": "EC", "crv": "P-256", "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
            "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0",
        ]
    }
}

@Suite struct ClientMetadataParsingTests {
    @Test func parsesAValidPrivateKeyJWTClientWithDefaults() throws {
        let metadata = try MetadataDocument.parse()
        #expect(metadata.clientID == nil)
        #expect(metadata.clientName == "Example Client")
        #expect(metadata.redirectURIs == ["https://client.example.com/cb"])
        #expect(metadata.tokenEndpointAuthMethod == .privateKeyJWT)
        #expect(metadata.tokenEndpointAuthSigningAlg == "PS256")
        #expect(metadata.jwksURI == "https://client.example.com/jwks.json")
        #expect(metadata.jwks == nil)
        #expect(metadata.grantTypes == [.authorizationCode])
        #expect(metadata.responseTypes == ["code"])
        #expect(metadata.scope == "openid accounts")
        #expect(metadata.dpopBoundAccessTokens)
        #expect(!metadata.tlsClientCertificateBoundAccessTokens)
        #expect(!metadata.requirePushedAuthorizationRequests)
        #expect(metadata.tlsClientAuthAttribute == nil)
    }

    @Test func keepsTheOptionalMembers() throws {
        let metadata = try MetadataDocument.parse([
            "client_id": "client-42", "contacts": ["ops@client.example.com"],
            "client_uri": "https://client.example.com", "logo_uri": "https://client.example.com/logo.png",
            "require_pushed_authorization_requests": true, "tls_client_certificate_bound_access_tokens": true,
            "grant_types": ["authorization_code", "refresh_token", "authorization_code"],
            "id_token_signed_response_alg": "ES256", "request_object_signing_alg": "EdDSA",
            "authorization_signed_response_alg": "PS256", "require_signed_request_object": true,
            "use_mtls_endpoint_aliases": true,
        ])
        #expect(metadata.clientID == "client-42")
        #expect(metadata.contacts == ["ops@client.example.com"])
        #expect(metadata.clientURI == "https://client.example.com")
        #expect(metadata.logoURI == "https://client.example.com/logo.png")
        #expect(metadata.requirePushedAuthorizationRequests)
        #expect(metadata.tlsClientCertificateBoundAccessTokens)
        #expect(metadata.grantTypes == [.authorizationCode, .refreshToken])
        #expect(metadata.idTokenSignedResponseAlg == "ES256")
        #expect(metadata.requestObjectSigningAlg == "EdDSA")
        #expect(metadata.authorizationSignedResponseAlg == "PS256")
        #expect(metadata.requireSignedRequestObject)
        #expect(metadata.useMTLSEndpointAliases)
    }

    @Test func refusesDocumentsThatAreNotAJSONObjectOrTooLarge() {
        for text in ["", "not json", "[]", "\"x\"", "null"] {
            #expect(throws: OAuthError.self) { try ClientMetadata.parse(Array(text.utf8)) }
        }
        let huge = Array(repeating: UInt8(ascii: " "), count: ClientMetadataChecks.documentByteCountMax + 1)
        #expect(MetadataDocumentErrors.code { _ = try ClientMetadata.parse(huge) } == .invalidClientMetadata)
    }

    @Test func wrongMemberTypesNameTheMember() {
        let flag = MetadataDocument.error(["dpop_bound_access_tokens": "true"])
        #expect(flag?.code == .invalidClientMetadata)
        #expect(flag?.description == "dpop_bound_access_tokens must be true or false, not a string")
        let uris = MetadataDocument.error(["redirect_uris": "https://client.example.com/cb"])
        #expect(uris?.code == .invalidRedirectURI)
        #expect(uris?.description.contains("redirect_uris must be an array of strings") == true)
        #expect(MetadataDocument.error(["grant_types": [1]])?.description.contains("grant_types") == true)
    }

    @Test func unknownMembersAreIgnoredAndDroppedFromTheNormalizedOutput() throws {
        let metadata = try MetadataDocument.parse(["software_version": "1.2", "x_custom": ["a": 1]])
        let text = String(decoding: metadata.normalizedJSON(), as: UTF8.self)
        #expect(!text.contains("software_version"))
        #expect(!text.contains("x_custom"))
    }

    @Test func normalizedJSONIsDeterministicSortedAndRoundTrips() throws {
        let jwks: [String: Any] = [
            "keys": [MetadataDocument.ecP256.merging(["kid": "k1", "use": "sig"]) { a, _ in a }]
        ]
        let metadata = try MetadataDocument.parse(["jwks": jwks, "client_id": "c1"], removing: ["jwks_uri"])
        let bytes = metadata.normalizedJSON()
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(
            text.hasPrefix(
                "{\"access_token_format\":\"opaque\",\"client_id\":\"c1\",\"client_name\":\"Example Client\",\"dpop_bound_access_tokens\":true,"
            ))
        #expect(text.contains("\"jwks\":{\"keys\":[{\"crv\":\"P-256\",\"kid\":\"k1\",\"kty\":\"EC\",\"use\":\"sig\""))
        #expect(text.contains("\"redirect_uris\":[\"https://client.example.com/cb\"]"))
        #expect(metadata.jwks?.hasPrefix("{\"keys\":[{\"crv\":\"P-256\",\"kid\":\"k1\"") == true)
        let again = try ClientMetadata.parse(bytes)
        #expect(again == metadata)
        #expect(again.normalizedJSON() == bytes)
        let decoded = try JSONDecoder().decode(ClientMetadata.self, from: Data(bytes))
        #expect(decoded == metadata)
        let keys = try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any]
        #expect(
            keys.map { Array($0.keys).sorted() } == [
                "access_token_format", "client_id", "client_name", "dpop_bound_access_tokens", "grant_types", "jwks",
                "protected_resource", "redirect_uris",
                "require_pushed_authorization_requests", "require_signed_request_object", "response_types", "scope",
                "tls_client_certificate_bound_access_tokens", "token_endpoint_auth_method",
                "token_endpoint_auth_signing_alg", "use_mtls_endpoint_aliases",
            ])
    }

    @Test("access_token_format is opaque (default) or jwt; protected_resource is a boolean")
    func strongroomExtensions() throws {
        #expect(try MetadataDocument.parse().accessTokenFormat == "opaque")
        #expect(
            try MetadataDocument.parse(["access_token_format": "jwt", "protected_resource": true]).accessTokenFormat
                == "jwt")
        #expect(try MetadataDocument.parse(["protected_resource": true]).protectedResource)
        #expect(MetadataDocument.error(["access_token_format": "jwe"])?.code == .invalidClientMetadata)
        #expect(MetadataDocument.error(["protected_resource": "yes"])?.code == .invalidClientMetadata)
    }

    @Test func decodingRunsTheSameChecks() {
        let invalid = Data(#"{"token_endpoint_auth_method":"none","redirect_uris":["https://a.example/cb"]}"#.utf8)
        #expect(throws: OAuthError.self) { try JSONDecoder().decode(ClientMetadata.self, from: invalid) }
    }

    @Test func aMintedClientIDIsValidatedAndSet() throws {
        let metadata = try MetadataDocument.parse()
        #expect(try metadata.withClientID("minted-123").clientID == "minted-123")
        #expect(throws: OAuthError.self) { try metadata.withClientID("has space") }
        #expect(throws: OAuthError.self) { try metadata.withClientID("") }
        #expect(MetadataDocument.error(["client_id": "bad id"])?.code == .invalidClientMetadata)
    }

    @Test(arguments: ["openid  accounts", " openid", "openid ", "open\"id", "openid\\x", "", "caf\u{E9}"])
    func scopeMustBeRFC6749ScopeTokens(_ scope: String) {
        let error = MetadataDocument.error(["scope": scope])
        #expect(error?.code == .invalidClientMetadata)
        #expect(error?.description.contains("scope") == true)
    }

    @Test func contactsAndDisplayURLsAreChecked() {
        #expect(MetadataDocument.error(["contacts": ["not an address"]])?.description.contains("contacts") == true)
        #expect(
            MetadataDocument.error(["client_uri": "http://client.example.com"])?.description
                == "client_uri \"http://client.example.com\" must use https")
        #expect(MetadataDocument.error(["logo_uri": "logo.png"])?.code == .invalidClientMetadata)
        #expect(MetadataDocument.error(["client_name": "bad\u{7}name"])?.code == .invalidClientMetadata)
    }
}

/// Captures the OAuthError code of a throwing call.
enum MetadataDocumentErrors {
    static func code(_ body: () throws -> Void) -> OAuthError.Code? {
        do {
            try body()
            return nil
        } catch let error as OAuthError {
            return error.code
        } catch {
            return nil
        }
    }
}

@Suite struct ClientMetadataAuthMethodTests {
    /// SP-09, DCR-02: public clients (`none`) are refused.
    @Test func sp09RefusesPublicClients() {
        let error = MetadataDocument.error(["token_endpoint_auth_method": "none"])
        #expect(error?.code == .invalidClientMetadata)
        #expect(error?.status == 400)
        #expect(error?.description.contains("public client") == true)
        #expect(error?.description.contains("private_key_jwt, tls_client_auth or self_signed_tls_client_auth") == true)
    }

    /// SP-11, DCR-02: shared-secret methods are refused, and so is an absent method (RFC 7591
    /// would default it to client_secret_basic).
    @Test(arguments: ["client_secret_basic", "client_secret_post", "client_secret_jwt"])
    func sp11RefusesClientSecretMethods(_ method: String) {
        let error = MetadataDocument.error(["token_endpoint_auth_method": method])
        #expect(error?.code == .invalidClientMetadata)
        #expect(error?.description.contains("shared secret") == true)
    }

    @Test func sp11RefusesAnAbsentOrUnknownMethod() {
        let absent = MetadataDocument.error(removing: ["token_endpoint_auth_method"])
        #expect(absent?.description.contains("client_secret_basic") == true)
        #expect(MetadataDocument.error(["token_endpoint_auth_method": "magic"])?.code == .invalidClientMetadata)
    }

    /// SP-11: the three FAPI methods are accepted.
    @Test func sp11AcceptsTheThreeFAPIMethods() throws {
        #expect(try MetadataDocument.parse().tokenEndpointAuthMethod == .privateKeyJWT)
        let mtls = try MetadataDocument.parse([
            "token_endpoint_auth_method": "tls_client_auth", "tls_client_auth_san_dns": "client.example.com",
        ])
        #expect(mtls.tokenEndpointAuthMethod == .tlsClientAuth)
        let selfSigned = try MetadataDocument.parse(["token_endpoint_auth_method": "self_signed_tls_client_auth"])
        #expect(selfSigned.tokenEndpointAuthMethod == .selfSignedTLSClientAuth)
    }

    /// DCR-02, SP-37: signing algorithms are PS256, ES256 or EdDSA; RS256 and none are refused.
    @Test(arguments: ["RS256", "none", "HS256", "ES384", "ps256"])
    func dcr02RefusesNonFAPISigningAlgorithms(_ alg: String) {
        for member in [
            "token_endpoint_auth_signing_alg", "id_token_signed_response_alg", "request_object_signing_alg",
            "authorization_signed_response_alg",
        ] {
            let error = MetadataDocument.error([member: alg])
            #expect(error?.code == .invalidClientMetadata)
            #expect(
                error?.description == "\(member) \"\(alg)\" is not allowed; FAPI 2.0 allows only PS256, ES256 or EdDSA")
        }
    }

    @Test(arguments: ["PS256", "ES256", "EdDSA"])
    func dcr02AcceptsFAPISigningAlgorithms(_ alg: String) throws {
        #expect(try MetadataDocument.parse(["token_endpoint_auth_signing_alg": alg]).tokenEndpointAuthSigningAlg == alg)
    }

    @Test func encryptionMembersAreRefusedNotSilentlyIgnored() {
        let error = MetadataDocument.error(["id_token_encrypted_response_alg": "RSA-OAEP-256"])
        #expect(error?.description.contains("id_token_encrypted_response_alg") == true)
    }

    /// SP-11, MTLS-02: private_key_jwt and self_signed_tls_client_auth need keys.
    @Test func sp11KeyBasedMethodsNeedJWKSOrJWKSURI() {
        let pkj = MetadataDocument.error(removing: ["jwks_uri"])
        #expect(
            pkj?.description
                == "token_endpoint_auth_method private_key_jwt needs jwks or jwks_uri: "
                + "the OP verifies the client's assertion JWTs with these keys"
        )
        let selfSigned = MetadataDocument.error(
            ["token_endpoint_auth_method": "self_signed_tls_client_auth"], removing: ["jwks_uri"])
        #expect(selfSigned?.code == .invalidClientMetadata)
        #expect(selfSigned?.description.contains("RFC 8705 §2.2") == true)
    }

    /// MTLS-02: an inline JWKS of a self-signed client must carry the certificate as x5c.
    @Test func mtls02SelfSignedInlineJWKSNeedsX5C() throws {
        let withoutX5C = MetadataDocument.error(
            ["token_endpoint_auth_method": "self_signed_tls_client_auth", "jwks": ["keys": [MetadataDocument.ecP256]]],
            removing: ["jwks_uri"])
        #expect(withoutX5C?.description.contains("x5c") == true)
        let leaf = try TestPKI.makeLeaf(issuedBy: nil)
        var key = MetadataDocument.ecP256
        key["x5c"] = [Data(leaf.der).base64EncodedString()]
        let metadata = try MetadataDocument.parse(
            ["token_endpoint_auth_method": "self_signed_tls_client_auth", "jwks": ["keys": [key]]],
            removing: ["jwks_uri"])
        #expect(metadata.jwks?.contains(Data(leaf.der).base64EncodedString()) == true)
    }
}

@Suite struct ClientMetadataJWKSTests {
    static func jwksError(_ jwks: Any) -> OAuthError? {
        MetadataDocument.error(["jwks": jwks], removing: ["jwks_uri"])
    }

    /// DCR-06: jwks and jwks_uri together are refused.
    @Test func dcr06RefusesJWKSAndJWKSURITogether() {
        let error = MetadataDocument.error(["jwks": ["keys": [MetadataDocument.ecP256]]])
        #expect(error?.code == .invalidClientMetadata)
        #expect(error?.description.contains("jwks and jwks_uri are both present") == true)
    }

    /// DCR-06: either one alone is accepted.
    @Test func dcr06AcceptsEitherAlone() throws {
        #expect(try MetadataDocument.parse().jwksURI != nil)
        let inline = try MetadataDocument.parse(
            ["jwks": ["keys": [MetadataDocument.ecP256, MetadataDocument.rsa2048]]], removing: ["jwks_uri"])
        #expect(inline.jwks != nil && inline.jwksURI == nil)
    }

    @Test func jwksURIMustBeHTTPS() {
        #expect(
            MetadataDocument.error(["jwks_uri": "http://client.example.com/jwks"])?.description
                == "jwks_uri \"http://client.example.com/jwks\" must use https")
        #expect(
            MetadataDocument.error(["jwks_uri": "https://client.example.com/jwks#frag"])?.code == .invalidClientMetadata
        )
    }

    @Test func jwksMustBeAnObjectWithNonEmptyKeysOfObjectsWithKty() {
        #expect(Self.jwksError("{\"keys\":[]}")?.description.contains("jwks must be a JSON object") == true)
        #expect(Self.jwksError(["keys": []])?.description.contains("non-empty \"keys\" array") == true)
        #expect(Self.jwksError(["keys": "x"])?.description.contains("non-empty \"keys\" array") == true)
        #expect(Self.jwksError(["keys": ["x"]])?.description == "jwks.keys[0] must be a JSON object, not a string")
        #expect(
            Self.jwksError(["keys": [["crv": "P-256"]]])?.description.contains("jwks.keys[0] has no \"kty\"") == true)
    }

    /// A private member in a registered key is refused (the key is compromised).
    @Test(arguments: ["d", "p", "q", "dp", "dq", "qi", "k"])
    func refusesPrivateKeyMembers(_ member: String) {
        var key = MetadataDocument.rsa2048
        key[member] = "AQAB"
        let error = Self.jwksError(["keys": [MetadataDocument.ecP256, key]])
        #expect(error?.code == .invalidClientMetadata)
        #expect(error?.description.contains("jwks.keys[1] contains the private member \"\(member)\"") == true)
    }

    /// SP-38: RSA keys below 2048 bits and EC keys on other curves are refused.
    @Test func sp38RefusesWeakKeys() {
        var rsa1024 = MetadataDocument.rsa2048
        rsa1024["n"] = Base64URL.encode([0xC1] + Array(repeating: 0x5A, count: 127))
        #expect(
            Self.jwksError(["keys": [rsa1024]])?.description
                == "jwks.keys[0] is a 1024-bit RSA key; FAPI 2.0 requires at least 2048 bits")
        var rsa2047 = MetadataDocument.rsa2048
        rsa2047["n"] = Base64URL.encode([0x41] + Array(repeating: 0x5A, count: 255))
        #expect(Self.jwksError(["keys": [rsa2047]])?.description.contains("2047-bit") == true)
        var secp256k1 = MetadataDocument.ecP256
        secp256k1["crv"] = "secp256k1"
        #expect(Self.jwksError(["keys": [secp256k1]])?.description.contains("P-256, P-384 or P-521") == true)
    }

    /// SP-38: 2048-bit RSA and P-256 keys are accepted.
    @Test func sp38AcceptsFAPIStrengthKeys() throws {
        let metadata = try MetadataDocument.parse(
            ["jwks": ["keys": [MetadataDocument.rsa2048, MetadataDocument.ecP256]]], removing: ["jwks_uri"])
        #expect(metadata.jwks?.contains("\"kty\":\"RSA\"") == true)
    }

    @Test func x5cMustBeStandardBase64Certificates() {
        var key = MetadataDocument.ecP256
        key["x5c"] = ["not-base64!"]
        #expect(Self.jwksError(["keys": [key]])?.description.contains("x5c[0] is not standard base64") == true)
        key["x5c"] = [Data([1, 2, 3]).base64EncodedString()]
        #expect(Self.jwksError(["keys": [key]])?.description.contains("not a DER X.509 certificate") == true)
        key["x5c"] = []
        #expect(Self.jwksError(["keys": [key]])?.code == .invalidClientMetadata)
    }
}

@Suite struct ClientMetadataGrantAndResponseTypeTests {
    /// SP-08, DCR-02: password and implicit grants are refused by name.
    @Test func sp08RefusesPasswordAndImplicitGrants() {
        #expect(
            MetadataDocument.error(["grant_types": ["authorization_code", "password"]])?.description.contains(
                "resource owner password grant") == true)
        #expect(MetadataDocument.error(["grant_types": ["implicit"]])?.description.contains("implicit grant") == true)
        #expect(
            MetadataDocument.error(["grant_types": ["urn:ietf:params:oauth:grant-type:device_code"]])?.code
                == .invalidClientMetadata)
        #expect(MetadataDocument.error(["grant_types": []])?.code == .invalidClientMetadata)
        #expect(MetadataDocument.error(["grant_types": ["refresh_token"]])?.code == .invalidClientMetadata)
    }

    @Test func clientCredentialsOnlyClientsNeedNoRedirectURIs() throws {
        let metadata = try MetadataDocument.parse(["grant_types": ["client_credentials"]], removing: ["redirect_uris"])
        #expect(metadata.grantTypes == [.clientCredentials])
        #expect(metadata.responseTypes == [])
        #expect(metadata.redirectURIs == [])
    }

    /// DCR-02, SP-20: only the code response type.
    @Test(arguments: [["code id_token"], ["token"], ["code", "token"], ["id_token"]])
    func dcr02RefusesNonCodeResponseTypes(_ types: [String]) {
        let error = MetadataDocument.error(["response_types": types])
        #expect(error?.code == .invalidClientMetadata)
        #expect(error?.description.contains("allows only the \"code\" response type") == true)
    }

    @Test func responseTypesMustAgreeWithGrantTypes() throws {
        #expect(try MetadataDocument.parse(["response_types": ["code"]]).responseTypes == ["code"])
        #expect(MetadataDocument.error(["response_types": []])?.description.contains("lacks \"code\"") == true)
        #expect(
            MetadataDocument.error(
                ["grant_types": ["client_credentials"], "response_types": ["code"]], removing: ["redirect_uris"])?
                .description.contains("lacks authorization_code") == true)
    }
}

@Suite struct ClientMetadataRedirectURITests {
    static func redirectError(_ uris: [String]) -> OAuthError? {
        MetadataDocument.error(["redirect_uris": uris])
    }

    /// DCR-03, SP-27: https URIs, and http only to loopback IP literals (RFC 8252 §7.3).
    @Test(arguments: [
        "https://client.example.com/cb", "https://client.example.com:8443/cb?x=1", "HTTPS://client.example.com/cb",
        "http://127.0.0.1:51234/cb", "http://[::1]:8080/callback", "http://127.0.0.1/cb",
        "https://[2001:db8::1]/cb", "https://client.example.com/c%20b",
    ])
    func dcr03AcceptsHTTPSAndLoopbackHTTP(_ uri: String) throws {
        #expect(try MetadataDocument.parse(["redirect_uris": [uri]]).redirectURIs == [uri])
    }

    /// SP-27: http to localhost or any other host is refused.
    @Test func sp27RefusesHTTPExceptLoopbackIPLiterals() {
        let localhost = Self.redirectError(["http://localhost:8080/cb"])
        #expect(localhost?.code == .invalidRedirectURI)
        #expect(localhost?.description.contains("instead of localhost") == true)
        let remote = Self.redirectError(["https://client.example.com/cb", "http://client.example.com/cb"])
        #expect(remote?.code == .invalidRedirectURI)
        #expect(
            remote?.description
                == "redirect URI \"http://client.example.com/cb\" uses http; use https (http is only allowed "
                + "to the loopback addresses 127.0.0.1 and [::1], RFC 8252 §7.3)"
        )
        #expect(Self.redirectError(["http://127.0.0.2/cb"])?.code == .invalidRedirectURI)
        #expect(Self.redirectError(["http://[::2]/cb"])?.code == .invalidRedirectURI)
    }

    /// DCR-03: fragments, wildcards, relative URIs, user info and other schemes are refused.
    @Test(arguments: [
        ("https://client.example.com/cb#frag", "fragment"), ("https://client.example.com/cb#", "fragment"),
        ("https://*.example.com/cb", "wildcard"), ("https://client.example.com/*", "wildcard"),
        ("/cb", "not an absolute URI"), ("client.example.com/cb", "not an absolute URI"),
        ("https:/client.example.com/cb", "not an absolute URI"), ("https://", "not an absolute URI"),
        ("https://client.example.com/c b", "not an absolute URI"),
        ("https://client.example.com/%zz", "not an absolute URI"),
        ("https://client.example.com:99999/cb", "not an absolute URI"),
        ("https://user:pw@client.example.com/cb", "user information"),
        ("com.example.app:/cb", "not an absolute URI"), ("ftp://client.example.com/cb", "scheme \"ftp\""),
        ("javascript://client.example.com/%0aalert(1)", "scheme \"javascript\""),
    ])
    func dcr03RefusesMalformedRedirectURIs(uri: String, reason: String) {
        let error = Self.redirectError([uri])
        #expect(error?.code == .invalidRedirectURI)
        #expect(error?.status == 400)
        #expect(error?.description.contains(reason) == true, "\(error?.description ?? "no error")")
    }

    /// DCR-03: the authorization_code grant needs at least one redirect URI.
    @Test func dcr03RequiresRedirectURIsForTheCodeGrant() {
        #expect(MetadataDocument.error(removing: ["redirect_uris"])?.code == .invalidRedirectURI)
        #expect(Self.redirectError([])?.description.contains("redirect_uris is missing or empty") == true)
    }

    @Test func duplicateRedirectURIsAreDropped() throws {
        let uri = "https://client.example.com/cb"
        #expect(try MetadataDocument.parse(["redirect_uris": [uri, uri]]).redirectURIs == [uri])
    }
}

@Suite struct ClientMetadataTLSClientAuthTests {
    static var method: [String: Any] { ["token_endpoint_auth_method": "tls_client_auth"] }

    /// MTLS-07: exactly one tls_client_auth_* attribute, of each kind.
    @Test(arguments: [
        ("tls_client_auth_subject_dn", "CN=client-1,OU=FAPI,O=Example\\, Inc.,C=GB"),
        ("tls_client_auth_san_dns", "client.example.com"),
        ("tls_client_auth_san_uri", "spiffe://example.com/client-1"),
        ("tls_client_auth_san_ip", "2001:db8::1"),
        ("tls_client_auth_san_email", "ops@client.example.com"),
    ])
    func mtls07AcceptsExactlyOneAttribute(member: String, value: String) throws {
        let metadata = try MetadataDocument.parse(Self.method.merging([member: value]) { a, _ in a })
        #expect(metadata.tlsClientAuthAttribute?.memberName == member)
        #expect(metadata.tlsClientAuthAttribute?.value == value)
        let text = String(decoding: metadata.normalizedJSON(), as: UTF8.self)
        #expect(text.contains("\"\(member)\":"))
        #expect(try ClientMetadata.parse(metadata.normalizedJSON()) == metadata)
    }

    /// MTLS-07: none, or more than one, is refused.
    @Test func mtls07RefusesZeroOrSeveralAttributes() {
        let none = MetadataDocument.error(Self.method)
        #expect(none?.code == .invalidClientMetadata)
        #expect(none?.description.contains("needs exactly one of tls_client_auth_subject_dn") == true)
        let two = MetadataDocument.error(
            Self.method.merging(["tls_client_auth_san_dns": "a.example.com", "tls_client_auth_san_ip": "192.0.2.1"]) {
                a, _ in a
            })
        #expect(two?.description.contains("tls_client_auth_san_dns, tls_client_auth_san_ip are all present") == true)
    }

    /// MTLS-07: attributes with another auth method are refused (they would never be checked).
    @Test func mtls07RefusesAttributesForOtherMethods() {
        let error = MetadataDocument.error(["tls_client_auth_san_dns": "client.example.com"])
        #expect(error?.description.contains("apply only to token_endpoint_auth_method tls_client_auth") == true)
    }

    /// MTLS-07: malformed attribute values are refused at registration.
    @Test(arguments: [
        ("tls_client_auth_subject_dn", "CN"), ("tls_client_auth_subject_dn", "CN=a;O=b"),
        ("tls_client_auth_subject_dn", "FOO=bar"), ("tls_client_auth_subject_dn", ""),
        ("tls_client_auth_san_dns", "client example.com"), ("tls_client_auth_san_uri", "no scheme"),
        ("tls_client_auth_san_ip", "300.1.1.1"), ("tls_client_auth_san_ip", "01.2.3.4"),
        ("tls_client_auth_san_ip", "2001:db8:::1"), ("tls_client_auth_san_email", "not-an-address"),
    ])
    func mtls07RefusesMalformedAttributes(member: String, value: String) {
        let error = MetadataDocument.error(Self.method.merging([member: value]) { a, _ in a })
        #expect(error?.code == .invalidClientMetadata)
        #expect(error?.description.contains(member) == true)
    }

    @Test func mtls07CertificateBoundTokensFlagIsKept() throws {
        let metadata = try MetadataDocument.parse(
            Self.method.merging([
                "tls_client_auth_san_dns": "client.example.com", "tls_client_certificate_bound_access_tokens": true,
            ]) { a, _ in a })
        #expect(metadata.tlsClientCertificateBoundAccessTokens)
    }
}

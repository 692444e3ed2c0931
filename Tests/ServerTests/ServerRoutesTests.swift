import Foundation
import Hummingbird
import HummingbirdTesting
import JOSE
import Server
import Testing

@Suite("Server: built-in routes over real HTTPS")
struct ServerRoutesTests {
    @Test("GET /health/live → 200 {\"status\":\"live\"}")
    func liveness() async throws {
        try await withRunningOPServer { server in
            try await server.withClient { client in
                let response = try await client.get("/health/live")
                #expect(response.status == .ok)
                #expect(response.text == #"{"status":"live"}"#)
                #expect(response.headers[.contentType] == "application/json")
            }
        }
    }

    @Test("GET /health/ready follows the readiness closure: 503 starting, then 200 ready")
    func readiness() async throws {
        let flag = ReadinessFlag()
        try await withRunningOPServer(isReady: { flag.isReady }) { server in
            try await server.withClient { client in
                let before = try await client.get("/health/ready")
                #expect(before.status == .serviceUnavailable)
                #expect(before.text == #"{"status":"starting"}"#)
                flag.set(true)
                let after = try await client.get("/health/ready")
                #expect(after.status == .ok)
                #expect(after.text == #"{"status":"ready"}"#)
            }
        }
    }

    @Test("discovery document at both well-known paths, issuer exact, FAPI skeleton fields")
    func discovery() async throws {
        try await withRunningOPServer(issuer: "https://localhost:8443/") { server in
            try await server.withClient { client in
                for path in ["/.well-known/openid-configuration", "/.well-known/oauth-authorization-server"] {
                    let response = try await client.get(path)
                    #expect(response.status == .ok, "\(path)")
                    #expect(response.headers[.contentType] == "application/json")
                    #expect(response.headers[.cacheControl] == "public, max-age=300")
                    let json = try response.jsonObject()
                    let issuer = "https://localhost:8443"
                    #expect(json["issuer"] as? String == issuer)
                    #expect(json["jwks_uri"] as? String == issuer + "/jwks")
                    #expect(json["authorization_endpoint"] as? String == issuer + "/authorize")
                    #expect(json["token_endpoint"] as? String == issuer + "/token")
                    #expect(json["pushed_authorization_request_endpoint"] as? String == issuer + "/par")
                    #expect(json["response_types_supported"] as? [String] == ["code"])
                    #expect(json["response_modes_supported"] as? [String] == ["query"])
                    #expect(
                        json["grant_types_supported"] as? [String] == [
                            "authorization_code", "refresh_token", "client_credentials",
                        ])
                    #expect(json["code_challenge_methods_supported"] as? [String] == ["S256"])
                    #expect(
                        json["token_endpoint_auth_methods_supported"] as? [String]
                            == ["private_key_jwt", "tls_client_auth", "self_signed_tls_client_auth"])
                    #expect(
                        json["token_endpoint_auth_signing_alg_values_supported"] as? [String] == ["PS256", "ES256"])
                    #expect(json["id_token_signing_alg_values_supported"] as? [String] == ["PS256", "ES256"])
                    #expect(json["subject_types_supported"] as? [String] == ["public"])
                    #expect(json["scopes_supported"] as? [String] == ["openid"])
                    #expect(json["require_pushed_authorization_requests"] as? Bool == true)
                    #expect(json["authorization_response_iss_parameter_supported"] as? Bool == true)
                    #expect(json["tls_client_certificate_bound_access_tokens"] as? Bool == true)
                    #expect(!response.text.contains(#"\/"#), "URLs must not have escaped slashes")
                }
            }
        }
    }

    @Test("issuer with a path: endpoints and well-known locations live under it")
    func issuerWithPath() async throws {
        try await withRunningOPServer(issuer: "https://localhost/tenant-a") { server in
            try await server.withClient { client in
                let oidc = try await client.get("/tenant-a/.well-known/openid-configuration")
                #expect(oidc.status == .ok)
                #expect(try oidc.jsonObject()["jwks_uri"] as? String == "https://localhost/tenant-a/jwks")
                let rfc8414 = try await client.get("/.well-known/oauth-authorization-server/tenant-a")
                #expect(rfc8414.status == .ok)
                #expect(try rfc8414.jsonObject()["issuer"] as? String == "https://localhost/tenant-a")
                #expect(try await client.get("/tenant-a/jwks").status == .ok)
                #expect(try await client.get("/.well-known/openid-configuration").status == .notFound)
            }
        }
    }

    @Test("GET /jwks: application/jwk-set+json with the provider's keys and their kid")
    func jwks() async throws {
        try await withRunningOPServer { server in
            try await server.withClient { client in
                let response = try await client.get("/jwks")
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "application/jwk-set+json")
                struct KeySet: Decodable { var keys: [PublicJWK] }
                let set = try JSONDecoder().decode(KeySet.self, from: Data(response.text.utf8))
                #expect(set.keys == [server.signingKey.publicJWK])
                #expect(set.keys.first?.kid == server.signingKey.kid)
            }
        }
    }

    @Test("a failing key provider gives 503 JSON temporarily_unavailable")
    func jwksProviderFailure() async throws {
        struct KeyStoreDown: Error {}
        try await withRunningOPServer(publishedKeys: { throw KeyStoreDown() }) { server in
            try await server.withClient { client in
                let response = try await client.get("/jwks")
                #expect(response.status == .serviceUnavailable)
                #expect(response.headers[.contentType] == "application/json")
                #expect(try response.jsonObject()["error"] as? String == "temporarily_unavailable")
                #expect(!response.text.contains("KeyStoreDown"))
            }
        }
    }

    @Test("an unexpected error in a route → 500 JSON server_error without details")
    func unhandledError() async throws {
        struct SecretInternalFailure: Error {}
        try await withRunningOPServer(extraRoutes: { router in
            router.get("/test/throws") { _, _ -> String in throw SecretInternalFailure() }
        }) { server in
            try await server.withClient { client in
                let response = try await client.get("/test/throws")
                #expect(response.status == .internalServerError)
                #expect(response.headers[.contentType] == "application/json")
                #expect(response.headers[.cacheControl] == "no-store")
                #expect(try response.jsonObject()["error"] as? String == "server_error")
                #expect(!response.text.contains("SecretInternalFailure"))
            }
        }
    }

    @Test("every response carries HSTS and nosniff, errors included")
    func securityHeaders() async throws {
        try await withRunningOPServer { server in
            try await server.withClient { client in
                for path in ["/health/live", "/jwks", "/.well-known/openid-configuration", "/no/such/route"] {
                    let response = try await client.get(path)
                    #expect(
                        response.headers[.strictTransportSecurity] == "max-age=31536000; includeSubDomains", "\(path)")
                    #expect(response.headers[.xContentTypeOptions] == "nosniff", "\(path)")
                }
            }
        }
    }

    @Test("unknown route → 404 JSON error")
    func notFound() async throws {
        try await withRunningOPServer { server in
            try await server.withClient { client in
                let response = try await client.get("/definitely/not/here")
                #expect(response.status == .notFound)
                #expect(response.headers[.contentType] == "application/json")
                let json = try response.jsonObject()
                #expect(json["error"] as? String == "not_found")
                #expect((json["error_description"] as? String)?.contains("/definitely/not/here") == true)
                let wrongMethod = try await client.post("/health/live", body: ByteBuffer())
                #expect(wrongMethod.status == .notFound)
                #expect(try wrongMethod.jsonObject()["error"] as? String == "not_found")
            }
        }
    }
}

@Suite("Server: request decoding errors are 400 invalid_request")
struct ServerDecodingErrorTests {
    struct Form: Decodable { var client_id: String }

    static let formRoute: @Sendable (Router<OPRequestContext>) -> Void = { router in
        router.post("/test/form") { request, context -> String in
            let form = try await URLEncodedFormDecoder().decode(Form.self, from: request, context: context)
            return form.client_id
        }
        router.post("/test/json") { request, context -> String in
            try await request.decode(as: Form.self, context: context).client_id
        }
    }

    @Test("duplicate form parameter and malformed JSON map to 400 invalid_request")
    func decodingErrors() async throws {
        try await withRunningOPServer(extraRoutes: Self.formRoute) { server in
            try await server.withClient { client in
                let formHeaders: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
                let ok = try await client.post(
                    "/test/form", headers: formHeaders, body: ByteBuffer(string: "client_id=c1"))
                #expect(ok.status == .ok)
                #expect(ok.text == "c1")
                let duplicate = try await client.post(
                    "/test/form", headers: formHeaders, body: ByteBuffer(string: "client_id=c1&client_id=c2"))
                #expect(duplicate.status == .badRequest)
                #expect(try duplicate.jsonObject()["error"] as? String == "invalid_request")
                let json = try await client.post(
                    "/test/json", headers: [.contentType: "application/json"],
                    body: ByteBuffer(string: "{\"client_id\":"))
                #expect(json.status == .badRequest)
                #expect(try json.jsonObject()["error"] as? String == "invalid_request")
            }
        }
    }
}

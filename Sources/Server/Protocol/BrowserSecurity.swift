import Crypto
import Foundation
import Hummingbird
import JOSE
import OAuth

/// Cookies and CSRF tokens of the browser-facing endpoints, authenticated with an HMAC key the OP
/// keeps in its data directory (`keys/browser.key`, owner-only).
///
/// * `__Host-sr_session`: the SSO session (`selector.secret`; the Ledger keeps the secret's hash).
/// * `__Host-sr_csrf`: a random per-browser value; each form's CSRF token is
///   HMAC(key, "csrf" | that value | the pushed request) — a forged form lacks the cookie's value.
/// * `__Host-sr_login`: after a correct password when a one-time password is still due: HMAC-signed
///   (subject, request, expiry), valid for ``loginStepSeconds``.
///
/// All are `Secure; HttpOnly; SameSite=Lax; Path=/` (`__Host-` prefix: no Domain, TLS only).
struct BrowserSecurity: Sendable {
    static let sessionCookie = "__Host-sr_session"
    static let csrfCookie = "__Host-sr_csrf"
    static let loginCookie = "__Host-sr_login"
    /// How long the one-time-password step may follow the password step.
    static let loginStepSeconds: Int64 = 300

    let key: SymmetricKey

    /// Loads the key, creating it (owner-only permissions) on first start.
    static func loadOrCreate(path: String) throws -> BrowserSecurity {
        if let data = FileManager.default.contents(atPath: path), data.count == 32 {
            return BrowserSecurity(key: SymmetricKey(data: data))
        }
        let key = SymmetricKey(size: .bits256)
        let bytes = key.withUnsafeBytes { Data($0) }
        guard FileManager.default.createFile(atPath: path, contents: bytes, attributes: [.posixPermissions: 0o600])
        else {
            throw OAuthServerSetupError("cannot write \(path)")
        }
        return BrowserSecurity(key: key)
    }

    func mac(_ text: String) -> String {
        Base64URL.encode(Array(HMAC<SHA256>.authenticationCode(for: Array(text.utf8), using: key)))
    }

    func csrfToken(browserValue: String, requestID: String) -> String {
        mac("csrf|\(browserValue)|\(requestID)")
    }

    func checkCSRF(_ token: String?, browserValue: String?, requestID: String) -> Bool {
        guard let token, let browserValue else { return false }
        let expected = csrfToken(browserValue: browserValue, requestID: requestID)
        return ConstantTime.equal(expected, token)
    }

    /// `subject.requestID.expiry.mac`
    func loginState(subject: String, requestID: String, expiresAt: Int64) -> String {
        let payload = "\(Base64URL.encode(Array(subject.utf8))).\(requestID).\(expiresAt)"
        return payload + "." + mac("login|" + payload)
    }

    /// The subject whose password was verified for `requestID`, if the state is authentic and fresh.
    func verifyLoginState(_ value: String?, requestID: String, nowSeconds: Int64) -> String? {
        guard let value else { return nil }
        let parts = value.split(separator: ".").map(String.init)
        guard parts.count == 4, parts[1] == requestID, let expiry = Int64(parts[2]), expiry > nowSeconds,
            ConstantTime.equal(mac("login|" + parts[0...2].joined(separator: ".")), parts[3]),
            let subject = Base64URL.decode(parts[0]).flatMap({ String(validating: $0, as: UTF8.self) })
        else { return nil }
        return subject
    }

    static func randomValue() -> String {
        Base64URL.encode(SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) })
    }

    static func setCookie(_ name: String, _ value: String, maxAgeSeconds: Int64?) -> String {
        var cookie = "\(name)=\(value); Path=/; Secure; HttpOnly; SameSite=Lax"
        if let maxAgeSeconds { cookie += "; Max-Age=\(maxAgeSeconds)" }
        return cookie
    }

    static func clearCookie(_ name: String) -> String {
        "\(name)=; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=0"
    }

    /// A login finished: sets the SSO session cookie and clears the pending-login cookie.
    static func startSession(_ response: inout Response, sessionToken: String, maxAgeSeconds: Int64) {
        response.headers.append(
            HTTPField(name: .setCookie, value: setCookie(sessionCookie, sessionToken, maxAgeSeconds: maxAgeSeconds)))
        response.headers.append(HTTPField(name: .setCookie, value: clearCookie(loginCookie)))
    }

    /// The value of cookie `name` in the request, if any.
    static func cookie(_ name: String, in request: Request) -> String? {
        // On the UTF-8 view: Foundation's `trimmingCharacters` measured ~1 % of the server per request.
        let wanted = Array(name.utf8)
        for header in request.headers[values: .cookie] {
            let bytes = Array(header.utf8)
            var start = 0
            while start < bytes.count {
                var end = start
                while end < bytes.count && bytes[end] != UInt8(ascii: ";") { end += 1 }
                var from = start
                while from < end && (bytes[from] == UInt8(ascii: " ") || bytes[from] == UInt8(ascii: "\t")) {
                    from += 1
                }
                var to = end
                while to > from && (bytes[to - 1] == UInt8(ascii: " ") || bytes[to - 1] == UInt8(ascii: "\t")) {
                    to -= 1
                }
                if let equals = bytes[from..<to].firstIndex(of: UInt8(ascii: "=")), equals - from == wanted.count, equals + 1 < to,
                    bytes[from..<equals].elementsEqual(wanted)
                {
                    return String(decoding: bytes[(equals + 1)..<to], as: UTF8.self)
                }
                start = end + 1
            }
        }
        return nil
    }
}

/// The OP cannot set up its protocol endpoints (missing or unwritable key material).
struct OAuthServerSetupError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

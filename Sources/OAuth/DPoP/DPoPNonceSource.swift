import Crypto
import JOSE

/// Server-provided DPoP nonces (RFC 9449 §8, DPOP-10), stateless: a nonce names a time window and
/// carries an HMAC over it, so every instance that shares the key accepts it and nothing is stored.
///
/// A nonce is `base64url(window (8 bytes, big-endian) ‖ HMAC-SHA-256(key, "dpop-nonce" ‖ window)[0..<16])`
/// (32 characters, all NQCHAR). The current window's nonce is handed out in `DPoP-Nonce`; a proof may
/// carry the current or the previous window's nonce, so a nonce stays usable for one to two windows
/// and a client that just learnt one is never refused because the window turned. A proof's freshness
/// is then bounded by the nonce (at most two windows) as well as by `iat`.
///
/// ```swift
/// let nonces = DPoPNonceSource(key: SymmetricKey(size: .bits256))
/// let proof = try validator.validate(headerValues: h, method: "POST", targetURI: uri, nonces: nonces, nowSeconds: now)
/// response.headers["DPoP-Nonce"] = nonces.current(nowSeconds: now)   // rotate on every answer
/// ```
public struct DPoPNonceSource: Sendable {
    /// Length of a window, in seconds.
    public let windowSeconds: Int64
    private let key: SymmetricKey

    public init(key: SymmetricKey, windowSeconds: Int64 = 60) {
        precondition(windowSeconds > 0, "a nonce window lasts at least one second")
        self.key = key
        self.windowSeconds = windowSeconds
    }

    /// A source with a fresh random key: nonces of an earlier process are refused (its clients get one
    /// `use_dpop_nonce` and retry).
    public static func withRandomKey(windowSeconds: Int64 = 60) -> DPoPNonceSource {
        DPoPNonceSource(key: SymmetricKey(size: .bits256), windowSeconds: windowSeconds)
    }

    /// The nonce to hand out now.
    public func current(nowSeconds: Int64) -> String {
        nonce(window: window(nowSeconds))
    }

    /// Whether a proof's `nonce` is this source's nonce of the current or the previous window.
    public func accepts(_ nonce: String, nowSeconds: Int64) -> Bool {
        guard nonce.utf8.count == 32, let bytes = Base64URL.decode(nonce), bytes.count == 24 else { return false }
        var stamped: UInt64 = 0
        for byte in bytes[0..<8] { stamped = stamped << 8 | UInt64(byte) }
        let now = UInt64(window(nowSeconds))
        guard stamped == now || (now > 0 && stamped == now - 1) else { return false }
        return ConstantTime.equal(Array(bytes[8..<24]), mac(window: stamped))
    }

    private func window(_ nowSeconds: Int64) -> Int64 {
        nowSeconds >= 0 ? nowSeconds / windowSeconds : 0
    }

    private func nonce(window: Int64) -> String {
        let w = UInt64(window)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(24)
        for shift in stride(from: 56, through: 0, by: -8) {
            bytes.append(UInt8(truncatingIfNeeded: w >> UInt64(shift)))
        }
        bytes += mac(window: w)
        return Base64URL.encode(bytes)
    }

    private func mac(window: UInt64) -> [UInt8] {
        var message = Array("dpop-nonce".utf8)
        for shift in stride(from: 56, through: 0, by: -8) {
            message.append(UInt8(truncatingIfNeeded: window >> UInt64(shift)))
        }
        return Array(HMAC<SHA256>.authenticationCode(for: message, using: key).prefix(16))
    }
}

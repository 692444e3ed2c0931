import Crypto
import Foundation
import JOSE
import NIOCore

/// An ES256 key as a JWK (RFC 7517/7518): the private form the `--client` file holds, and the
/// public members the client registers or a DPoP proof carries.
struct ECPrivateJWK: Codable, Sendable {
    var kty: String
    var crv: String
    var x: String
    var y: String
    var d: String?
    var kid: String?
    var alg: String?

    /// The JWK of `key` (P-256); `d` included.
    init(_ key: P256.Signing.PrivateKey, kid: String?) {
        let point = [UInt8](key.publicKey.rawRepresentation)  // x || y, 32 bytes each
        kty = "EC"
        crv = "P-256"
        x = Base64URL.encode(point[0..<32])
        y = Base64URL.encode(point[32..<64])
        d = Base64URL.encode(key.rawRepresentation)
        self.kid = kid
        alg = "ES256"
    }

    /// The signing key behind `d`, checked against `x` and `y`.
    func privateKey() throws -> P256.Signing.PrivateKey {
        guard kty == "EC", crv == "P-256" else { throw FlowBenchError("private_jwk must be an EC P-256 key") }
        guard let d, let raw = Base64URL.decode(d), raw.count == 32 else {
            throw FlowBenchError("private_jwk has no usable d (32 bytes, base64url)")
        }
        let key = try P256.Signing.PrivateKey(rawRepresentation: raw)
        guard ECPrivateJWK(key, kid: kid).x == x, ECPrivateJWK(key, kid: kid).y == y else {
            throw FlowBenchError("private_jwk: x/y do not belong to d")
        }
        return key
    }

    /// The public members only, as a JSON object (for `jwks` at registration).
    var publicJSON: [String: String] {
        var members = ["kty": kty, "crv": crv, "x": x, "y": y]
        if let kid { members["kid"] = kid }
        if let alg { members["alg"] = alg }
        members["use"] = "sig"
        return members
    }
}

/// Signs compact JWS (ES256, raw r‖s signatures) with a header fixed at creation: client
/// assertions (`private_key_jwt`, RFC 7523) and DPoP proofs (RFC 9449) for one key.
struct ES256JWSSigner: Sendable {
    let key: P256.Signing.PrivateKey
    /// base64url of the protected header, computed once.
    let encodedHeader: String

    /// A signer whose header is `{"alg":"ES256","kid":…}` (the `kid` when there is one).
    static func clientAssertion(key: P256.Signing.PrivateKey, kid: String?) -> ES256JWSSigner {
        var header = #"{"alg":"ES256""#
        if let kid { header += #","kid":"# + JSONText.string(kid) }
        header += "}"
        return ES256JWSSigner(key: key, encodedHeader: Base64URL.encode(Array(header.utf8)))
    }

    /// A signer whose header is `{"typ":"dpop+jwt","alg":"ES256","jwk":{public key}}`.
    static func dpop(key: P256.Signing.PrivateKey) -> ES256JWSSigner {
        let jwk = ECPrivateJWK(key, kid: nil)
        let header =
            #"{"typ":"dpop+jwt","alg":"ES256","jwk":{"crv":"P-256","kty":"EC","x":""# + jwk.x + #"","y":""# + jwk.y
            + #""}}"#
        return ES256JWSSigner(key: key, encodedHeader: Base64URL.encode(Array(header.utf8)))
    }

    /// `header.claims.signature` over the given claims JSON text.
    func sign(claimsJSON: String) throws -> String {
        let input = encodedHeader + "." + Base64URL.encode(Array(claimsJSON.utf8))
        let signature = try key.signature(for: Array(input.utf8))
        return input + "." + Base64URL.encode(signature.rawRepresentation)
    }
}

/// Small helpers for writing JSON and form bodies by hand on the hot path.
enum JSONText {
    /// `text` as a JSON string literal, quotes included.
    static func string(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    out += String(format: "\\u%04x", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}

/// `application/x-www-form-urlencoded` encoding (unreserved characters kept, the rest `%XX`).
enum FormEncoding {
    private static let hex = Array("0123456789ABCDEF".utf8)

    /// One value, percent-encoded (as it is when every byte is unreserved: ids, JWTs, base64url).
    static func encode(_ text: String) -> String {
        if text.utf8.allSatisfy(isUnreserved) { return text }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        for byte in text.utf8 { encode(byte) { bytes.append($0) } }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `byte` as it is when unreserved, else `%XX`, handed to `emit` byte by byte.
    @inline(__always) private static func encode(_ byte: UInt8, _ emit: (UInt8) -> Void) {
        if isUnreserved(byte) {
            emit(byte)
        } else {
            emit(UInt8(ascii: "%"))
            emit(hex[Int(byte >> 4)])
            emit(hex[Int(byte & 15)])
        }
    }

    private static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
            UInt8(ascii: "~"):
            true
        default: false
        }
    }

    /// `name=value&…` in the order given.
    static func body(_ pairs: [(String, String)]) -> String {
        pairs.map { $0.0 + "=" + encode($0.1) }.joined(separator: "&")
    }

    /// The byte count of `body(pairs)`, without building it.
    static func encodedCount(_ pairs: [(String, String)]) -> Int {
        var count = max(0, pairs.count - 1)  // the `&`s
        for (name, value) in pairs {
            count += name.utf8.count + 1
            for byte in value.utf8 { count += isUnreserved(byte) ? 1 : 3 }
        }
        return count
    }

    /// Writes `body(pairs)` into `buffer`, byte by byte (names are sent as they are, like `body`).
    static func write(_ pairs: [(String, String)], into buffer: inout ByteBuffer) {
        for (index, (name, value)) in pairs.enumerated() {
            if index > 0 { buffer.writeInteger(UInt8(ascii: "&")) }
            buffer.writeString(name)
            buffer.writeInteger(UInt8(ascii: "="))
            for byte in value.utf8 { encode(byte) { buffer.writeInteger($0) } }
        }
    }

    /// Decodes `%XX` and `+` (a space); a malformed escape leaves the text as it is.
    static func decode(_ text: Substring) -> String { decode(text.utf8) }

    /// Decodes `%XX` and `+` in UTF-8 bytes (the bytes as they are when there is nothing to decode).
    static func decode(_ text: some Collection<UInt8>) -> String {
        guard text.contains(where: { $0 == UInt8(ascii: "%") || $0 == UInt8(ascii: "+") }) else {
            return String(decoding: text, as: UTF8.self)
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.count)
        var iterator = text.makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "+"): bytes.append(0x20)
            case UInt8(ascii: "%"):
                guard let high = iterator.next(), let low = iterator.next(),
                    let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16)
                else { return String(decoding: text, as: UTF8.self) }
                bytes.append(value)
            default: bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The query parameters of a URI (the part after `?`, without a fragment), split on bytes.
    static func queryParameters(of uri: String) -> [String: String] {
        let bytes = Array(uri.utf8)
        guard let start = bytes.firstIndex(of: UInt8(ascii: "?")) else { return [:] }
        let end = bytes[start...].firstIndex(of: UInt8(ascii: "#")) ?? bytes.endIndex
        var parameters: [String: String] = [:]
        for pair in bytes[(start + 1)..<end].split(separator: UInt8(ascii: "&")) {
            if let equals = pair.firstIndex(of: UInt8(ascii: "=")) {
                parameters[decode(pair[..<equals])] = decode(pair[(equals + 1)...])
            } else {
                parameters[decode(pair)] = ""
            }
        }
        return parameters
    }
}

/// PKCE (RFC 7636) S256: a verifier and its challenge.
struct PKCEPair {
    var verifier: String
    var challenge: String

    init(using rng: inout FastRandom) {
        verifier = rng.identifier(64)
        challenge = Base64URL.encode(SHA256.hash(data: Array(verifier.utf8)))
    }
}

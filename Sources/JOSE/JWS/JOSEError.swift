/// Why a JOSE structure (JSON, JWS, JWK, JWK Set) was refused or could not be produced.
///
/// ``kind`` is for code that must branch (e.g. the DPoP validator maps everything to
/// `invalid_dpop_proof`, the client-assertion validator to `invalid_client`); ``reason`` is for
/// people: it says what was wrong and what to do, is ASCII, and contains no `"` or `\` so it can
/// be used verbatim as an OAuth `error_description` (RFC 6749 §5.2 allows %x20-21 / %x23-5B /
/// %x5D-7E) and inside a `WWW-Authenticate` quoted string.
///
/// ```swift
/// do {
///     let jws = try CompactJWS.parse(token)
/// } catch {
///     print(error.kind, error.reason)   // malformed, "JWS must have three base64url parts ..."
/// }
/// ```
public struct JOSEError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The class of failure.
    public enum Kind: String, Sendable, Equatable, CaseIterable {
        /// Not well-formed: bad base64url, bad JSON, wrong member types, wrong part count.
        case malformed
        /// The `alg` is not in the caller's allow-list (or is `none`, HS*, RS256 …).
        case algorithmNotAllowed
        /// The header carries `crit`; no JWS extension is understood (RFC 7515 §4.1.11).
        case criticalHeader
        /// A JWK carries private-key members.
        case privateKeyMaterial
        /// A JWK that cannot be used: unknown type or curve, too small, wrong `use`/`alg`.
        case unusableKey
        /// No key in the set is a candidate for this JWS (`kid` unknown, no key of the alg's type).
        case noMatchingKey
        /// The signature does not verify with any candidate key.
        case invalidSignature
        /// The OP's own key failed to sign, or a value cannot be serialised.
        case signingFailed
    }

    /// The class of failure.
    public let kind: Kind
    /// What was wrong and what to do; safe to show to the client (see the type's documentation).
    public let reason: String

    public init(_ kind: Kind, _ reason: String) {
        self.kind = kind
        self.reason = Diagnostic.errorDescriptionSafe(reason)
    }

    public var description: String { reason }
}

/// Helpers for error messages that echo untrusted input.
package enum Diagnostic {
    /// Longest echo of an untrusted value in an error message, in characters.
    package static let echoedValueLengthMax = 64

    /// `'value'`, with every character outside printable ASCII (and `'`, `"`, `\`) replaced by `?`
    /// and the value cut at ``echoedValueLengthMax`` characters, so messages stay safe to render.
    package static func quote(_ value: String) -> String {
        var out = ""
        for (index, scalar) in value.unicodeScalars.enumerated() {
            if index == echoedValueLengthMax {
                out += "..."
                break
            }
            switch scalar.value {
            case 0x22, 0x27, 0x5C: out += "?"
            case 0x20...0x7E: out.unicodeScalars.append(scalar)
            default: out += "?"
            }
        }
        return "'" + out + "'"
    }

    /// Replaces characters an OAuth `error_description` may not carry (RFC 6749 §5.2): `"`
    /// becomes `'`, every other character outside %x20-21 / %x23-5B / %x5D-7E becomes `?`.
    package static func errorDescriptionSafe(_ text: String) -> String {
        var out = ""
        out.unicodeScalars.reserveCapacity(text.unicodeScalars.count)
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x22: out += "'"
            case 0x20...0x21, 0x23...0x5B, 0x5D...0x7E: out.unicodeScalars.append(scalar)
            default: out += "?"
            }
        }
        return out
    }
}

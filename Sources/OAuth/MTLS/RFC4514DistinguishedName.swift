import SwiftASN1
import X509

/// A distinguished name parsed from its RFC 4514 string form, compared semantically with a
/// certificate's subject (`tls_client_auth_subject_dn`, RFC 8705 §2.1.2; MTLS-01, MTLS-07).
///
/// swift-certificates prints names but cannot parse them, and string equality is the wrong test:
/// `CN=Client 1, O=Bank` and `cn=client  1,o=BANK` name the same subject. Parsing accepts the
/// RFC 4514 §3 grammar — RDNs separated by `,`, multi-valued RDNs joined by `+`, attribute types
/// as short names (CN, C, L, ST, O, OU, STREET, DC, UID, plus SERIALNUMBER and E/EMAILADDRESS as
/// OpenSSL and swift-certificates print them, case-insensitive) or dotted OIDs (optionally
/// `OID.`-prefixed), values with `\`-escaped special characters and `\XX` hex pairs, or `#` and
/// the hex BER encoding — and tolerates spaces around the separators. Comparison goes RDN by RDN
/// in order (the string lists the most specific RDN first, the certificate's DER the reverse),
/// attributes within an RDN as a set, values case-insensitively with runs of whitespace
/// collapsed and leading/trailing whitespace ignored.
///
/// ```swift
/// let registered = try RFC4514DistinguishedName(parsing: "CN=client-1,OU=FAPI,O=Example\\, Inc.,C=GB")
/// registered.matches(certificate.subject)   // true for that subject in any case and spacing
/// ```
public struct RFC4514DistinguishedName: Sendable, Hashable {
    /// One `type=value` pair.
    public struct Attribute: Sendable, Hashable {
        /// The attribute type as a dotted OID (`2.5.4.3` for CN).
        public let oid: String
        /// The value: text (compared case-insensitively, whitespace-normalized) or, for values
        /// that are not character strings, the BER/DER encoding (compared byte for byte).
        public let value: Value
    }

    /// An attribute value.
    public enum Value: Sendable, Hashable {
        case text(String)
        case encoded([UInt8])
    }

    /// Why a string is not an RFC 4514 distinguished name.
    public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        public let description: String
    }

    /// The RDNs in string order (most specific first, e.g. CN before C).
    public let rdns: [[Attribute]]

    /// Short attribute names (RFC 4514 §3 and the two OpenSSL/swift-certificates add) → OIDs.
    public static let shortNames: [String: String] = [
        "CN": "2.5.4.3", "C": "2.5.4.6", "L": "2.5.4.7", "ST": "2.5.4.8", "O": "2.5.4.10", "OU": "2.5.4.11",
        "STREET": "2.5.4.9", "DC": "0.9.2342.19200300.100.1.25", "UID": "0.9.2342.19200300.100.1.1",
        "SERIALNUMBER": "2.5.4.5", "E": "1.2.840.113549.1.9.1", "EMAILADDRESS": "1.2.840.113549.1.9.1",
    ]
    /// Longest accepted DN string.
    public static let byteCountMax = 4096

    /// Parses an RFC 4514 string. Requires at least one RDN.
    public init(parsing text: String) throws(ParseError) {
        guard text.utf8.count <= Self.byteCountMax else {
            throw ParseError(description: "longer than \(Self.byteCountMax) bytes")
        }
        var parser = Parser(Array(text.utf8))
        self.rdns = try parser.parseDistinguishedName()
        guard !rdns.isEmpty else { throw ParseError(description: "the name is empty") }
    }

    /// The subject of a certificate in the same model (RDNs reordered to string order).
    public init(_ name: DistinguishedName) {
        self.rdns = name.reversed().map { rdn in
            rdn.map { Attribute(oid: $0.type.description, value: Self.value(of: $0.value)) }
        }
    }

    /// MTLS-01: `true` when `name` has the same RDNs, in the same order, with equal attributes.
    public func matches(_ name: DistinguishedName) -> Bool {
        matches(RFC4514DistinguishedName(name))
    }

    /// `true` when both names have equal RDNs in order; see the type's documentation.
    public func matches(_ other: RFC4514DistinguishedName) -> Bool {
        guard rdns.count == other.rdns.count else { return false }
        for (mine, theirs) in zip(rdns, other.rdns) {
            guard mine.count == theirs.count else { return false }
            var remaining = theirs
            for attribute in mine {
                guard let index = remaining.firstIndex(where: { Self.equal(attribute, $0) }) else { return false }
                remaining.remove(at: index)
            }
        }
        return true
    }

    // MARK: Comparison

    static func equal(_ a: Attribute, _ b: Attribute) -> Bool {
        guard a.oid == b.oid else { return false }
        switch (a.value, b.value) {
        case (.text(let x), .text(let y)): return normalized(x) == normalized(y)
        case (.encoded(let x), .encoded(let y)): return x == y
        default: return false
        }
    }

    /// Case-folded, leading/trailing whitespace removed, inner whitespace runs collapsed to one space.
    static func normalized(_ text: String) -> String {
        text.lowercased().split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }

    /// The text of a certificate attribute value, or its DER encoding if it is not a string type.
    static func value(of value: RelativeDistinguishedName.Attribute.Value) -> Value {
        if let text = String(value) { return .text(text) }
        var serializer = DER.Serializer()
        guard (try? serializer.serialize(ASN1Any(value))) != nil else { return .encoded([]) }
        return decodeBER(serializer.serializedBytes)
    }

    /// A `#hex` value or certificate value: the string content for the ASN.1 string types,
    /// otherwise the encoding itself.
    static func decodeBER(_ bytes: [UInt8]) -> Value {
        guard let node = try? DER.parse(bytes), case .primitive(let content) = node.content,
            node.identifier.tagClass == .universal
        else { return .encoded(bytes) }
        switch node.identifier.tagNumber {
        case 12, 18, 19, 22, 26:  // UTF8String, NumericString, PrintableString, IA5String, VisibleString
            guard let text = String(validating: content, as: UTF8.self) else { return .encoded(bytes) }
            return .text(text)
        case 20:  // TeletexString: treated as Latin-1, as OpenSSL does
            return .text(String(content.map { Character(Unicode.Scalar($0)) }))
        case 30:  // BMPString: UTF-16BE
            guard content.count % 2 == 0 else { return .encoded(bytes) }
            let units = stride(from: content.startIndex, to: content.endIndex, by: 2).map {
                UInt16(content[$0]) << 8 | UInt16(content[$0 + 1])
            }
            return .text(String(decoding: units, as: UTF16.self))
        default:
            return .encoded(bytes)
        }
    }

    // MARK: Parsing

    private struct Parser {
        let bytes: [UInt8]
        var index = 0

        init(_ bytes: [UInt8]) { self.bytes = bytes }

        var atEnd: Bool { index >= bytes.count }
        var current: UInt8? { atEnd ? nil : bytes[index] }

        mutating func skipSpaces() {
            while current == UInt8(ascii: " ") { index += 1 }
        }

        mutating func parseDistinguishedName() throws(ParseError) -> [[Attribute]] {
            skipSpaces()
            if atEnd { return [] }
            var rdns: [[Attribute]] = []
            while true {
                var rdn: [Attribute] = [try parseAttribute()]
                while current == UInt8(ascii: "+") {
                    index += 1
                    rdn.append(try parseAttribute())
                }
                rdns.append(rdn)
                guard let separator = current else { return rdns }
                guard separator == UInt8(ascii: ",") else {
                    throw ParseError(
                        description: "unexpected '\(Character(Unicode.Scalar(separator)))' at byte \(index + 1); "
                            + "escape it with a backslash")
                }
                index += 1
            }
        }

        mutating func parseAttribute() throws(ParseError) -> Attribute {
            skipSpaces()
            let oid = try parseType()
            skipSpaces()
            guard current == UInt8(ascii: "=") else {
                throw ParseError(description: "expected '=' after the attribute type at byte \(index + 1)")
            }
            index += 1
            skipSpaces()
            let value = try current == UInt8(ascii: "#") ? parseHexValue() : parseStringValue()
            return Attribute(oid: oid, value: value)
        }

        mutating func parseType() throws(ParseError) -> String {
            let start = index
            while let byte = current,
                byte.isASCIILetter || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                    || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".")
            {
                index += 1
            }
            var name = String(decoding: bytes[start..<index], as: UTF8.self).uppercased()
            guard !name.isEmpty else { throw ParseError(description: "missing attribute type at byte \(start + 1)") }
            if name.hasPrefix("OID.") { name.removeFirst(4) }
            if let oid = RFC4514DistinguishedName.shortNames[name] { return oid }
            guard Self.isNumericOID(name) else {
                throw ParseError(
                    description: "unknown attribute type \"\(name)\"; use CN, C, L, ST, O, OU, STREET, DC, UID "
                        + "or a dotted OID such as 2.5.4.97")
            }
            return name
        }

        static func isNumericOID(_ text: String) -> Bool {
            let arcs = text.split(separator: ".", omittingEmptySubsequences: false)
            return arcs.count >= 2
                && arcs.allSatisfy { arc in
                    !arc.isEmpty && arc.allSatisfy(\.isASCIIDigit) && (arc.count == 1 || arc.first != "0")
                }
        }

        mutating func parseHexValue() throws(ParseError) -> Value {
            index += 1  // '#'
            var encoded: [UInt8] = []
            while let high = current, high.isHexDigit {
                guard index + 1 < bytes.count, bytes[index + 1].isHexDigit else {
                    throw ParseError(description: "odd number of hex digits in a #-value at byte \(index + 1)")
                }
                encoded.append(Self.hexValue(high) << 4 | Self.hexValue(bytes[index + 1]))
                index += 2
            }
            guard !encoded.isEmpty else { throw ParseError(description: "empty #-value at byte \(index + 1)") }
            skipSpaces()
            return RFC4514DistinguishedName.decodeBER(encoded)
        }

        mutating func parseStringValue() throws(ParseError) -> Value {
            var value: [UInt8] = []
            var trailingUnescapedSpaces = 0
            while let byte = current, byte != UInt8(ascii: ","), byte != UInt8(ascii: "+") {
                switch byte {
                case UInt8(ascii: "\\"):
                    index += 1
                    guard let next = current else { throw ParseError(description: "the name ends with a lone '\\'") }
                    if next.isHexDigit {
                        guard index + 1 < bytes.count, bytes[index + 1].isHexDigit else {
                            throw ParseError(
                                description: "'\\' must be followed by two hex digits or a special "
                                    + "character at byte \(index)")
                        }
                        value.append(Self.hexValue(next) << 4 | Self.hexValue(bytes[index + 1]))
                        index += 2
                    } else if Array("\\\"+,;<>=# ".utf8).contains(next) {
                        value.append(next)
                        index += 1
                    } else {
                        throw ParseError(
                            description: "'\\\(Character(Unicode.Scalar(next)))' at byte \(index) is not an "
                                + "RFC 4514 escape")
                    }
                    trailingUnescapedSpaces = 0
                case UInt8(ascii: "\""), UInt8(ascii: ";"), UInt8(ascii: "<"), UInt8(ascii: ">"), 0:
                    throw ParseError(
                        description: "'\(Character(Unicode.Scalar(byte)))' at byte \(index + 1) must be escaped "
                            + "with a backslash")
                case UInt8(ascii: " "):
                    value.append(byte)
                    trailingUnescapedSpaces += 1
                    index += 1
                default:
                    value.append(byte)
                    trailingUnescapedSpaces = 0
                    index += 1
                }
            }
            value.removeLast(trailingUnescapedSpaces)
            guard let text = String(validating: value, as: UTF8.self) else {
                throw ParseError(description: "an attribute value is not UTF-8")
            }
            return .text(text)
        }

        static func hexValue(_ byte: UInt8) -> UInt8 {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
            default: byte - UInt8(ascii: "A") + 10
            }
        }
    }
}

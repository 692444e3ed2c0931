import Foundation
import JOSE
import Testing

@Suite("JOSE: base64url")
struct JOSEBase64URLTests {
    /// The reference: Foundation's base64 with the URL alphabet and no padding.
    static func reference(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    @Test("encode equals the reference and decode inverts it, for every length 0…200 and random bytes")
    func roundTrips() {
        var rng = SystemRandomNumberGenerator()
        for length in 0...200 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let text = Base64URL.encode(bytes)
            #expect(text == Self.reference(bytes))
            #expect(Base64URL.decode(text) == bytes)
        }
    }

    @Test("RFC 4648 vectors (URL alphabet, unpadded)")
    func vectors() {
        #expect(Base64URL.encode(Array("foobar".utf8)) == "Zm9vYmFy")
        #expect(Base64URL.encode(Array("fooba".utf8)) == "Zm9vYmE")
        #expect(Base64URL.encode(Array("f".utf8)) == "Zg")
        #expect(Base64URL.encode([0xfb, 0xff]) == "-_8")
    }

    @Test("strict: padding, standard alphabet, whitespace, impossible length, non-canonical tail are refused")
    func strict() {
        for bad in ["Zg==", "+/8", "Zm 9v", "Z", "Zh", "Zm9vYmF", "-_9"] {
            #expect(Base64URL.decode(bad) == nil, "\(bad) should be refused")
        }
        #expect(Base64URL.decode("") == [])
    }
}

import Events
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import Server

@Suite("x-fapi-interaction-id (F1-19) and the OP's batched randomness")
struct InteractionIDTests {
    /// A lowercase RFC 4122 version-4 UUID.
    static func isGeneratedUUID(_ value: String?) -> Bool {
        guard let value, value == value.lowercased(), UUID(uuidString: value) != nil else { return false }
        let characters = Array(value)
        return characters[14] == "4" && "89ab".contains(characters[19])
    }

    @Test("absent or not a UUID: a fresh version-4 UUID is generated and echoed; a UUID sent is echoed as sent")
    func echoedOrGenerated() async throws {
        try await withRunningOPServer { server in
            try await server.withClient { client in
                let first = try await client.get("/health/live")
                let second = try await client.get("/health/live")
                let generated = first.headers[InteractionID.header]
                #expect(Self.isGeneratedUUID(generated))
                #expect(Self.isGeneratedUUID(second.headers[InteractionID.header]))
                #expect(generated != second.headers[InteractionID.header])

                let sent = "C0FFEE00-1234-4abc-8def-0123456789AB"
                let echoed = try await client.get(
                    "/health/live", headers: [InteractionID.header: sent])
                #expect(echoed.headers[InteractionID.header] == sent)

                let bad = try await client.get(
                    "/health/live", headers: [InteractionID.header: "not-a-uuid"])
                #expect(bad.headers[InteractionID.header] != "not-a-uuid")
                #expect(Self.isGeneratedUUID(bad.headers[InteractionID.header]))
            }
        }
    }

    @Test("generated ids are version-4 UUIDs and do not repeat")
    func generatedIDs() {
        var seen = Set<String>()
        for _ in 0..<10_000 {
            let id = InteractionID.generate()
            #expect(Self.isGeneratedUUID(id))
            seen.insert(id)
        }
        #expect(seen.count == 10_000)
    }

    @Test("the UUID text is Foundation's, lowercased, for any bytes")
    func formatMatchesFoundation() {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<1_000 {
            var bytes = (rng.next() as UInt64, rng.next() as UInt64)
            let expected = withUnsafeBytes(of: &bytes) { UUID(uuid: $0.load(as: uuid_t.self)).uuidString.lowercased() }
            #expect(withUnsafeBytes(of: &bytes) { InteractionID.format($0) } == expected)
        }
        let edges: [UInt8] = [
            0x00, 0xFF, 0x0F, 0xF0, 0x10, 0x01, 0xA5, 0x5A, 0x00, 0xFF, 0x0F, 0xF0, 0x10, 0x01, 0xA5, 0x5A,
        ]
        #expect(edges.withUnsafeBytes { InteractionID.format($0) } == "00ff0ff0-1001-a55a-00ff-0ff01001a55a")
    }

    @Test("BatchedSystemRandom refills its pool past 32 words, and its words look uniform")
    func batchedRandom() {
        var rng = BatchedSystemRandom()
        var words: [UInt64] = []
        for _ in 0..<1_000 { words.append(rng.next()) }
        #expect(Set(words).count == words.count)  // 64-bit collisions: practically impossible
        // Each bit position is set in about half of the words (1,000 draws: 500 ± ~16; 350…650 is
        // beyond 9 standard deviations, so this cannot fail by chance, only if words were not random).
        for bit in 0..<64 {
            let ones = words.filter { $0 & (1 << UInt64(bit)) != 0 }.count
            #expect((350...650).contains(ones), "bit \(bit) set in \(ones) of 1000 words")
        }
        // Two generators do not produce the same stream.
        var other = BatchedSystemRandom()
        #expect((0..<4).map { _ in other.next() } != Array(words.prefix(4)))
    }
}

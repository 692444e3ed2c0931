import Foundation
import Testing

extension EndToEndTests {
    @Test(
        "DPoP server nonces (serve --dpop-nonce): PAR, token and userinfo answer use_dpop_nonce with DPoP-Nonce and accept the retry; requests-oauth2client completes a whole DPoP flow with nonces; a nonce challenge is not journaled as a refusal"
    )
    func dpopServerNonces() throws {
        let scratch = try ScratchDirectory("dpop-nonce")
        defer { scratch.remove() }
        let data = scratch.sub("data")
        let pki = scratch.sub("pki")
        try FileManager.default.createDirectory(atPath: pki, withIntermediateDirectories: true)
        _ = try runInteropScript("fapi2_interop.py", ["pki", "--out", pki])
        let server = try RunningServer.start(
            dataDirectory: data, scratch: scratch.path,
            extraArguments: ["--dpop-nonce", "--client-ca", pki + "/ca.pem"])
        defer { server.child.stop() }
        let common = [
            "--issuer", server.issuer, "--ca", server.caFile, "--strongroom", try Strongroom.requireBinary(),
            "--data-dir", data,
        ]
        let facts = try runInteropScript("dpop_nonce.py", ["flow"] + common)
        #expect(facts["nonce_length"] as? Int == 32, "\(facts)")
        #expect(facts["userinfo"] as? String == "401 use_dpop_nonce, then 200", "\(facts)")
        // The independent client follows the challenges by itself (PAR, token, userinfo, refresh).
        let library = try runInteropScript("fapi2_interop.py", ["flow", "--mode", "dpop", "--pki", pki] + common)
        #expect(library["refreshed"] as? Bool == true, "\(library)")
        #expect(library["code_reuse"] as? String == "invalid_grant", "\(library)")
        #expect(try server.stopGracefully() == 0, "\(server.child.outputTail())")

        let dump = try Strongroom.run(["journal", "dump", "--data-dir", data, "--type", "authorization.rejected"])
        #expect(dump.status == 0, "\(dump)")
        #expect(!dump.stdout.contains("use_dpop_nonce"), "a nonce challenge was journaled as a refused request")
        try Self.checkReplayEquivalence(data: data, scratch: scratch, journal: try JournalContents.read(data))
    }
}

import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `journal stats --json` of a stopped data directory.
private func journalStats(_ data: String) throws -> [String: Any] {
    let stats = try Strongroom.run(["journal", "stats", "--data-dir", data, "--json"])
    guard stats.exitedNormally, stats.status == 0,
        let object = try JSONSerialization.jsonObject(with: Data(stats.stdout.utf8)) as? [String: Any]
    else { throw E2EFailure("journal stats --json failed: \(stats)") }
    return object
}

private func count(_ type: String, in stats: [String: Any]) -> Int {
    ((stats["by_type"] as? [String: Any])?[type] as? NSNumber)?.intValue ?? 0
}

/// The key ids of a JWKS response, checked for shape on the way.
private func jwksKeyIDs(_ response: HTTPSResponse) throws -> (kids: Set<String>, algorithms: [String]) {
    #expect(response.status == 200)
    let keys = try #require(try response.json()["keys"] as? [[String: Any]], "JWKS without a keys array")
    var kids: Set<String> = []
    var algorithms: [String] = []
    for key in keys {
        let kid = key["kid"] as? String ?? ""
        #expect(!kid.isEmpty, "a JWKS key has no kid: \(key)")
        #expect(key["d"] == nil && key["p"] == nil, "a JWKS key carries private parts")
        kids.insert(kid)
        algorithms.append(key["alg"] as? String ?? "?")
    }
    #expect(kids.count == keys.count, "JWKS kids are not unique: \(algorithms)")
    return (kids, algorithms.sorted())
}

extension EndToEndTests {
    @Test(
        "serve over real HTTPS: ready, discovery, JWKS, HSTS; SIGTERM stops it cleanly; a restart adds no keys; a second server is refused by the lock"
    )
    func serveSmoke() throws {
        let scratch = try ScratchDirectory("serve")
        defer { scratch.remove() }
        let data = scratch.sub("data")

        // First start on a fresh directory.
        let server = try RunningServer.start(dataDirectory: data, scratch: scratch.path)
        defer { server.child.stop() }

        let live = try server.get("/health/live")
        #expect(live.status == 200)
        let discovery = try server.get("/.well-known/openid-configuration")
        #expect(discovery.status == 200)
        let document = try discovery.json()
        #expect(document["issuer"] as? String == server.issuer)
        #expect(document["jwks_uri"] as? String == server.issuer + "/jwks")
        let hsts = discovery.headers["strict-transport-security"]
        #expect(hsts != nil, "no Strict-Transport-Security header: \(discovery.headers)")
        #expect(hsts?.contains("max-age=") == true)
        let metadata = try server.get("/.well-known/oauth-authorization-server")
        #expect(metadata.status == 200)
        #expect(try metadata.json()["issuer"] as? String == server.issuer)

        let jwks = try server.get("/jwks")
        #expect(jwks.headers["strict-transport-security"] != nil)
        let (kids, algorithms) = try jwksKeyIDs(jwks)
        #expect(kids.count >= 2)
        #expect(algorithms.contains("ES256") && algorithms.contains("PS256"), "JWKS algorithms: \(algorithms)")

        #expect(try server.stopGracefully() == 0, "serve did not exit 0 after SIGTERM\n\(server.child.outputTail())")
        let verify = try Strongroom.run(["journal", "verify", "--data-dir", data])
        #expect(verify.exitedNormally && verify.status == 0 && verify.stdout.hasPrefix("journal intact:"), "\(verify)")
        let stats = try journalStats(data)
        let keysAdded = count("key.signing_added", in: stats)
        #expect(keysAdded >= 2, "journal stats: \(stats)")

        // Restart on the same directory: same keys, nothing new journaled; a second server is refused.
        let again = try RunningServer.start(dataDirectory: data, scratch: scratch.path)
        defer { again.child.stop() }
        let (kidsAgain, _) = try jwksKeyIDs(try again.get("/jwks"))
        #expect(kidsAgain == kids, "the restart changed the published keys")

        let secondPort = try freeLoopbackPort()
        let second = try Strongroom.start(["serve", "--data-dir", data, "--listen", "127.0.0.1:\(secondPort)"])
        defer { second.stop() }
        let secondStatus = try second.waitForExit(timeout: processTimeout)
        #expect(
            second.terminationReason == .exit && secondStatus != 0,
            "a second serve on the same data directory must fail: \(second.exitDescription)")
        let secondOutput = second.combinedOutput
        #expect(
            secondOutput.contains("locked") && secondOutput.contains("LOCK"),
            "the refusal does not mention the lock:\n\(second.outputTail())")
        #expect(!secondOutput.contains("Strongroom is serving"))

        // The first server is unaffected.
        #expect(try again.get("/health/ready").status == 200)
        #expect(try again.stopGracefully() == 0, "\(again.child.outputTail())")
        #expect(
            count("key.signing_added", in: try journalStats(data)) == keysAdded,
            "the restart journaled new signing keys")
        let verifyAgain = try Strongroom.run(["journal", "verify", "--data-dir", data])
        #expect(verifyAgain.status == 0 && !verifyAgain.stdout.contains("torn tail"), "\(verifyAgain)")
    }
}

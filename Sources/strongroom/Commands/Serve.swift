import ArgumentParser
import Events
import Foundation
import GRDB
import JOSE
import Journal
import Ledger
import Logging
import Projection
import Server

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the OpenID Provider over HTTPS.",
        discussion: """
            On first start creates the data directory, the journal, the journal signing key, the OP
            signing keys (ES256 and PS256; their public parts are journaled) and — unless --tls-cert and
            --tls-key are given — a development CA and server certificate under DATA/tls (trust
            DATA/tls/ca.pem in clients). Refuses to start when the journal is damaged, naming the segment,
            byte offset and sequence number.
            """)

    @OptionGroup var dataDir: DataDirectoryOption
    @Option(help: "Address to listen on, HOST:PORT.") var listen: String = "127.0.0.1:8443"
    @Option(help: "Issuer identifier (https URL); default https://localhost:PORT.") var issuer: String?
    @Option(help: "PEM certificate chain to serve (with --tls-key).") var tlsCert: String?
    @Option(help: "PEM private key for --tls-cert.") var tlsKey: String?
    @Option(help: "PEM file of CAs trusted for tls_client_auth.") var clientCA: String?
    @Option(
        help: ArgumentHelp(
            "Address of a reverse proxy that terminates TLS and forwards the client certificate (repeatable).",
            valueName: "ADDR"))
    var trustedProxy: [String] = []
    @Option(help: "Header with the URL-encoded PEM client certificate, from --trusted-proxy peers only.")
    var clientCertHeader: String = "X-Client-Cert"
    @Option(help: "PEM file of CAs trusted for clients' jwks_uri servers, besides the system's trust roots.")
    var jwksCA: String?
    @Flag(
        help:
            "Demand server-provided DPoP nonces (RFC 9449 §8) at PAR, token and userinfo: proofs without a current nonce get use_dpop_nonce and the nonce in DPoP-Nonce."
    )
    var dpopNonce = false
    @Option(help: "Journal durability: fsync (default) or none (tests only).") var durability: String = "fsync"
    @Option(help: "Journal compression: fast (LZ4, default) or hc-N (LZ4HC level N, 2…12: smaller, more CPU).")
    var journalCompression: String = "fast"
    @Option(
        help:
            "Group-commit window in milliseconds: while busy, a journal batch is taken no sooner than this after the previous one, unless 512 requests already wait, so that one write, fdatasync and projection transaction serve more requests (adds at most this much latency, and only while busy). 0 disables it."
    )
    var groupCommitWindowMs: Double = Double(Ledger.groupCommitWindowDefault) / 1000

    func run() async throws {
        let logger = makeLogger()
        let layout = DataLayout(root: dataDir.resolved)
        guard let mode = Durability(rawValue: durability) else {
            throw ValidationError("--durability must be fsync or none")
        }
        let (host, port) = try parseListen(listen)
        let issuerURL = issuer ?? "https://localhost:\(port)"

        try layout.prepare()
        let lock: DataDirectoryLock
        do {
            lock = try DataDirectoryLock.acquire(dataDirectory: layout.root)
        } catch let error as JournalError {
            throw CLIError("refusing to start: \(error)")
        }
        defer { lock.release() }

        let signer = try loadOrCreateJournalSigner(layout, logger: logger)
        var config = Ledger.Configuration(dataDirectory: layout.root)
        config.journal.durability = mode
        guard (0...100).contains(groupCommitWindowMs) else {
            throw ValidationError("--group-commit-window-ms must be between 0 and 100")
        }
        config.groupCommitWindowMicros = Int64(groupCommitWindowMs * 1000)
        if journalCompression != "fast" {
            guard journalCompression.hasPrefix("hc-"), let level = Int(journalCompression.dropFirst(3)),
                (2...12).contains(level)
            else { throw ValidationError("--journal-compression must be fast or hc-N with N in 2…12") }
            config.journal.compressionLevel = .high(level)
        }
        let ledger: Ledger
        do {
            ledger = try Ledger.open(configuration: config, signer: signer, logger: logger)
        } catch let error as JournalError {
            logger.critical("refusing to start: the journal is damaged", metadata: ["error": "\(error)"])
            throw CLIError(
                "refusing to start: \(error)\nRun `strongroom journal verify --data-dir \(layout.root)` and see Docs/operations.md."
            )
        }
        if let torn = ledger.recoveryReport.tornTail {
            logger.warning("recovered from a crash: cut a torn journal tail", metadata: ["tail": "\(torn)"])
        }
        try await ensureOPSigningKeys(layout: layout, ledger: ledger, logger: logger)

        let tls: (chain: String, key: String, ca: String?)
        if let tlsCert, let tlsKey {
            tls = (tlsCert, tlsKey, nil)
        } else if tlsCert != nil || tlsKey != nil {
            throw ValidationError("--tls-cert and --tls-key go together")
        } else {
            guard let issuerHost = URL(string: issuerURL)?.host else {
                throw ValidationError("--issuer is not a URL: \(issuerURL)")
            }
            let material = try DevelopmentTLS.ensureMaterial(in: layout.tls, issuerHost: issuerHost)
            tls = (material.certificateChainPath, material.privateKeyPath, material.caCertificatePath)
        }
        let serverConfig = try ServerConfiguration(
            host: host, port: port, issuer: issuerURL, certificateChainPath: tls.chain, privateKeyPath: tls.key,
            clientCAPath: clientCA)
        let projection = ledger.projection
        let signingKeys = try SigningKeyRing(store: FileKeyStore(directory: layout.opKeys))
        let sealer = try AuthnEndUserVerifier.loadOrCreateSealer(path: layout.keys + "/seal.key")
        var extraJWKSCAs: String?
        if let jwksCA {
            guard let pem = try? String(contentsOfFile: jwksCA, encoding: .utf8) else {
                throw ValidationError("cannot read --jwks-ca \(jwksCA)")
            }
            extraJWKSCAs = pem
        }
        let jwksFetcher = try ClientJWKSFetcher(extraTrustedCAsPEM: extraJWKSCAs)
        var environment = try ProtocolEnvironment(
            ledger: ledger, issuer: serverConfig.issuer, issuerPath: serverConfig.issuerPath,
            browserKeyPath: layout.keys + "/browser.key", users: AuthnEndUserVerifier(sealer: sealer),
            signingKeys: signingKeys, logger: logger, jwksFetcher: jwksFetcher)
        environment.trustedProxies = TrustedProxies(
            addresses: Set(trustedProxy), certificateHeader: clientCertHeader)
        if dpopNonce { environment.dpopNonces = .withRandomKey() }
        let routes = try ProtocolRoutes(env: environment, clientCAPath: clientCA)
        let server = try OPServer(
            configuration: serverConfig,
            discovery: routes.discovery(),
            publishedKeys: { try Self.publishedKeys(projection, nowMicros: SystemClock().nowMicros()) },
            isReady: { ledger.failureReason == nil },
            logger: logger,
            extraRoutes: { router in routes.add(to: router) })
        // The local admin socket: `strongroom clients|users …` go through it while the server runs.
        let admin = try AdminSocket.makeApplication(
            dataDirectory: layout.root,
            service: AdminService(ledger: ledger, keys: signingKeys, clients: environment.clients), logger: logger)
        let adminTask = Task { try await admin.run() }
        defer {
            adminTask.cancel()
            try? FileManager.default.removeItem(atPath: AdminSocket.socketPath(dataDirectory: layout.root))
            try? FileManager.default.removeItem(atPath: AdminSocket.tokenPath(dataDirectory: layout.root))
        }
        let journalKeyID = signer.keyID
        // A Ledger that stopped after a journal failure cannot take commands any more: exit so that
        // the supervisor restarts the process, which recovers the journal from disk.
        let watchdog = Task.detached {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                if let reason = ledger.failureReason {
                    logger.critical("the ledger stopped; exiting for a restart", metadata: ["reason": "\(reason)"])
                    Foundation.exit(70)
                }
            }
        }
        defer { watchdog.cancel() }
        defer { Task { await jwksFetcher.shutdown() } }
        try await server.runService { boundPort in
            logger.notice(
                "Strongroom is serving",
                metadata: [
                    "issuer": "\(serverConfig.issuer)", "listen": "\(host):\(boundPort)", "data_dir": "\(layout.root)",
                    "journal_key_id": "\(journalKeyID)", "dev_ca": "\(tls.ca ?? "-")",
                ])
        }
        await jwksFetcher.shutdown()  // (the defer above covers a throwing runService)
        logger.notice("shutting down: final checkpoint")
        ledger.close()
    }

    private func parseListen(_ text: String) throws -> (String, Int) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
            (0...65535).contains(port)
        else { throw ValidationError("--listen must be HOST:PORT, e.g. 127.0.0.1:8443") }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host, port)
    }

    /// Makes sure the OP has an ES256 and a PS256 signing key, and that every key in the key store is
    /// recorded (public part) in the journal.
    private func ensureOPSigningKeys(layout: DataLayout, ledger: Ledger, logger: Logger) async throws {
        let store = try FileKeyStore(directory: layout.opKeys)
        var keys = try store.allKeys()
        for alg in [SigningAlgorithm.es256, .ps256] where !keys.contains(where: { $0.algorithm == alg }) {
            let key = try store.createKey(alg)
            logger.notice("generated an OP signing key", metadata: ["kid": "\(key.kid)", "alg": "\(alg.rawValue)"])
        }
        keys = try store.allKeys()
        let journaled = try await ledger.projection.pool.read { db in
            try Set(String.fetchAll(db, sql: "SELECT kid FROM signing_keys"))
        }
        for key in keys where !journaled.contains(key.kid) {
            let jwk = String(decoding: key.publicJWK.jsonBytes(), as: UTF8.self)
            try await ledger.execute(
                AddSigningKey(
                    SigningKeyAdded(kid: key.kid, algorithm: key.algorithm.rawValue, publicJWK: jwk, active: true),
                    actor: .system))
        }
    }

    /// The keys to publish: every journaled key not retired, or retired but still inside its publication window.
    static func publishedKeys(_ projection: ProjectionStore, nowMicros: Int64) throws -> [PublicJWK] {
        let texts = try projection.pool.read { db in
            try String.fetchAll(
                db,
                sql:
                    "SELECT public_jwk FROM signing_keys WHERE status != 'retired' OR publish_until_micros > ? ORDER BY added_micros, kid",
                arguments: [nowMicros])
        }
        return try texts.map { try JSONDecoder().decode(PublicJWK.self, from: Data($0.utf8)) }
    }
}

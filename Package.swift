// swift-tools-version:6.2
import PackageDescription

// Strongroom — a financial-grade, event-sourced OpenID Provider.
// Module map: see Docs/architecture.md. Dependencies are pinned to what the build
// machines' package mirror carries (see ../shared/STACK.md).

let package = Package(
    name: "Strongroom",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "strongroom", targets: ["strongroom"]),
        .executable(name: "strongroom-bench", targets: ["strongroom-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
    ],
    targets: [
        .systemLibrary(name: "CLZ4", path: "Sources/CLZ4", providers: [.apt(["liblz4-dev"])]),

        // Segments, batch framing, LZ4, CRC32C, hash chain, checkpoints, recovery, reader.
        // Knows nothing of OAuth.
        .target(
            name: "Journal",
            dependencies: [
                "CLZ4",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // Event envelope, event payload types, their (fast, JSON) codec.
        .target(name: "Events"),

        // Process-wide SQLite settings, applied before SQLite's first use (sqlite3_config is variadic).
        .target(name: "CSQLiteConfig", linkerSettings: [.linkedLibrary("sqlite3")]),

        // SQLite projection (GRDB): schema, apply(event), queries, replay target.
        .target(
            name: "Projection",
            dependencies: [
                "Events", "Journal", "CSQLiteConfig",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),

        // JWK model, thumbprints, OP key store (what jwt-kit does not give).
        .target(
            name: "JOSE",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ]
        ),

        // Protocol rules as small named checks (PAR, PKCE, client authentication, DPoP, mTLS,
        // client metadata): pure functions over parsed input, each citing its requirement ID.
        .target(
            name: "OAuth",
            dependencies: [
                "JOSE",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ]
        ),

        // End-user authentication: password hashing (scrypt), RFC 6238 TOTP.
        .target(
            name: "Authn",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ]
        ),

        // The single writer: commands -> decisions -> events; group commit; live state.
        .target(
            name: "Ledger",
            dependencies: [
                "Journal", "Events", "Projection", "OAuth", "JOSE",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // Hummingbird application: HTTPS, routes, development TLS material.
        .target(
            name: "Server",
            dependencies: [
                "JOSE", "Ledger", "Projection", "Events", "OAuth", "Authn",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),

        // Audit and non-repudiation: timelines from the journal alone, re-verified signatures and
        // chain proofs, reports (text, JSON, HTML), evidence bundles. Not on Server or Ledger.
        .target(
            name: "Audit",
            dependencies: [
                "Journal", "Events", "JOSE",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),

        // NIO's event loops as Swift Concurrency's global executor (both executables install it).
        .target(
            name: "EventLoopExecutor",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),

        .executableTarget(
            name: "strongroom",
            dependencies: [
                "Journal", "Events", "Projection", "Ledger", "JOSE", "Server", "OAuth", "Authn", "Audit",
                "EventLoopExecutor",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),

        // Benchmarks and load generators: build with `swift build -c release`.
        .executableTarget(
            name: "strongroom-bench",
            dependencies: [
                "Journal", "Events", "Projection", "Ledger", "JOSE", "Audit", "EventLoopExecutor",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tools/strongroom-bench"
        ),

        .testTarget(name: "JournalTests", dependencies: ["Journal"]),
        .testTarget(name: "EventsTests", dependencies: ["Events"]),
        .testTarget(
            name: "AuditTests",
            dependencies: [
                "Audit", "Journal", "Events", "JOSE", .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "LedgerTests",
            dependencies: [
                "Ledger", "Journal", "Events", "Projection", "OAuth", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .testTarget(
            name: "ProjectionTests",
            dependencies: ["Projection", "Journal", "Events", .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(
            name: "OAuthTests",
            dependencies: [
                "OAuth", "JOSE",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ]
        ),
        .testTarget(name: "AuthnTests", dependencies: ["Authn"]),
        .testTarget(
            name: "ServerTests",
            dependencies: [
                "Server", "JOSE",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ]
        ),
        // Starts the real `strongroom` binary (and its debug load writer) as child processes.
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["strongroom", "Journal", "Events", "Projection", "Ledger"]
        ),
    ]
)

// swift-tools-version:6.0
import PackageDescription

let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "openclaw",
    products: [
        .executable(name: "openclaw", targets: ["CLI"]),
        .executable(name: "openclaw-bench", targets: ["Bench"]),
        .library(name: "VFS", targets: ["VFS"]),
        .library(name: "StateStore", targets: ["StateStore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", from: "2.8.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.2"),
        // Latency percentiles of the benchmarks (`openclaw-bench gateway`).
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
    ],
    targets: [
        // Small C wrappers for system calls Glibc's module does not export (statfs).
        .target(name: "CSystemShims"),
        // XXH3 checksums of stored contents: xxHash's header (Debian's libxxhash-dev) compiled
        // inline, with AVX2 chosen at run time where the processor has it.
        .target(
            name: "CChecksum",
            cSettings: [.unsafeFlags(["-O3"])]
        ),
        // SQLite connection policy, schema envelope and backups. Knows nothing of agents or files.
        .target(
            name: "Storage",
            dependencies: [
                "CSystemShims",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: strictSettings
        ),
        // The virtual filesystem: namespaces, hardened paths, chunked content. Knows nothing of agents.
        .target(
            name: "VFS",
            dependencies: [
                "Storage",
                "CChecksum",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: strictSettings
        ),
        // libfuse3, through pkg-config, with C wrappers for what Swift cannot call (macros, bit fields).
        .systemLibrary(
            name: "CFuse3",
            pkgConfig: "fuse3",
            providers: [.apt(["libfuse3-dev"])]
        ),
        // A read-only FUSE view of the VFS. Knows the VFS, nothing of agents.
        .target(
            name: "FuseMount",
            dependencies: [
                "CFuse3",
                "Storage",
                "VFS",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        // The state directory: global database, per-agent databases, agent ids.
        .target(
            name: "StateStore",
            dependencies: [
                "Storage",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: strictSettings
        ),
        // Sessions, transcripts, the model catalog, auth profiles, providers over HTTP, the agent
        // loop and its VFS tools, subagents, skills, doctor. Knows nothing of HTTP servers.
        .target(
            name: "AgentRuntime",
            dependencies: [
                "CSystemShims",
                "Storage",
                "StateStore",
                "VFS",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: strictSettings
        ),
        // The long-running server: OpenClaw's gateway protocol over WebSocket and HTTP on one
        // loopback port, on the runtime host. Writes no SQL: it calls the runtime and the VFS.
        .target(
            name: "Gateway",
            dependencies: [
                "AgentRuntime",
                "Replication",
                "StateStore",
                "Storage",
                "VFS",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        // Replication of the agents' databases to S3-compatible object storage through Litestream,
        // and the ownership leases that place each agent on one gateway. Knows nothing of agents'
        // contents, HTTP servers or the runtime.
        .target(
            name: "Replication",
            dependencies: [
                "CSystemShims",
                "StateStore",
                "Storage",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: strictSettings
        ),
        // A local model provider speaking the OpenAI and Anthropic wire formats, scripted by tests
        // and benchmarks. Never linked into `openclaw`.
        .target(
            name: "FakeProvider",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "CLI",
            dependencies: [
                "AgentRuntime",
                "Gateway",
                "Replication",
                "StateStore",
                "VFS",
                "FuseMount",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                "Storage",
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "Bench",
            dependencies: [
                "AgentRuntime",
                "Replication",
                .product(name: "GRDB", package: "GRDB.swift"),
                "FakeProvider",
                "Gateway",
                "StateStore",
                "VFS",
                "Storage",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: strictSettings
        ),
        // Helpers shared by the test targets (temporary directories).
        .target(name: "TestSupport", path: "Tests/TestSupport", swiftSettings: strictSettings),
        .testTarget(
            name: "StorageTests",
            dependencies: ["Storage", "StateStore", "TestSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "VFSTests",
            dependencies: ["VFS", "Storage", "TestSupport", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "RuntimeTests",
            dependencies: ["AgentRuntime", "FakeProvider", "VFS", "StateStore", "Storage", "TestSupport", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "GatewayTests",
            dependencies: ["Gateway", "AgentRuntime", "FakeProvider", "StateStore", "TestSupport",
                           .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                           .product(name: "AsyncHTTPClient", package: "async-http-client"),
                           .product(name: "Crypto", package: "swift-crypto"),
                           .product(name: "Subprocess", package: "swift-subprocess")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "CLITests",
            dependencies: ["VFS", "StateStore", "Storage", "TestSupport", "FakeProvider", "Gateway", "AgentRuntime", "Replication"],
            swiftSettings: strictSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)

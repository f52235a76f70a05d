// swift-tools-version:6.0
// Cablecar: a reference MLOps platform for city transportation.
// Layout: Libraries/ (shared modules), Services/ (one executable each), Simulators/,
// Benchmarks/, Tests/. Services depend on libraries, never on each other.
import PackageDescription

let package = Package(
    name: "cablecar",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "cablecar", targets: ["CablecarCLI"]),
        .executable(name: "cablecar-sim", targets: ["CablecarSim"]),
        .executable(name: "cablecar-ingest", targets: ["CablecarIngestMain"]),
        .executable(name: "cablecar-features", targets: ["CablecarFeaturesMain"]),
        .executable(name: "cablecar-trainer", targets: ["CablecarTrainerMain"]),
        .executable(name: "cablecar-forecast", targets: ["CablecarForecastMain"]),
        .executable(name: "cablecar-monitor", targets: ["CablecarMonitorMain"]),
        .executable(name: "cablecar-bench", targets: ["CablecarBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.86.0"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
    ],
    targets: [
        // MARK: Libraries
        .systemLibrary(
            name: "CRdKafka",
            path: "Libraries/CRdKafka",
            pkgConfig: "rdkafka",
            providers: [.apt(["librdkafka-dev"])]
        ),
        .target(
            name: "CablecarKafka",
            dependencies: [
                "CRdKafka",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Libraries/CablecarKafka"
        ),
        .target(
            name: "CablecarPostgres",
            dependencies: [
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Libraries/CablecarPostgres",
            resources: [.copy("Migrations")]
        ),
        .target(
            name: "CablecarService",
            dependencies: [
                "CablecarKafka",
                "CablecarPostgres",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            ],
            path: "Libraries/CablecarService"
        ),
        .target(
            name: "CablecarDomain",
            path: "Libraries/CablecarDomain"
        ),
        .target(
            name: "CablecarDrift",
            path: "Libraries/CablecarDrift"
        ),
        // Feature store libraries (issue 4).
        .target(
            name: "CablecarFeatures",
            dependencies: ["CablecarDomain", .product(name: "Crypto", package: "swift-crypto")],
            path: "Libraries/CablecarFeatures"
        ),
        .target(
            name: "CablecarFeatureClient",
            dependencies: ["CablecarDomain", "CablecarFeatures", .product(name: "Logging", package: "swift-log")],
            path: "Libraries/CablecarFeatureClient"
        ),
        .target(
            name: "CablecarLocalStack",
            dependencies: [
                .product(name: "Logging", package: "swift-log")
            ],
            path: "Libraries/CablecarLocalStack"
        ),
        // Training numerics and forecasting models (trainer).
        .systemLibrary(
            name: "COpenBLAS",
            path: "Libraries/COpenBLAS",
            providers: [.apt(["libopenblas-dev", "liblapacke-dev"])]
        ),
        .target(
            name: "CablecarNumerics",
            dependencies: ["COpenBLAS"],
            path: "Libraries/CablecarNumerics",
            // The trainer fits boosted trees whenever it has a week of training data; unoptimized,
            // their histogram loops made the debug tests of them seven times slower (98 s, not 14).
            swiftSettings: [.unsafeFlags(["-O"], .when(configuration: .debug))]
        ),
        .target(
            name: "CablecarForecasting",
            dependencies: [
                "CablecarDomain",
                "CablecarNumerics",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Libraries/CablecarForecasting"
        ),
        .target(
            name: "CablecarRegistryAPI",
            dependencies: ["CablecarDomain"],
            path: "Libraries/CablecarRegistryAPI"
        ),
        .target(
            name: "CablecarRegistry",
            dependencies: [
                "CablecarDomain",
                "CablecarKafka",
                "CablecarRegistryAPI",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            path: "Libraries/CablecarRegistry"
        ),
        .target(
            name: "CablecarRegistryHTTP",
            dependencies: [
                "CablecarDomain",
                "CablecarKafka",
                "CablecarPostgres",
                "CablecarRegistry",
                "CablecarRegistryAPI",
                "CablecarService",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Libraries/CablecarRegistryHTTP"
        ),

        // MARK: Simulators
        .target(
            name: "CablecarSimulation",
            dependencies: ["CablecarDomain"],
            path: "Simulators/CablecarSimulation",
            resources: [.copy("Resources")]
        ),
        .target(
            name: "CablecarImport",
            dependencies: ["CablecarDomain", "CablecarSimulation"],
            path: "Libraries/CablecarImport"
        ),
        .executableTarget(
            name: "CablecarSim",
            dependencies: [
                "CablecarSimulation",
                "CablecarImport",
                "CablecarDomain",
                "CablecarKafka",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Simulators/CablecarSim"
        ),

        // MARK: Services
        .target(
            name: "CablecarIngest",
            dependencies: [
                "CablecarDomain",
                "CablecarKafka",
                "CablecarPostgres",
                "CablecarService",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Services/Ingest/CablecarIngest",
            resources: [.copy("Resources")]
        ),
        .executableTarget(
            name: "CablecarIngestMain",
            dependencies: ["CablecarIngest", "CablecarService"],
            path: "Services/Ingest/Main"
        ),
        .target(
            name: "CablecarFeatureStore",
            dependencies: [
                "CablecarDomain",
                "CablecarFeatures",
                "CablecarKafka",
                "CablecarPostgres",
                "CablecarService",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Services/Features/CablecarFeatureStore",
            resources: [.copy("Resources")]
        ),
        .executableTarget(
            name: "CablecarFeaturesMain",
            dependencies: ["CablecarFeatureStore", "CablecarService"],
            path: "Services/Features/Main"
        ),
        .target(
            name: "CablecarTrainer",
            dependencies: [
                "CablecarDomain",
                "CablecarDrift",
                "CablecarFeatureClient",
                "CablecarFeatures",
                "CablecarForecasting",
                "CablecarKafka",
                "CablecarNumerics",
                "CablecarPostgres",
                "CablecarRegistry", "CablecarRegistryAPI", "CablecarRegistryHTTP",
                "CablecarService",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Services/Trainer/CablecarTrainer",
            resources: [.copy("Resources")]
        ),
        .executableTarget(
            name: "CablecarTrainerMain",
            dependencies: ["CablecarTrainer", "CablecarService", "CablecarNumerics"],
            path: "Services/Trainer/Main"
        ),
        .target(
            name: "CablecarForecast",
            dependencies: [
                "CablecarDomain",
                "CablecarFeatureClient",
                "CablecarFeatures",
                "CablecarForecasting",
                "CablecarKafka",
                "CablecarPostgres",
                "CablecarRegistry", "CablecarRegistryAPI",
                "CablecarService",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Services/Forecast/CablecarForecast",
            resources: [.copy("Resources")]
        ),
        .executableTarget(
            name: "CablecarForecastMain",
            dependencies: ["CablecarForecast", "CablecarService"],
            path: "Services/Forecast/Main"
        ),
        .target(
            name: "CablecarMonitor",
            dependencies: [
                "CablecarDomain",
                "CablecarDrift",
                "CablecarForecasting",
                "CablecarKafka",
                "CablecarPostgres",
                "CablecarRegistry", "CablecarRegistryAPI",
                "CablecarService",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Services/Monitor/CablecarMonitor",
            resources: [.copy("Resources")]
        ),
        .executableTarget(
            name: "CablecarMonitorMain",
            dependencies: ["CablecarMonitor", "CablecarService"],
            path: "Services/Monitor/Main"
        ),
        .executableTarget(
            name: "CablecarCLI",
            dependencies: [
                "CablecarLocalStack",
                "CablecarDrift",
                "CablecarDomain",
                "CablecarForecasting",
                "CablecarFeatureClient",
                "CablecarRegistryAPI",
                "CablecarSimulation",
                "CablecarImport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Services/CLI"
        ),

        // MARK: Benchmarks
        .executableTarget(
            name: "CablecarBench",
            dependencies: [
                "CablecarKafka",
                "CablecarDrift",
                "CablecarSimulation",
                "CablecarIngest",
                "CablecarFeatures",
                "CablecarForecasting",
                "CablecarNumerics",
                "CablecarRegistry", "CablecarRegistryAPI",
                "CablecarPostgres",
                "CablecarDomain",
                "CablecarService",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                "CablecarFeatureStore",
                "CablecarFeatureClient",
                "CablecarForecast",
                "CablecarMonitor",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Benchmarks/CablecarBench"
        ),

        // MARK: Tests
        .target(
            name: "CablecarTestSupport",
            dependencies: [
                "CablecarLocalStack",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/CablecarTestSupport"
        ),
        .testTarget(name: "CablecarDomainTests", dependencies: ["CablecarDomain"]),
        .testTarget(
            name: "CablecarDriftTests",
            dependencies: ["CablecarDrift"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(name: "CablecarKafkaTests", dependencies: ["CablecarKafka", "CablecarLocalStack", "CablecarTestSupport"]),
        .testTarget(
            name: "CablecarPostgresTests",
            dependencies: ["CablecarPostgres", "CablecarTestSupport", .product(name: "PostgresNIO", package: "postgres-nio")]
        ),
        .testTarget(
            name: "CablecarServiceTests",
            dependencies: [
                "CablecarService", "CablecarKafka", "CablecarPostgres", "CablecarTestSupport", "CablecarLocalStack",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ]
        ),
        .testTarget(
            name: "CablecarIngestTests",
            dependencies: [
                "CablecarIngest", "CablecarDomain", "CablecarKafka", "CablecarPostgres", "CablecarService", "CablecarSimulation",
                "CablecarTestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "CablecarFeaturesTests",
            dependencies: [
                "CablecarFeatures", "CablecarFeatureStore", "CablecarFeatureClient", "CablecarDomain", "CablecarKafka",
                "CablecarPostgres", "CablecarService", "CablecarSimulation", "CablecarTestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(name: "CablecarSimulationTests", dependencies: ["CablecarSimulation", "CablecarDomain"]),
        .testTarget(
            name: "CablecarImportTests",
            dependencies: [
                "CablecarImport", "CablecarSimulation", "CablecarDomain", "CablecarForecasting", "CablecarLocalStack",
                "CablecarTestSupport",
            ]
        ),
        .testTarget(name: "CablecarNumericsTests", dependencies: ["CablecarNumerics"]),
        .testTarget(
            name: "CablecarTrainerTests",
            dependencies: [
                "CablecarTrainer", "CablecarForecasting", "CablecarNumerics", "CablecarFeatures", "CablecarDomain",
                "CablecarSimulation", "CablecarTestSupport", "CablecarKafka", "CablecarPostgres", "CablecarService",
                "CablecarRegistry", "CablecarRegistryAPI", "CablecarRegistryHTTP", "CablecarDrift",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ]
        ),
        .testTarget(
            name: "CablecarMonitorTests",
            dependencies: [
                "CablecarMonitor", "CablecarDomain", "CablecarKafka", "CablecarPostgres", "CablecarService", "CablecarTestSupport",
                "CablecarRegistry", "CablecarRegistryAPI", "CablecarRegistryHTTP", "CablecarDrift",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "CablecarForecastTests",
            dependencies: [
                "CablecarForecast", "CablecarForecasting", "CablecarFeatures", "CablecarDomain", "CablecarKafka",
                "CablecarPostgres", "CablecarService", "CablecarRegistry", "CablecarRegistryAPI", "CablecarRegistryHTTP",
                "CablecarTestSupport", "CablecarLocalStack",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "CablecarRegistryTests",
            dependencies: [
                "CablecarRegistry", "CablecarRegistryAPI", "CablecarRegistryHTTP", "CablecarDomain", "CablecarKafka", "CablecarPostgres",
                "CablecarService", "CablecarTestSupport",
                "CablecarLocalStack",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
    ]
)

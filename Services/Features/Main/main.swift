import CablecarService

// cablecar-features: Serves point-in-time-correct features; the streaming computation arrives with the feature-store work.
// Today it runs the shared scaffolding: configuration, migrations, topics, health and metrics.
await ServiceMain.run(
    ServiceMain.Definition(
        name: "cablecar-features", defaultHTTPPort: 8082, variables: [],
        configure: { _ in () },
        topics: { _ in [] },
        build: { _, _, _ in [] }
    ))

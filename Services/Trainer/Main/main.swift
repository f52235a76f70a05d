import CablecarService

// cablecar-trainer: Trains, evaluates and registers models; training arrives with the trainer work.
// Today it runs the shared scaffolding: configuration, migrations, topics, health and metrics.
await ServiceMain.run(
    ServiceMain.Definition(
        name: "cablecar-trainer", defaultHTTPPort: 8083, variables: [],
        configure: { _ in () },
        topics: { _ in [] },
        build: { _, _, _ in [] }
    ))

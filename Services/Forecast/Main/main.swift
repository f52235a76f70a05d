import CablecarService

// cablecar-forecast: Serves traffic forecasts; the model serving arrives with the forecast work.
// Today it runs the shared scaffolding: configuration, migrations, topics, health and metrics.
await ServiceMain.run(
    ServiceMain.Definition(
        name: "cablecar-forecast", defaultHTTPPort: 8084, variables: [],
        configure: { _ in () },
        topics: { _ in [] },
        build: { _, _, _ in [] }
    ))

import CablecarService

// cablecar-monitor: Joins forecasts with actuals and watches drift; the monitoring loop arrives with the monitor work.
// Today it runs the shared scaffolding: configuration, migrations, topics, health and metrics.
await ServiceMain.run(
    ServiceMain.Definition(
        name: "cablecar-monitor", defaultHTTPPort: 8085, variables: [],
        configure: { _ in () },
        topics: { _ in [] },
        build: { _, _, _ in [] }
    ))

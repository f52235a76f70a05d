import CablecarMonitor
import CablecarService

// cablecar-monitor: joins forecasts with actuals, scores accuracy per neighborhood and window,
// and raises alerts on monitor.alerts (docs/monitor.md).
await ServiceMain.run(MonitorService.definition)

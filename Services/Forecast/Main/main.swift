import CablecarForecast
import CablecarService

// cablecar-forecast: serves traffic forecasts from the registry's production model.
// Its tasks are short (model artifacts are decoded off the event loops), so requests are handled
// on the event loops that read them.
EventLoopExecutor.install()
await ServiceMain.run(ForecastService.definition)

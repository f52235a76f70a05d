import CablecarForecast
import CablecarService

// cablecar-forecast: serves traffic forecasts from the registry's production model.
await ServiceMain.run(ForecastService.definition)

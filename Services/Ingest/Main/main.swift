import CablecarIngest
import CablecarService

await ServiceMain.run(IngestService.definition)

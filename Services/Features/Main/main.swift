import CablecarFeatureStore
import CablecarService

// cablecar-features: point-in-time-correct features, online and offline (docs/features.md).
await ServiceMain.run(FeatureStoreService.definition)

import CablecarService
import CablecarTrainer

// cablecar-trainer: trains, evaluates and registers forecasting models; gates decide promotion.
await ServiceMain.run(TrainerService.definition)

import CablecarNumerics
import CablecarService
import CablecarTrainer

// Before anything runs: OpenBLAS's kernels are chosen when it loads (`BLASKernel`).
BLASKernel.selectForThisCPU()

// cablecar-trainer: trains, evaluates and registers forecasting models; gates decide promotion.
await ServiceMain.run(TrainerService.definition)

import Testing

@testable import CablecarNumerics

/// OpenBLAS's fallback to kernels without AVX2 on a CPU that has it is replaced; every other
/// choice, and the user's own, is kept.
@Suite struct BLASKernelTests {
    static let avx512: Set<String> = ["sse2", "avx", "avx2", "fma", "avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"]
    static let avx2: Set<String> = ["sse2", "avx", "avx2", "fma"]
    static let sse: Set<String> = ["sse2", "sse3", "ssse3"]

    @Test func aFallbackOnANewerCPUIsReplacedByItsBestKernels() {
        #expect(BLASKernel.replacement(coreName: "Prescott", cpuFlags: Self.avx512, coreTypeSetting: nil) == "SkylakeX")
        #expect(BLASKernel.replacement(coreName: "Prescott", cpuFlags: Self.avx2, coreTypeSetting: nil) == "Haswell")
        #expect(BLASKernel.replacement(coreName: "NEHALEM", cpuFlags: Self.avx2, coreTypeSetting: nil) == "Haswell")
        // AVX-512 foundation alone is not what SkylakeX's kernels need.
        #expect(
            BLASKernel.replacement(coreName: "Sandybridge", cpuFlags: Self.avx2.union(["avx512f"]), coreTypeSetting: nil)
                == "Haswell")
    }

    @Test func everyOtherChoiceIsKept() {
        // Kernels with AVX2 already, even where better ones exist: the library knew the CPU.
        #expect(BLASKernel.replacement(coreName: "Haswell", cpuFlags: Self.avx512, coreTypeSetting: nil) == nil)
        #expect(BLASKernel.replacement(coreName: "SkylakeX", cpuFlags: Self.avx512, coreTypeSetting: nil) == nil)
        #expect(BLASKernel.replacement(coreName: "Zen", cpuFlags: Self.avx2, coreTypeSetting: nil) == nil)
        // An old CPU: the generic kernels are right.
        #expect(BLASKernel.replacement(coreName: "Prescott", cpuFlags: Self.sse, coreTypeSetting: nil) == nil)
        #expect(BLASKernel.replacement(coreName: "Prescott", cpuFlags: [], coreTypeSetting: nil) == nil)
        // The user chose, even the fallback itself.
        #expect(BLASKernel.replacement(coreName: "Prescott", cpuFlags: Self.avx512, coreTypeSetting: "Prescott") == nil)
        #expect(BLASKernel.replacement(coreName: "Prescott", cpuFlags: Self.avx512, coreTypeSetting: "") == nil)
    }

    @Test func thisMachineReportsItsFlagsAndKernels() {
        #expect(!BLASKernel.coreName.isEmpty)
        #if os(Linux) && arch(x86_64)
            #expect(BLASKernel.cpuFlags().contains("sse2"), "x86-64 always has SSE2: /proc/cpuinfo was not read")
        #endif
    }
}

import COpenBLAS

#if canImport(Glibc)
    import Glibc
#endif

/// Which of OpenBLAS's kernels this process computes with.
///
/// Debian's OpenBLAS (0.3.21, built for every x86 core) picks its kernels by the CPU's family and
/// model when the library loads. A model newer than the library, as virtual machines often
/// report, falls back to the generic Prescott kernels (SSE3), although the CPU has AVX2 or
/// AVX-512: on such a machine the 14-day benchmark's fit took 77.8 s with Prescott, 66.6 s with
/// Haswell's kernels and 59.7 s with SkylakeX's, the same figures to the last printed digit
/// (docs/trainer.md, *OpenBLAS kernels*). OpenBLAS reads `OPENBLAS_CORETYPE` only when it loads,
/// so a process whose library fell back sets it and starts itself again (`selectForThisCPU`).
public enum BLASKernel {
    /// OpenBLAS's own name of the kernels in use ("SkylakeX", "Haswell", "Prescott", ...).
    public static var coreName: String { String(cString: openblas_get_corename()) }

    /// Cores without AVX2. One of them chosen on a CPU with AVX2 means the library did not know
    /// the CPU's model, not that the CPU is old.
    static let coresWithoutAVX2: Set<String> = [
        "prescott", "core2", "penryn", "dunnington", "nehalem", "sandybridge", "atom", "nano", "katmai", "coppermine",
        "northwood", "banias", "athlon", "opteron", "opteron_sse3", "barcelona", "bobcat", "bulldozer", "piledriver",
    ]

    /// The kernels to ask for instead of `coreName`, given the CPU's feature flags (as
    /// /proc/cpuinfo lists them) and the environment; nil to keep what the library chose: a
    /// choice the user made (`OPENBLAS_CORETYPE` set), kernels with AVX2 already, or a CPU
    /// without AVX2.
    static func replacement(coreName: String, cpuFlags: Set<String>, coreTypeSetting: String?) -> String? {
        guard coreTypeSetting == nil, coresWithoutAVX2.contains(coreName.lowercased()) else { return nil }
        if cpuFlags.isSuperset(of: ["avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"]) { return "SkylakeX" }
        if cpuFlags.isSuperset(of: ["avx2", "fma"]) { return "Haswell" }
        return nil
    }

    /// Starts this process again with `OPENBLAS_CORETYPE` set when OpenBLAS fell back to kernels
    /// without AVX2 on a CPU that has it (see the type's comment); returns when there is nothing
    /// to do or the restart failed, leaving the library's choice. Call first in `main`, before
    /// anything else has run: the process image is replaced, with the same arguments and id.
    public static func selectForThisCPU() {
        #if os(Linux)
            let setting = getenv("OPENBLAS_CORETYPE").map { String(cString: $0) }
            guard let wanted = replacement(coreName: coreName, cpuFlags: cpuFlags(), coreTypeSetting: setting) else { return }
            setenv("OPENBLAS_CORETYPE", wanted, 1)
            var arguments: [UnsafeMutablePointer<CChar>?] = CommandLine.arguments.map { strdup($0) }
            arguments.append(nil)
            execv("/proc/self/exe", &arguments)
            // Still here: the restart failed. Keep the library's kernels, and leave no setting
            // behind that children would inherit without the reason.
            unsetenv("OPENBLAS_CORETYPE")
            for argument in arguments { free(argument) }
        #endif
    }

    /// The "flags" of the first processor in /proc/cpuinfo; empty where it cannot be read.
    static func cpuFlags() -> Set<String> {
        #if os(Linux)
            guard let file = fopen("/proc/cpuinfo", "r") else { return [] }
            defer { fclose(file) }
            var line: UnsafeMutablePointer<CChar>?
            var capacity = 0
            defer { free(line) }
            while getline(&line, &capacity, file) > 0 {
                guard let line else { break }
                let text = String(cString: line)
                guard text.hasPrefix("flags") || text.hasPrefix("Features"), let colon = text.firstIndex(of: ":") else { continue }
                let names = text[text.index(after: colon)...].split { $0 == " " || $0 == "\n" || $0 == "\t" }
                return Set(names.map(String.init))
            }
            return []
        #else
            return []
        #endif
    }
}

import CablecarLocalStack

/// Runs helper programs (python3 for YAML) from tests, with their output.
public enum ProcessRunnerForTests {
    public static func run(_ command: [String]) throws -> String {
        try ProcessRunner.run(command)
    }
}

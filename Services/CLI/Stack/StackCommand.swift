import ArgumentParser
import CablecarLocalStack
import Foundation

/// `cablecar stack up|down|status|env`: a throw-away Postgres and a local broker, no Docker.
struct StackCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stack",
        abstract: "Start, stop and inspect the local stack (throw-away Postgres + local Kafka-protocol broker).",
        subcommands: [Up.self, Down.self, Status.self, Env.self]
    )

    struct Options: ParsableArguments {
        @Option(help: "State directory (default: $CABLECAR_HOME or ./.cablecar).")
        var home: String?

        var stack: LocalStack { LocalStack(home: home.map { URL(fileURLWithPath: $0) } ?? LocalStack.defaultHome()) }
    }

    struct Up: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Start Postgres and the broker; wait until both answer.")
        @OptionGroup var options: Options
        @Option(help: "Postgres port.") var postgresPort = LocalStack.defaultPostgresPort
        @Option(help: "Broker port.") var brokerPort = LocalStack.defaultBrokerPort

        func run() async throws {
            let stack = options.stack
            let endpoints = try stack.up(postgresPort: postgresPort, brokerPort: brokerPort)
            print("stack is up")
            print("  CABLECAR_DATABASE_URL=\(endpoints.databaseURL)")
            print("  CABLECAR_KAFKA_BROKERS=\(endpoints.kafkaBrokers)")
            print("  (for a shell: source \(stack.environmentFile.path))")
        }
    }

    struct Down: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop both and delete their data.")
        @OptionGroup var options: Options

        func run() async throws {
            try options.stack.down()
            print("stack is down")
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Say what runs; exit 0 only when everything does.")
        @OptionGroup var options: Options

        func run() async throws {
            switch options.stack.status() {
            case .stopped:
                print("stack is stopped")
                throw ExitCode(3)
            case .running(let endpoints):
                print("stack is running: postgres \(endpoints.databaseURL), broker \(endpoints.kafkaBrokers)")
            case .degraded(let endpoints, let reason):
                print("stack is degraded (\(reason)): postgres port \(endpoints.postgresPort), broker port \(endpoints.brokerPort)")
                throw ExitCode(4)
            }
        }
    }

    struct Env: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print shell exports for the running stack.")
        @OptionGroup var options: Options

        func run() async throws {
            let stack = options.stack
            guard case .running = stack.status() else {
                throw ValidationError("the stack is not running: start it with `cablecar stack up`")
            }
            print(try String(contentsOf: stack.environmentFile, encoding: .utf8), terminator: "")
        }
    }
}

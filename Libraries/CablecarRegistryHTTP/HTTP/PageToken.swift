import CablecarRegistryAPI
import Foundation

/// MLflow's opaque page token: here the offset into the ordered result, base64 of its digits.
enum PageToken {
    static func offset(_ token: String?) throws -> Int {
        guard let token, !token.isEmpty else { return 0 }
        guard let data = Data(base64Encoded: token), let text = String(data: data, encoding: .utf8), let offset = Int(text),
            (0...100_000_000).contains(offset)
        else { throw RegistryError.invalid("page_token '\(token.prefix(50))' is not a token this server issued") }
        return offset
    }

    static func token(_ offset: Int) -> String { Data(String(offset).utf8).base64EncodedString() }
}

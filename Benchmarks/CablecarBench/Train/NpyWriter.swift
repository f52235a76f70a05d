import Foundation

/// Writes little-endian float64 arrays in NumPy's .npy format (version 1.0), so Python can
/// `np.load` exactly the numbers Swift fitted on.
enum NpyWriter {
    static func write(_ values: [Double], shape: [Int], to url: URL) throws {
        let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '<f8', 'fortran_order': False, 'shape': \(shapeText), }"
        // Magic (6) + version (2) + length (2) + header, padded with spaces to a multiple of 64, ending in \n.
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
        let length = UInt16(header.utf8.count)
        data.append(contentsOf: [UInt8(length & 0xFF), UInt8(length >> 8)])
        data.append(contentsOf: Array(header.utf8))
        values.withUnsafeBufferPointer { buffer in
            // x86-64 and arm64 are little-endian: the in-memory bytes are the file's.
            data.append(
                UnsafeBufferPointer(
                    start: UnsafeRawPointer(buffer.baseAddress)?.assumingMemoryBound(to: UInt8.self), count: buffer.count * 8))
        }
        try data.write(to: url)
    }
}

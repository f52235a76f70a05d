/// In-place LSD radix sort for doubles (no NaNs), several times faster than comparison sorting on
/// the hundreds of thousands of values per group and feature that drift checks sort.
enum RadixSort {
    static func sort(_ values: inout [Double]) {
        let n = values.count
        if n < 512 {
            values.sort()
            return
        }
        var keys = [UInt64](repeating: 0, count: n)
        var scratch = [UInt64](repeating: 0, count: n)
        values.withUnsafeBufferPointer { source in
            keys.withUnsafeMutableBufferPointer { k in
                for i in 0..<n { k[i] = key(source[i]) }
            }
        }
        let radixBits = 11
        let buckets = 1 << radixBits
        let mask: UInt64 = UInt64(buckets - 1)
        var counts = [Int](repeating: 0, count: buckets)
        var shift: UInt64 = 0
        while shift < 64 {
            var skip = false
            keys.withUnsafeBufferPointer { k in
                counts.withUnsafeMutableBufferPointer { c in
                    for b in 0..<buckets { c[b] = 0 }
                    for i in 0..<n { c[Int((k[i] >> shift) & mask)] += 1 }
                    // A pass where every key shares the digit changes nothing.
                    skip = c[Int((k[0] >> shift) & mask)] == n
                    var total = 0
                    for b in 0..<buckets {
                        let c0 = c[b]
                        c[b] = total
                        total += c0
                    }
                }
            }
            if !skip {
                keys.withUnsafeBufferPointer { k in
                    scratch.withUnsafeMutableBufferPointer { out in
                        counts.withUnsafeMutableBufferPointer { c in
                            for i in 0..<n {
                                let digit = Int((k[i] >> shift) & mask)
                                out[c[digit]] = k[i]
                                c[digit] += 1
                            }
                        }
                    }
                }
                swap(&keys, &scratch)
            }
            shift += UInt64(radixBits)
        }
        keys.withUnsafeBufferPointer { k in
            values.withUnsafeMutableBufferPointer { out in
                for i in 0..<n { out[i] = value(k[i]) }
            }
        }
    }

    /// Maps a double to an unsigned integer with the same order (negatives flipped entirely,
    /// positives with the sign bit set). -0.0 sorts before +0.0, which compare equal anyway.
    @inline(__always) private static func key(_ x: Double) -> UInt64 {
        let bits = x.bitPattern
        return (bits & (1 << 63)) != 0 ? ~bits : bits | (1 << 63)
    }

    @inline(__always) private static func value(_ k: UInt64) -> Double {
        let bits = (k & (1 << 63)) != 0 ? k & ~(1 << 63) : ~k
        return Double(bitPattern: bits)
    }
}

/// Assigns dense ids to distinct byte strings (group names, category labels) without allocating
/// for values already seen: an open-addressing table over FNV-1a hashes whose keys live in one
/// contiguous byte buffer.
struct ByteInterner {
    private var storage: [UInt8] = []
    private var offsets: [Int] = [0]
    private var hashes: [UInt64] = []
    private var slots: [Int32]
    private var mask: Int

    init() {
        slots = [Int32](repeating: -1, count: 64)
        mask = 63
    }

    var count: Int { hashes.count }

    mutating func intern(_ base: UnsafePointer<UInt8>, count length: Int) -> Int32 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for k in 0..<length { hash = (hash ^ UInt64(base[k])) &* 0x100_0000_01b3 }
        var slot = Int(truncatingIfNeeded: hash) & mask
        while true {
            let id = slots[slot]
            if id < 0 { break }
            if hashes[Int(id)] == hash && equals(Int(id), base, length) { return id }
            slot = (slot + 1) & mask
        }
        let id = Int32(hashes.count)
        hashes.append(hash)
        storage.append(contentsOf: UnsafeBufferPointer(start: base, count: length))
        offsets.append(storage.count)
        slots[slot] = id
        if hashes.count * 2 > slots.count { grow() }
        return id
    }

    func bytes(of id: Int) -> ArraySlice<UInt8> { storage[offsets[id]..<offsets[id + 1]] }

    private func equals(_ id: Int, _ base: UnsafePointer<UInt8>, _ length: Int) -> Bool {
        let start = offsets[id]
        let end = offsets[id + 1]
        guard end - start == length else { return false }
        for k in 0..<length where storage[start + k] != base[k] { return false }
        return true
    }

    private mutating func grow() {
        let size = slots.count * 2
        slots = [Int32](repeating: -1, count: size)
        mask = size - 1
        for (id, hash) in hashes.enumerated() {
            var slot = Int(truncatingIfNeeded: hash) & mask
            while slots[slot] >= 0 { slot = (slot + 1) & mask }
            slots[slot] = Int32(id)
        }
    }
}

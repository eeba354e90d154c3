#if canImport(Glibc)
import Glibc
#endif

/// Which invocation each worker process is serving, in memory shared across `fork` (MAP_SHARED|MAP_ANONYMOUS).
/// A worker writes its request id when it takes an invocation and clears it when the result is posted; when a
/// worker dies, the parent reads its slot to fail that one invocation at once (`Runtime.ExitError`), as Lambda
/// does for a crashed runtime, instead of leaving its caller waiting for the timeout.
final class InFlightTable {
    /// Request ids are UUIDs (36 bytes); an id longer than a slot holds is not recorded.
    static let slotSize = 128
    private let base: UnsafeMutableRawPointer
    let count: Int

    init?(count: Int) {
        let p = mmap(nil, count * Self.slotSize, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0)
        guard let p, p != MAP_FAILED else { return nil }
        base = p
        self.count = count
    }

    deinit { munmap(base, count * Self.slotSize) }

    /// Slot `index`, for the worker that owns it.
    func slot(_ index: Int) -> Slot { Slot(base: base + index * Self.slotSize) }

    /// One worker's slot: the first byte is the id's length (0: idle), the id follows.
    struct Slot {
        fileprivate let base: UnsafeMutableRawPointer

        func set(_ requestID: String) {
            var id = requestID
            id.withUTF8 { bytes in
                guard bytes.count < InFlightTable.slotSize else { return }
                (base + 1).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
                base.storeBytes(of: UInt8(bytes.count), as: UInt8.self)   // length last: the id is complete
            }
        }

        func clear() { base.storeBytes(of: 0, as: UInt8.self) }

        /// The id being served, nil when idle.
        var requestID: String? {
            let n = Int(base.load(as: UInt8.self))
            guard n > 0 else { return nil }
            return String(decoding: UnsafeRawBufferPointer(start: base + 1, count: n), as: UTF8.self)
        }
    }
}

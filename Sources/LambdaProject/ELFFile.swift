import Foundation

/// What the dynamic loader needs to know about an ELF executable or shared object: its class and machine, its
/// loader (PT_INTERP) and its dynamic section's DT_NEEDED, DT_SONAME, DT_RPATH and DT_RUNPATH.
///
/// Read from the file's bytes, never by running it: `ldd` executes the program (unsafe for untrusted XS modules,
/// impossible for another architecture's), and `readelf`/`objdump` come with binutils, which most machines that
/// package a function do not have.
public struct ELFFile: Equatable {
    public var is64Bit: Bool
    public var bigEndian: Bool
    /// e_machine: 62 x86-64, 183 aarch64, 3 i386 …
    public var machine: UInt16
    /// The program interpreter (the dynamic loader's path) of an executable; nil for most shared objects.
    public var interpreter: String?
    public var needed: [String] = []
    public var soname: String?
    public var rpath: [String] = []
    public var runpath: [String] = []

    /// True when the file at `path` starts with the ELF magic number.
    public static func isELF(_ path: String) -> Bool {
        guard let h = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? h.close() }
        return (try? h.read(upToCount: 4)) == Data([0x7f, 0x45, 0x4c, 0x46])
    }

    public init(path: String) throws {
        // mapped, not read: the bootstrap with its static Swift stdlib is tens of MB and only the headers and
        // the dynamic string table are touched
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped) } catch {
            throw ProjectError(.package, "cannot read \(path): \(error.localizedDescription)")
        }
        do { try self.init(bytes: data) } catch let e as ProjectError where e.code == .elf {
            throw ProjectError(.package, "\(path): \(e.description)")
        }
    }


    private struct Segment { var type: UInt32; var offset: UInt64; var vaddr: UInt64; var filesz: UInt64 }

    public init(bytes data: Data) throws {
        let b = [UInt8](data.prefix(64))
        guard b.count >= 16, b[0] == 0x7f, b[1] == 0x45, b[2] == 0x4c, b[3] == 0x46 else { throw ProjectError(.elf, "not an ELF file") }
        guard b[4] == 1 || b[4] == 2, b[5] == 1 || b[5] == 2 else { throw ProjectError(.elf, "unknown ELF class or byte order") }
        is64Bit = b[4] == 2
        bigEndian = b[5] == 2
        let reader = Reader(data: data, bigEndian: bigEndian)
        let w = is64Bit ? 8 : 4  // the size of an address/offset field
        machine = try reader.u16(18)
        let phoff = try reader.word(is64Bit ? 32 : 28, w)
        let phentsize = try reader.u16(is64Bit ? 54 : 42), phnum = try reader.u16(is64Bit ? 56 : 44)
        var segments: [Segment] = []
        for i in 0..<UInt64(phnum) {
            let p = phoff &+ i &* UInt64(phentsize)
            // Elf64_Phdr: type, flags, offset, vaddr, paddr, filesz …; Elf32_Phdr: type, offset, vaddr, paddr, filesz …
            let type = try reader.u32(p)
            let offset = try reader.word(p &+ (is64Bit ? 8 : 4), w)
            let vaddr = try reader.word(p &+ (is64Bit ? 16 : 8), w)
            let filesz = try reader.word(p &+ (is64Bit ? 32 : 16), w)
            segments.append(Segment(type: type, offset: offset, vaddr: vaddr, filesz: filesz))
        }
        if let interp = segments.first(where: { $0.type == 3 }) {  // PT_INTERP
            interpreter = try reader.string(interp.offset, limit: interp.offset &+ interp.filesz)
        }
        guard let dynamic = segments.first(where: { $0.type == 2 }) else { return }  // PT_DYNAMIC: none when static
        var entries: [(Int64, UInt64)] = []
        var at = dynamic.offset
        while at &+ UInt64(2 * w) <= dynamic.offset &+ dynamic.filesz {
            let tag = try reader.word(at, w), value = try reader.word(at &+ UInt64(w), w)
            let signedTag = is64Bit ? Int64(bitPattern: tag) : Int64(Int32(bitPattern: UInt32(truncatingIfNeeded: tag)))
            if signedTag == 0 { break }  // DT_NULL
            entries.append((signedTag, value))
            at = at &+ UInt64(2 * w)
        }
        // DT_STRTAB is an address: the file offset comes from the PT_LOAD segment that maps it
        guard let strtab = entries.first(where: { $0.0 == 5 })?.1 else { throw ProjectError(.elf, "dynamic section without a string table") }
        guard let load = segments.first(where: { $0.type == 1 && $0.vaddr <= strtab && strtab - $0.vaddr < $0.filesz }) else {
            throw ProjectError(.elf, "the dynamic string table is outside every loaded segment")
        }
        let base = (strtab - load.vaddr) &+ load.offset
        let size = entries.first(where: { $0.0 == 10 })?.1 ?? (load.offset &+ load.filesz &- base)  // DT_STRSZ
        func string(_ offset: UInt64) throws -> String {
            guard offset < size else { throw ProjectError(.elf, "a dynamic entry points past the string table") }
            return try reader.string(base &+ offset, limit: base &+ size)
        }
        for (tag, value) in entries {
            switch tag {
            case 1: needed.append(try string(value))  // DT_NEEDED
            case 14: soname = try string(value)  // DT_SONAME
            case 15: rpath += try string(value).split(separator: ":").map(String.init)  // DT_RPATH
            case 29: runpath += try string(value).split(separator: ":").map(String.init)  // DT_RUNPATH
            default: break
            }
        }
    }

    /// Whether a library of `other`'s class and machine can be loaded into this object's process.
    public func canLoad(_ other: ELFFile) -> Bool {
        other.is64Bit == is64Bit && other.bigEndian == bigEndian && other.machine == machine
    }

    /// Offsets and sizes come from the file: arithmetic on them wraps (&+, &*) instead of trapping, and every read
    /// is bounds-checked, so a corrupt file is an error, never a crash.
    private struct Reader {
        let data: Data
        let bigEndian: Bool

        func bytes(_ offset: UInt64, _ count: Int) throws -> [UInt8] {
            guard offset <= UInt64(data.count), UInt64(count) <= UInt64(data.count) - offset else {
                throw ProjectError(.elf, "truncated ELF file")
            }
            let start = data.startIndex + Int(offset)
            let b = [UInt8](data[start..<start + count])
            return bigEndian ? b.reversed() : b
        }
        func unsigned(_ offset: UInt64, _ count: Int) throws -> UInt64 {
            try bytes(offset, count).reversed().reduce(0) { $0 << 8 | UInt64($1) }
        }
        func u16(_ offset: UInt64) throws -> UInt16 { UInt16(try unsigned(offset, 2)) }
        func u32(_ offset: UInt64) throws -> UInt32 { UInt32(try unsigned(offset, 4)) }
        func word(_ offset: UInt64, _ width: Int) throws -> UInt64 { try unsigned(offset, width) }
        func string(_ offset: UInt64, limit: UInt64) throws -> String {
            guard offset < UInt64(data.count) else { throw ProjectError(.elf, "truncated ELF file") }
            let end = min(limit, UInt64(data.count))
            var out: [UInt8] = []
            var i = offset
            while i < end {
                let c = data[data.startIndex + Int(i)]
                if c == 0 { return String(decoding: out, as: UTF8.self) }
                out.append(c)
                i += 1
            }
            throw ProjectError(.elf, "unterminated string in the ELF file")
        }
    }
}

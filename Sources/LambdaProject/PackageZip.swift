import Foundation
import ZIPFoundation

/// Lambda's size limits for deployment packages and images.
public enum LambdaLimits {
    /// A .zip uploaded directly (CreateFunction/UpdateFunctionCode ZipFile, PublishLayerVersion).
    public static let zippedUpload: Int64 = 50 * 1024 * 1024
    /// Function code plus all its layers, unzipped.
    public static let unzipped: Int64 = 250 * 1024 * 1024
    /// A container image (uncompressed, all layers).
    public static let image: Int64 = 10 * 1024 * 1024 * 1024

    public static func megabytes(_ bytes: Int64) -> String { String(format: "%.1f MB", Double(bytes) / 1_048_576) }
}

/// One file of a package: where it goes in the zip and where its bytes come from.
public struct PackageEntry: Equatable {
    public enum Source: Equatable { case file(String), bytes([UInt8]) }
    public var path: String
    public var source: Source
    public var executable: Bool

    public init(path: String, source: Source, executable: Bool) {
        self.path = path
        self.source = source
        self.executable = executable
    }

    /// A file on disk; executable when any x bit is set. Symlinks are followed (the zip holds a copy).
    public static func file(_ path: String, at source: String) throws -> PackageEntry {
        let attributes = try FileManager.default.attributesOfItem(atPath: source)
        let mode = (attributes[.posixPermissions] as? NSNumber)?.intValue ?? 0o644
        return PackageEntry(path: path, source: .file(source), executable: mode & 0o111 != 0)
    }

    /// Writes the file at `path` under `root` (0755 or 0644), creating its folders.
    public func write(under root: URL) throws {
        let url = root.appendingPathComponent(path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try contents().write(to: url)
        try FileManager.default.setAttributes([.posixPermissions: executable ? 0o755 : 0o644], ofItemAtPath: url.path)
    }

    func contents() throws -> Data {
        switch source {
        case .bytes(let b): return Data(b)
        case .file(let p):
            guard let d = FileManager.default.contents(atPath: p) else { throw ProjectError(.package, "cannot read \(p)") }
            return d
        }
    }
}


/// Sizes of a written zip, checked against Lambda's limits.
public struct PackageSizes: Equatable {
    public var files: Int
    public var zipped: Int64
    public var unzipped: Int64

    /// Lines for the user: each size against its limit.
    public func report(layer: Bool) -> [String] {
        let upload = 100 * Double(zipped) / Double(LambdaLimits.zippedUpload)
        let total = 100 * Double(unzipped) / Double(LambdaLimits.unzipped)
        return [
            "\(files) file\(files == 1 ? "" : "s"), \(LambdaLimits.megabytes(zipped)) zipped (\(String(format: "%.0f", upload))% of the 50 MB direct-upload limit)",
            "\(LambdaLimits.megabytes(unzipped)) unzipped (\(String(format: "%.0f", total))% of the 250 MB limit for "
                + (layer ? "a function and all its layers)" : "the function plus its layers)"),
        ]
    }

    /// The limit this package breaks, if any.
    public func violation() -> String? {
        if unzipped > LambdaLimits.unzipped {
            return "the package is \(LambdaLimits.megabytes(unzipped)) unzipped: Lambda allows 250 MB for a function and its layers "
                + "(use a container image, up to 10 GB)"
        }
        if zipped > LambdaLimits.zippedUpload {
            return "the zip is \(LambdaLimits.megabytes(zipped)): Lambda accepts at most 50 MB uploaded directly "
                + "(upload it to S3 and pass --code S3Bucket=...,S3Key=..., or use a container image)"
        }
        return nil
    }
}

/// Writes zips whose bytes depend only on the entries: sorted paths, one fixed timestamp, fixed permissions
/// (0755 or 0644), no directory entries, no extra fields, deflate at zlib's default level.
public enum ReproducibleZip {
    /// 1980-01-01 00:00:00 UTC, the earliest MS-DOS time a zip can hold (ZIPFoundation converts with gmtime).
    public static let timestamp = Date(timeIntervalSince1970: 315_532_800)

    @discardableResult
    public static func write(_ entries: [PackageEntry], to output: URL) throws -> PackageSizes {
        var seen = Set<String>()
        for e in entries {
            guard !e.path.isEmpty, !e.path.hasPrefix("/"), !e.path.split(separator: "/").contains("..") else {
                throw ProjectError(.package, "invalid path in package: '\(e.path)'")
            }
            guard seen.insert(e.path).inserted else { throw ProjectError(.package, "two files at '\(e.path)' in the package") }
        }
        let sorted = entries.sorted { Array($0.path.utf8).lexicographicallyPrecedes(Array($1.path.utf8)) }
        let fm = FileManager.default
        let tmp = output.deletingLastPathComponent().appendingPathComponent(".\(output.lastPathComponent).\(getpid()).tmp")
        try? fm.removeItem(at: tmp)
        let archive: Archive
        do {
            archive = try Archive(url: tmp, accessMode: .create)
        } catch {
            throw ProjectError(.package, "cannot create \(output.path): \(error)")
        }
        var unzipped: Int64 = 0
        do {
            for e in sorted {
                let data = try e.contents()
                unzipped += Int64(data.count)
                try archive.addEntry(with: e.path, type: .file, uncompressedSize: Int64(data.count),
                                     modificationDate: timestamp, permissions: e.executable ? 0o755 : 0o644,
                                     compressionMethod: .deflate) { position, size in
                    data.subdata(in: Data.Index(position)..<Data.Index(position) + size)
                }
            }
        } catch {
            try? fm.removeItem(at: tmp)
            throw error is ProjectError ? error : ProjectError(.package, "cannot write \(output.path): \(error)")
        }
        _ = try? fm.removeItem(at: output)
        try fm.moveItem(at: tmp, to: output)
        let size = (try fm.attributesOfItem(atPath: output.path)[.size] as? NSNumber)?.int64Value ?? 0
        return PackageSizes(files: sorted.count, zipped: size, unzipped: unzipped)
    }
}

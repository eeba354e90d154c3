/// The architecture and perl of a perl-lambda runtime image (`perl-lambda image build --arch ARCH --perl VERSION`,
/// `images/build.sh --arch --perl`), and what follows from them: the tags, the OS image base.Dockerfile starts
/// FROM, `docker build --platform`, and which files beside perl-lambda go into the base image.
///
/// The default target is this machine's architecture with the perl of the `bootstrap` beside perl-lambda (Debian
/// 12's 5.36 for a release build): its images keep the plain tags perl-lambda:base and perl-lambda:build. Any other
/// is tagged `base-<arch>-perl<ver>` / `build-<arch>-perl<ver>` and built from `bootstrap-<arch>-perl<ver>`, which
/// `make layer ARCH=… PERL=…` leaves beside perl-lambda. Images of another architecture than this machine's carry
/// the AWS RIE of theirs (`aws-lambda-rie-<arch>`, also left there by `make layer`) as their local server:
/// perl-lambda itself is built for this machine only (its SwiftPM dependencies need Swift 6.1, the cross
/// toolchain the layers are built with is Debian trixie's 6.0.3).
public struct RuntimeImageTarget: Equatable, Sendable {
    /// The perls there are images for, with the Debian image whose `perl` package is that perl.
    public static let osImages: [String: String] = ["5.36": "debian:bookworm-slim", "5.40": "debian:trixie-slim"]

    /// `x86_64` or `arm64`.
    public var architecture: String
    /// A perl series, `5.36` or `5.40`.
    public var perl: String
    /// This machine's architecture and the perl of the bootstrap beside perl-lambda.
    public var isDefault: Bool
    /// `docker build --platform`: when an architecture was asked for, or the target is not the default one.
    public var platform: String?

    public init(architecture: String, perl: String, isDefault: Bool, platform: String?) {
        self.architecture = architecture
        self.perl = perl
        self.isDefault = isDefault
        self.platform = platform
    }

    /// The target of `--arch` and `--perl` (each optional). `defaultPerl` tells the perl (`5.36.0`) of the bootstrap
    /// beside perl-lambda; it is asked only when needed, and when it fails, `--perl` is needed for the default
    /// architecture only if a target other than the default was meant.
    public static func resolve(architecture: String?, perl: String?, host: String = Scaffold.hostArchitecture,
                               defaultPerl: () throws -> String) throws -> RuntimeImageTarget {
        if let architecture, !Scaffold.architectures.contains(architecture) {
            throw ProjectError(.image, "--arch must be \(Scaffold.architectures.joined(separator: " or ")), not '\(architecture)'")
        }
        if let perl, osImages[perl] == nil {
            throw ProjectError(.image, "--perl must be \(osImages.keys.sorted().joined(separator: " or ")) (the perls of Debian's "
                + "bookworm and trixie), not '\(perl)'")
        }
        let arch = architecture ?? host
        let platform = architecture.map(Self.platform(of:))
        let native: String?
        if arch == host || perl == nil {
            do { native = series(try defaultPerl()) } catch {
                guard perl != nil else {
                    throw ProjectError(.image, "\(error); give --perl \(osImages.keys.sorted().joined(separator: " or "))")
                }
                native = nil
            }
        } else {
            native = nil
        }
        let chosen = perl ?? native!
        guard osImages[chosen] != nil else {
            throw ProjectError(.image, "the bootstrap beside perl-lambda embeds perl \(chosen), for which there is no Debian image "
                + "to build on: give --perl \(osImages.keys.sorted().joined(separator: " or ")), or --base IMAGE")
        }
        let isDefault = arch == host && chosen == native
        return RuntimeImageTarget(architecture: arch, perl: chosen, isDefault: isDefault,
                                  platform: platform ?? (isDefault ? nil : Self.platform(of: arch)))
    }

    /// No --arch or --perl: this machine's architecture and the bootstrap's perl, which is 5.36 until
    /// `RuntimeImages.learnDefaultPerl` has asked the bootstrap (only done when the base image must be built).
    public static let hostDefault = RuntimeImageTarget(architecture: Scaffold.hostArchitecture, perl: "5.36", isDefault: true,
                                                       platform: nil)

    /// `5.40.1` → `5.40`.
    public static func series(_ version: String) -> String {
        version.split(separator: ".").prefix(2).joined(separator: ".")
    }

    /// Docker's name of an architecture: `linux/amd64`, `linux/arm64`.
    public static func platform(of architecture: String) -> String {
        architecture == "arm64" ? "linux/arm64" : "linux/amd64"
    }

    /// `""` for the default target, else `-arm64-perl5.40`.
    public var suffix: String { isDefault ? "" : "-\(architecture)-perl\(perl)" }
    public var base: String { "perl-lambda:base" + suffix }
    public var build: String { "perl-lambda:build" + suffix }
    /// The OS image base.Dockerfile starts FROM.
    public var osImage: String { Self.osImages[perl]! }
    /// The bootstrap's file name beside perl-lambda.
    public var bootstrapName: String { "bootstrap" + suffix }
    /// The image's local server beside perl-lambda, when it is not perl-lambda itself: the AWS RIE of another
    /// architecture.
    public func rieName(host: String = Scaffold.hostArchitecture) -> String? {
        architecture == host ? nil : "aws-lambda-rie-\(architecture)"
    }
}

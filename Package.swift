// swift-tools-version:6.0
import PackageDescription
import Foundation

/// Perl's CORE directory (headers + libperl) of the perl on PATH, discovered at manifest time so no
/// version is ever hard-coded. Only the C target `CPerl` sees it: perl's headers must never reach
/// Swift's include path (they shadow glibc headers and break the Glibc module).
func perlConfig(_ expr: String) -> String {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = ["perl", "-MConfig", "-e", "print \(expr)"]
    let pipe = Pipe()
    p.standardOutput = pipe
    do { try p.run() } catch { return "" }
    p.waitUntilExit()
    return String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
}
let perlCore = ProcessInfo.processInfo.environment["PERL_CORE_DIR"] ?? (perlConfig("$Config{archlibexp}") + "/CORE")
let perlCCFlags = perlConfig("$Config{ccflags}").split(separator: " ").map(String.init)
    .filter { $0.hasPrefix("-D") || $0 == "-fwrapv" || $0 == "-fno-strict-aliasing" }
/// modules.c falls back to the assembler's .incbin (by absolute path) where clang has no #embed (Swift 6.0).
let sourceRoot = "-DPERL_LAMBDA_SOURCE_ROOT=\"\(Context.packageDirectory)\""

/// The bootstrap's per-invocation path runs on one thread; dynamic exclusivity checks cost ~5% of its
/// instructions there (measured with callgrind), so these modules are compiled without them.
let hotPath: [SwiftSetting] = [.unsafeFlags(["-enforce-exclusivity=unchecked"])]

/// The runtime (the `bootstrap` product): no package dependencies, so it also builds with Swift 6.0.
let runtimeTargets: [Target] = [
    // The only code that includes perl.h. Its public header is plain C with opaque pointers.
    .target(
        name: "CPerl",
        cSettings: [
            .unsafeFlags(["-I", perlCore, "-O2", sourceRoot] + perlCCFlags),
        ],
        linkerSettings: [
            .unsafeFlags(["-L", perlCore, "-Xlinker", "-E"]),
            .linkedLibrary("perl"),
            .linkedLibrary("m"),
            .linkedLibrary("dl"),
            .linkedLibrary("crypt"),
        ]
    ),
    // Process-level system calls (prctl, C signal handlers) for the bootstrap and the emulator. No Perl.
    .target(name: "CProcess"),
    // The Perl bridge: one interpreter on its own thread, calls, die/exit trapping, JSON codec. No HTTP.
    .target(name: "PerlBridge", dependencies: ["CPerl", "CProcess", "LambdaWire"], swiftSettings: hotPath),
    // Runtime API / Invoke API wire format: paths, headers, limits, error shapes. Pure, no sockets.
    .target(name: "LambdaWire", swiftSettings: hotPath),
    // The bootstrap's Runtime API client and event loop.
    .target(
        name: "LambdaRuntime",
        dependencies: ["PerlBridge", "LambdaWire", "CProcess"],
        swiftSettings: hotPath
    ),
    .executableTarget(name: "bootstrap", dependencies: ["LambdaRuntime"]),
]

/// The CLI (emulator, packaging, images) and the tests.
let cliTargets: [Target] = [
    // The local emulator: Invoke API for callers, Runtime API for function processes, environment pool.
    .target(
        name: "LambdaEmulator",
        dependencies: [
            "LambdaWire", "CProcess",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]
    ),
    // images/'s Dockerfiles and entrypoint, compiled into perl-lambda (image build makes missing base images).
    .target(name: "CImageFiles"),
    // Function projects: scaffolding (init), SAM templates, zip/layer packaging, container images.
    .target(
        name: "LambdaProject",
        dependencies: [
            "LambdaWire", "CImageFiles",
            .product(name: "Yams", package: "Yams"),
            .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            .product(name: "Logging", package: "swift-log"),
        ]
    ),
    // The `perl-lambda` CLI: thin commands over LambdaEmulator and LambdaProject.
    .executableTarget(
        name: "perl-lambda",
        dependencies: [
            "LambdaEmulator", "LambdaProject", "LambdaWire",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]
    ),
    .testTarget(name: "LambdaProjectTests", dependencies: ["LambdaProject"]),
    .testTarget(
        name: "LambdaEmulatorTests",
        dependencies: [
            "LambdaEmulator", "LambdaWire",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ]
    ),
    .testTarget(name: "LambdaWireTests", dependencies: ["LambdaWire"]),
    .testTarget(name: "PerlBridgeTests", dependencies: ["PerlBridge", "LambdaWire"]),
    .testTarget(
        name: "LambdaRuntimeTests",
        dependencies: [
            "LambdaRuntime", "LambdaWire", "CProcess",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ]
    ),
]

// Linux only: the runtime and the emulator use Linux system calls (prctl, /proc, posix_spawn extensions) and
// Lambda runs Linux; no other platform is declared.
#if compiler(>=6.1)
let package = Package(
    name: "perl-lambda",
    products: [
        .executable(name: "bootstrap", targets: ["bootstrap"]),
        .executable(name: "perl-lambda", targets: ["perl-lambda"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
    ],
    targets: runtimeTargets + cliTargets,
    swiftLanguageModes: [.v5]
)
#else
// Swift 6.0 (Debian trixie's swiftlang 6.0.3, which builds the x86_64/perl 5.40 and the arm64 layers): the CLI's
// dependencies' manifests need tools 6.1+ (swift-nio, swift-log), so only the runtime is declared.
let package = Package(
    name: "perl-lambda",
    products: [.executable(name: "bootstrap", targets: ["bootstrap"])],
    targets: runtimeTargets,
    swiftLanguageModes: [.v5]
)
#endif

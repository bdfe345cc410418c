// swift-tools-version: 6.1
//
// logscan: read append-only log segments (native, LevelDB/RocksDB WAL, Kafka) by
// mapping them into memory. One module per concern:
//   CLZ4             system library over Debian's liblz4-dev
//   CPCRE2           system library over Debian's libpcre2-dev (grep's regex engine)
//   CZlib, CZstd     system libraries over zlib1g-dev and libzstd-dev (Kafka codecs)
//   CLogScanSupport  the C that Swift cannot express: hardware CRC32C, the SIGBUS guard
//   LogScan          the library: I/O -> formats -> replay -> search
//   logscan          the command-line tool (argument parsing and printers only)
import PackageDescription

let package = Package(
    name: "logscan",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "LogScan", targets: ["LogScan"]),
        .executable(name: "logscan", targets: ["logscan"]),
        .executable(name: "logscan-fuzz", targets: ["logscan-fuzz"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-system", from: "1.4.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CLZ4",
            pkgConfig: "liblz4",
            providers: [.apt(["liblz4-dev"])]
        ),
        .systemLibrary(
            name: "CPCRE2",
            pkgConfig: "libpcre2-8",
            providers: [.apt(["libpcre2-dev"])]
        ),
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        .systemLibrary(
            name: "CZstd",
            pkgConfig: "libzstd",
            providers: [.apt(["libzstd-dev"])]
        ),
        .target(name: "CLogScanSupport"),
        .target(
            name: "LogScan",
            dependencies: [
                "CLZ4",
                "CPCRE2",
                "CZlib",
                "CZstd",
                "CLogScanSupport",
                .product(name: "SystemPackage", package: "swift-system"),
            ]
        ),
        .executableTarget(
            name: "logscan",
            dependencies: [
                "LogScan",
                "CLogScanSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Fuzz targets; a weak LLVMFuzzerRunDriver lets the same binary
        // replay a corpus in an ordinary build (scripts/fuzz.sh).
        .target(name: "CFuzzDriver"),
        .executableTarget(
            name: "logscan-fuzz",
            dependencies: ["LogScan", "CFuzzDriver"]
        ),
        .testTarget(
            name: "LogScanTests",
            // The executable is a dependency so that `swift test` builds it:
            // the CLI tests run it as a subprocess.
            dependencies: ["LogScan", "CLogScanSupport", "logscan"]
        ),
    ]
)

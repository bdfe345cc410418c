// Fuzz targets for logscan's parsers. Choose one with --target=NAME (or
// LOGSCAN_FUZZ_TARGET); the remaining arguments go to libFuzzer, or, in an
// ordinary build, name corpus files and directories to replay.
//
//   swift build -c release -Xswiftc -sanitize=fuzzer,address --product logscan-fuzz
//   SWIFT_BACKTRACE=enable=no .build/release/logscan-fuzz --target=native-segment CORPUS -max_total_time=30
//
// scripts/fuzz.sh does this for every target.
import CFuzzDriver
import LogScan
#if canImport(Glibc)
import Glibc
#endif

let targets: [String: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32] = [
    "native-segment": { data, size in FuzzTargets.nativeSegment(UnsafeRawBufferPointer(start: data, count: size)); return 0 },
    "native-index": { data, size in FuzzTargets.nativeIndex(UnsafeRawBufferPointer(start: data, count: size)); return 0 },
    "lz4-block": { data, size in FuzzTargets.lz4Block(UnsafeRawBufferPointer(start: data, count: size)); return 0 },
    "search": { data, size in FuzzTargets.search(UnsafeRawBufferPointer(start: data, count: size)); return 0 },
    "prefilter": { data, size in FuzzTargets.prefilter(UnsafeRawBufferPointer(start: data, count: size)); return 0 },
    "kafka-segment": { data, size in FuzzTargets.kafkaSegment(UnsafeRawBufferPointer(start: data, count: size)); return 0 },
    "kafka-index": { data, size in FuzzTargets.kafkaIndex(UnsafeRawBufferPointer(start: data, count: size)); return 0 },
    "wal-log": { data, size in FuzzTargets.walLog(UnsafeRawBufferPointer(start: data, count: size)); return 0 },
    "write-batch": { data, size in FuzzTargets.writeBatch(UnsafeRawBufferPointer(start: data, count: size)); return 0 },
    "kafka-codecs": { data, size in FuzzTargets.kafkaCodecs(UnsafeRawBufferPointer(start: data, count: size)); return 0 },
]

var arguments = CommandLine.arguments
var chosen = getenv("LOGSCAN_FUZZ_TARGET").map { String(cString: $0) }
if let flag = arguments.firstIndex(where: { $0.hasPrefix("--target=") }) {
    chosen = String(arguments[flag].dropFirst("--target=".count))
    arguments.remove(at: flag)
}
guard let name = chosen, let target = targets[name] else {
    let known = targets.keys.sorted().joined(separator: ", ")
    let usage = "usage: logscan-fuzz --target=NAME [libFuzzer options | corpus paths]\ntargets: \(known)\n"
    _ = usage.withCString { write(2, $0, strlen($0)) }
    exit(2)
}
var cArguments = arguments.map { strdup($0) }
let status = logscan_fuzz_run(Int32(cArguments.count), &cArguments, target)
exit(status)

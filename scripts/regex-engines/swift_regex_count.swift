// Counts the lines of a file that match a regular expression with Swift's
// `Regex`, the way `logscan grep -c` counts matching records. Only for the
// engine comparison in scripts/bench.py (section `grep`); built there with
// `swiftc -O`. Not part of the package.
//
//   swift_regex_count PATTERN FILE
import Foundation

let arguments = CommandLine.arguments
guard arguments.count == 3, let data = FileManager.default.contents(atPath: arguments[2]) else {
    FileHandle.standardError.write("usage: swift_regex_count PATTERN FILE\n".data(using: .utf8)!)
    exit(2)
}
let regex = try Regex(arguments[1])
var count = 0
let text = String(decoding: data, as: UTF8.self)
for line in text.split(separator: "\n", omittingEmptySubsequences: false) where line.contains(regex) {
    count += 1
}
print(count)

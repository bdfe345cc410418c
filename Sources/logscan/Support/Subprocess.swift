#if canImport(Glibc)
import Glibc
#endif

/// Runs a program and collects its standard output (standard error passes
/// through). `bench` re-runs this binary once per I/O path, so that page
/// faults and peak RSS belong to that path alone.
enum Subprocess {
    /// This process's executable (/proc/self/exe resolved), or nil.
    static func selfExecutable() -> String? {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard n > 0 else { return nil }
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Spawns `executable` with `arguments`, waits for it, returns its exit
    /// status (-1 when it could not run or died of a signal) and its stdout.
    static func run(_ executable: String, _ arguments: [String]) -> (status: Int32, output: [UInt8]) {
        var pipeEnds: [Int32] = [-1, -1]
        guard pipe(&pipeEnds) == 0 else { return (-1, []) }
        // Neither end leaks into the child beyond its dup2 onto stdout.
        for fd in pipeEnds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, pipeEnds[1], 1)
        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var pid = pid_t()
        let spawned = posix_spawn(&pid, executable, &actions, nil, argv, environ)
        close(pipeEnds[1])
        guard spawned == 0 else { close(pipeEnds[0]); return (-1, []) }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(pipeEnds[0], $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            output += chunk[0..<n]
        }
        close(pipeEnds[0])
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        // WIFEXITED / WEXITSTATUS are macros: spelled out.
        let exited = status & 0x7F == 0
        return (exited ? (status >> 8) & 0xFF : -1, output)
    }
}

/// A flat JSON object (string, number, boolean and null values), enough to
/// read back the one line a `bench --run-path` child prints.
enum FlatJSON {
    enum Value: Equatable {
        case string(String), number(Double), bool(Bool), null
        var double: Double? { if case .number(let v) = self { return v }; return nil }
        var string: String? { if case .string(let v) = self { return v }; return nil }
    }

    static func parse(_ text: String) -> [String: Value]? {
        var bytes = Array(text.utf8)[...]
        func skipSpace() { while let b = bytes.first, b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 { bytes.removeFirst() } }
        func expect(_ c: UInt8) -> Bool { skipSpace(); guard bytes.first == c else { return false }; bytes.removeFirst(); return true }
        func string() -> String? {
            guard expect(0x22) else { return nil }
            var out: [UInt8] = []
            while let b = bytes.popFirst() {
                if b == 0x22 { return String(decoding: out, as: UTF8.self) }
                guard b == 0x5C else { out.append(b); continue }
                guard let e = bytes.popFirst() else { return nil }
                switch e {
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "u"):
                    guard bytes.count >= 4, let v = UInt32(String(decoding: bytes.prefix(4), as: UTF8.self), radix: 16),
                          let scalar = Unicode.Scalar(v) else { return nil }
                    bytes.removeFirst(4)
                    out += Array(String(Character(scalar)).utf8)
                default: out.append(e)
                }
            }
            return nil
        }
        guard expect(0x7B) else { return nil }
        var result: [String: Value] = [:]
        if expect(0x7D) { return result }
        while true {
            guard let key = string(), expect(0x3A) else { return nil }
            skipSpace()
            switch bytes.first {
            case 0x22: guard let s = string() else { return nil }; result[key] = .string(s)
            case UInt8(ascii: "t"): guard bytes.starts(with: "true".utf8) else { return nil }; bytes.removeFirst(4); result[key] = .bool(true)
            case UInt8(ascii: "f"): guard bytes.starts(with: "false".utf8) else { return nil }; bytes.removeFirst(5); result[key] = .bool(false)
            case UInt8(ascii: "n"): guard bytes.starts(with: "null".utf8) else { return nil }; bytes.removeFirst(4); result[key] = .null
            default:
                var token: [UInt8] = []
                while let b = bytes.first, b != 0x2C && b != 0x7D && b != 0x20 { token.append(b); bytes.removeFirst() }
                guard let v = Double(String(decoding: token, as: UTF8.self)) else { return nil }
                result[key] = .number(v)
            }
            if expect(0x2C) { continue }
            return expect(0x7D) ? result : nil
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif

/// A file logscan writes: only its own native segments and indexes, never a
/// file it was asked to read. Thin wrappers that turn errno into LogScanError.
struct WritableFile: ~Copyable {
    let path: String
    let fd: Int32

    enum Creation { case createNew, openExisting, replace }

    init(path: String, _ creation: Creation) throws(LogScanError) {
        var flags = O_WRONLY | O_CLOEXEC
        switch creation {
        case .createNew: flags |= O_CREAT | O_EXCL
        case .openExisting: break
        case .replace: flags |= O_CREAT | O_TRUNC
        }
        let fd = open(path, flags, 0o644)
        guard fd >= 0 else { throw LogScanError(path: path, .system(operation: "open for writing", errno: errno)) }
        self.path = path
        self.fd = fd
    }

    deinit { close(fd) }

    func write(_ bytes: UnsafeRawBufferPointer, at offset: Int64) throws(LogScanError) {
        var done = 0
        while done < bytes.count {
            let n = pwrite(fd, bytes.baseAddress! + done, bytes.count - done, off_t(offset + Int64(done)))
            if n < 0 {
                if errno == EINTR { continue }
                throw LogScanError(path: path, position: offset + Int64(done), .system(operation: "write", errno: errno))
            }
            done += n
        }
    }

    func write(_ bytes: [UInt8], at offset: Int64) throws(LogScanError) {
        try bytes.withTypedThrowingBytes { (raw) throws(LogScanError) in try write(raw, at: offset) }
    }

    func sync() throws(LogScanError) {
        guard fsync(fd) == 0 else { throw LogScanError(path: path, .system(operation: "fsync", errno: errno)) }
    }

    func truncate(to size: Int64) throws(LogScanError) {
        guard ftruncate(fd, off_t(size)) == 0 else {
            throw LogScanError(path: path, position: size, .system(operation: "ftruncate", errno: errno))
        }
    }

    /// Makes a rename or a new file in `directory` durable.
    static func syncDirectory(_ directory: String) throws(LogScanError) {
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw LogScanError(path: directory, .system(operation: "open", errno: errno)) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw LogScanError(path: directory, .system(operation: "fsync", errno: errno)) }
    }

    /// Writes `bytes` to a temporary file beside `path`, syncs it and renames
    /// it over `path`: readers see the old file or the new one, never a mix.
    static func replaceAtomically(_ path: String, with bytes: [UInt8]) throws(LogScanError) {
        let temporary = path + ".tmp"
        do {
            let file = try WritableFile(path: temporary, .replace)
            try file.write(bytes, at: 0)
            try file.sync()
        }
        guard rename(temporary, path) == 0 else {
            throw LogScanError(path: path, .system(operation: "rename", errno: errno))
        }
        try syncDirectory(Directory.parent(path))
    }
}

/// Milliseconds since the epoch, from the realtime clock.
public func currentTimeMillis() -> Int64 {
    var now = timespec()
    clock_gettime(CLOCK_REALTIME, &now)
    return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
}

#if canImport(Glibc)
import Glibc
#endif
import SystemPackage
import CLogScanSupport

/// An open, read-only file descriptor with what logscan needs to know about
/// it before choosing how to read it. Closing is explicit or at deinit.
public final class OpenFile {
    public enum FileKind: Sendable, Equatable {
        case regular, directory, fifo, characterDevice, blockDevice, socket, other
    }

    public let path: String
    public let descriptor: FileDescriptor
    public let kind: FileKind
    /// The size at open (refresh with `currentSize()`); meaningless for streams.
    public let sizeAtOpen: Int64
    /// The huge page size when the file lives on hugetlbfs.
    public let hugetlbPageSize: Int?
    /// /proc, /sys and friends report size 0 for files that have content:
    /// they can only be read as streams.
    public let isPseudoFile: Bool
    private var closed = false

    /// Opens `path` read-only; "-" is standard input (not closed by us).
    public init(path: String) throws(LogScanError) {
        self.path = path
        let fd: FileDescriptor
        if path == "-" {
            fd = .standardInput
        } else {
            do {
                fd = try FileDescriptor.open(FilePath(path), .readOnly, options: [.closeOnExec])
            } catch let error as Errno {
                throw LogScanError(path: path, .system(operation: "open", errno: error.rawValue))
            } catch {
                throw LogScanError(path: path, .system(operation: "open", errno: EIO))
            }
        }
        var st = stat()
        guard fstat(fd.rawValue, &st) == 0 else {
            let e = errno
            if path != "-" { try? fd.close() }
            throw LogScanError(path: path, .system(operation: "fstat", errno: e))
        }
        switch st.st_mode & S_IFMT {
        case S_IFREG: kind = .regular
        case S_IFDIR: kind = .directory
        case S_IFIFO: kind = .fifo
        case S_IFCHR: kind = .characterDevice
        case S_IFBLK: kind = .blockDevice
        case S_IFSOCK: kind = .socket
        default: kind = .other
        }
        var fsType: Int64 = 0, fsBlockSize: Int64 = 0
        var hugePage: Int? = nil
        var pseudo = false
        if logscan_fs_info(fd.rawValue, &fsType, &fsBlockSize) == 0 {
            switch fsType {
            case 0x9584_58F6: hugePage = Int(fsBlockSize)  // HUGETLBFS_MAGIC
            case 0x9FA0, 0x6265_6572, 0x6462_6720, 0x7472_6163:  // proc, sysfs, debugfs, tracefs
                pseudo = true
            default: break
            }
        }
        descriptor = fd
        sizeAtOpen = Int64(st.st_size)
        hugetlbPageSize = hugePage
        isPseudoFile = pseudo
    }

    deinit { close() }

    public func close() {
        guard !closed else { return }
        closed = true
        if path != "-" { try? descriptor.close() }
    }

    /// The file's size now (it may have grown or shrunk since open).
    public func currentSize() throws(LogScanError) -> Int64 {
        var st = stat()
        guard fstat(descriptor.rawValue, &st) == 0 else {
            throw LogScanError(path: path, .system(operation: "fstat", errno: errno))
        }
        return Int64(st.st_size)
    }

    /// True when the bytes can be addressed by offset (pread, mmap).
    public var isSeekable: Bool { (kind == .regular || kind == .blockDevice) && !isPseudoFile }
}

/// The system page size, and the alignment every mapping offset must have.
public enum PageSize {
    public static let bytes: Int = Int(sysconf(Int32(_SC_PAGESIZE)))
}

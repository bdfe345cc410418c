#if canImport(Glibc)
import Glibc
#endif
import CLogScanSupport

/// One read-only mapping of part of a file. Noncopyable, so exactly one owner
/// unmaps it, at a point the code can see (when the owner drops or replaces it).
struct MappedRegion: ~Copyable {
    let base: UnsafeRawPointer
    let length: Int
    /// Offset in the file of `base`.
    let fileOffset: Int64
    /// Slot in the SIGBUS guard's table of mappings.
    let guardSlot: Int32

    /// Maps `length` bytes of `file` at `fileOffset`, which must be a multiple
    /// of `alignment` (the page size, or the huge page size on hugetlbfs).
    init(file: OpenFile, fileOffset: Int64, length: Int, alignment: Int,
         populate: Bool, hugetlb: Bool) throws(LogScanError) {
        guard fileOffset >= 0, fileOffset % Int64(alignment) == 0 else {
            throw LogScanError(path: file.path, position: fileOffset,
                               .misaligned(offset: fileOffset, pageSize: alignment))
        }
        guard length > 0 else {
            throw LogScanError(path: file.path, position: fileOffset, .usage("cannot map 0 bytes"))
        }
        var flags = MAP_SHARED
        if populate { flags |= MAP_POPULATE }
        if hugetlb { flags |= MAP_HUGETLB }
        let address = mmap(nil, length, PROT_READ, flags, file.descriptor.rawValue, off_t(fileOffset))
        guard let address, address != UnsafeMutableRawPointer(bitPattern: -1) else {
            throw LogScanError(path: file.path, position: fileOffset, .system(operation: "mmap", errno: errno))
        }
        base = UnsafeRawPointer(address)
        self.length = length
        self.fileOffset = fileOffset
        guardSlot = logscan_guard_register_mapping(address, length)
    }

    deinit {
        logscan_guard_unregister_mapping(guardSlot)
        munmap(UnsafeMutableRawPointer(mutating: base), length)
    }

    /// madvise over [offset, offset + count) of this mapping; returns 0 or errno.
    @discardableResult
    func advise(_ advice: Int32, offset: Int = 0, count: Int? = nil) -> Int32 {
        let start = offset & ~(PageSize.bytes - 1)
        let end = min(length, offset + (count ?? length - offset))
        guard end > start else { return 0 }
        let address = UnsafeMutableRawPointer(mutating: base + start)
        return madvise(address, end - start, advice) == 0 ? 0 : errno
    }

    /// True once a SIGBUS outside a guard replaced part of this mapping with
    /// zero pages: the file shrank, and the bytes read since are not the file's.
    var faultedOutsideGuard: Bool { logscan_guard_mapping_faulted(guardSlot) != 0 }

    func contains(fileRange start: Int64, _ end: Int64) -> Bool {
        start >= fileOffset && end <= fileOffset + Int64(length)
    }
}

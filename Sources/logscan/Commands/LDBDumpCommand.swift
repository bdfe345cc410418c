import LogScan

/// `replay --format ldb`: each path's WAL files (a directory's in log-number
/// order, any other path as one WAL, as ldb takes it) through LDBDumpPrinter.
///
/// Exit status: 0 when ldb would print no corruption and not fail; 3 when
/// it would report corruption (ldb itself exits 0 there) or fail on a batch
/// (ldb exits 1); 2 when a file cannot be read.
enum LDBDumpCommand {
    static func run(paths: [String], kind: LogKind, io: IOOptions, header: Bool) -> Int32 {
        var printer = LDBDumpPrinter(header: header)
        var diagnostics = Diagnostics()
        var status = ExitStatus.ok
        for path in paths {
            var files = [path]
            if path != "-", Directory.fileKind(path) == .directory {
                do {
                    files = try LogDetector.segments(inDirectory: path, kind: kind == .leveldb ? .leveldb : .rocksdb).map(\.path)
                } catch {
                    diagnostics.failure(error)
                    status = ExitStatus.error
                    continue
                }
            }
            for file in files {
                do throws(LogScanError) {
                    let source = try ByteSource(file: OpenFile(path: file), options: io)
                    let number = file == "-" ? 0 : WALFormat.logNumber(fileName: Directory.baseName(file))
                    switch try printer.dump(source, logNumber: number) {
                    case .clean: break
                    case .reported: if status == ExitStatus.ok { status = ExitStatus.damaged }
                    case .failed:
                        if status == ExitStatus.ok { status = ExitStatus.damaged }
                        // ldb stops there; the next file is still dumped.
                    }
                } catch {
                    printer.out.flush()
                    diagnostics.failure(error)
                    status = ExitStatus.error
                }
            }
        }
        printer.out.flush()
        return status
    }
}

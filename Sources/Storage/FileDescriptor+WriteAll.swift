import SystemPackage

extension FileDescriptor {
    /// Writes every byte of `bytes` with swift-system's `writeAll(_:)`, which retries after
    /// EINTR and short writes, and reports a failed write(2) through `failure`, given its errno,
    /// so that each caller keeps its own error (ENOSPC stays ENOSPC, EPIPE stays EPIPE).
    ///
    /// ```swift
    /// try FileDescriptor(rawValue: fd).writeAll(data) { VFSError($0.rawValue, "export", path) }
    /// ```
    public func writeAll<Failure: Error>(_ bytes: some Sequence<UInt8>, orThrow failure: (Errno) -> Failure) throws(Failure) {
        do {
            _ = try writeAll(bytes)
        } catch {
            // swift-system's writes fail only with `Errno`.
            throw failure(error as? Errno ?? .ioError)
        }
    }
}

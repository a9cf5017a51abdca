import Foundation

/// A unique temporary directory for one test, removed when released.
public final class TemporaryDirectory: @unchecked Sendable {
    // @unchecked: immutable after init.
    /// The directory's absolute path, without a trailing slash.
    public let path: String

    public init(prefix: String = "openclaw-test") {
        var template = Array(((NSTemporaryDirectory() as NSString).appendingPathComponent("\(prefix)-XXXXXX")).utf8CString)
        let created = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        path = String(cString: created!)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// Writes `contents` to `relative`, creating parent directories.
    public func write(_ relative: String, _ contents: String) throws {
        let url = URL(fileURLWithPath: path + "/" + relative)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(contents.utf8).write(to: url)
    }
}

/// The permission bits of `path`.
public func permissionBits(of path: String) -> UInt16 {
    var info = stat()
    stat(path, &info)
    return UInt16(info.st_mode & 0o7777)
}

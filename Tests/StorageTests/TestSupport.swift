import Foundation

/// A unique temporary directory, removed when released.
final class TemporaryDirectory {
    let path: String

    init() {
        var template = Array(((NSTemporaryDirectory() as NSString).appendingPathComponent("openclaw-storage-test-XXXXXX")).utf8CString)
        let created = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        path = String(cString: created!)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

func mode(of path: String) -> UInt16 {
    var info = stat()
    stat(path, &info)
    return UInt16(info.st_mode & 0o7777)
}

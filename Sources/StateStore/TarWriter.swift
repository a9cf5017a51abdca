import Foundation
import Storage
import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// Writes a POSIX ustar archive, streaming each member from a file.
struct TarWriter {
    private let fd: Int32
    private let path: String

    init(path: String) throws {
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw StateError(errno, "cannot create \(path): \(String(cString: strerror(errno)))") }
        self.path = path
    }

    /// Appends a member named `name` with the bytes of the host file `source`.
    func addFile(named name: String, from source: String, mode: Int = 0o600) throws {
        let input = open(source, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { throw StateError(errno, "cannot read \(source): \(String(cString: strerror(errno)))") }
        defer { close(input) }
        var info = stat()
        fstat(input, &info)
        try write(header(name: name, size: Int(info.st_size), mode: mode, mtime: Int(info.st_mtim.tv_sec)))
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var total = 0
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(input, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw StateError(errno, "cannot read \(source): \(String(cString: strerror(errno)))")
            }
            if count == 0 { break }
            try write(Array(buffer[0..<count]))
            total += count
        }
        try pad(total)
    }

    /// Appends a directory member (restored with `mode`).
    func addDirectory(named name: String, mode: Int = 0o700) throws {
        try write(header(name: name.hasSuffix("/") ? name : name + "/", size: 0, mode: mode, mtime: Int(SystemClock.milliseconds() / 1000), type: UInt8(ascii: "5")))
    }

    /// Appends a member named `name` with `data`.
    func addFile(named name: String, data: Data, mode: Int = 0o600) throws {
        try write(header(name: name, size: data.count, mode: mode, mtime: Int(SystemClock.milliseconds() / 1000)))
        try write(Array(data))
        try pad(data.count)
    }

    /// Writes the end-of-archive marker, syncs and closes the archive.
    func finish() throws {
        try write([UInt8](repeating: 0, count: 1024))
        guard fsync(fd) == 0 else { throw StateError(errno, "cannot sync \(path): \(String(cString: strerror(errno)))") }
        close(fd)
    }

    /// Closes without finishing (after a failure).
    func abandon() { close(fd) }

    private func pad(_ size: Int) throws {
        let remainder = size % 512
        if remainder != 0 { try write([UInt8](repeating: 0, count: 512 - remainder)) }
    }

    private func write(_ bytes: [UInt8]) throws {
        try FileDescriptor(rawValue: fd).writeAll(bytes) { code in
            StateError(code.rawValue, "cannot write \(path): \(String(cString: strerror(code.rawValue)))")
        }
    }

    private func header(name: String, size: Int, mode: Int, mtime: Int, type: UInt8 = UInt8(ascii: "0")) throws -> [UInt8] {
        var block = [UInt8](repeating: 0, count: 512)
        var nameBytes = Array(name.utf8)
        var prefix: [UInt8] = []
        if nameBytes.count > 100 {
            guard let split = nameBytes.prefix(155).lastIndex(of: UInt8(ascii: "/")), nameBytes.count - split - 1 <= 100 else {
                throw StateError(ENAMETOOLONG, "archive member name too long: \(name)")
            }
            prefix = Array(nameBytes[..<split])
            nameBytes = Array(nameBytes[(split + 1)...])
        }
        func put(_ bytes: [UInt8], at offset: Int) { for (index, byte) in bytes.enumerated() { block[offset + index] = byte } }
        func octal(_ value: Int, width: Int) -> [UInt8] {
            let digits = String(value, radix: 8)
            return Array((String(repeating: "0", count: max(0, width - 1 - digits.count)) + digits).utf8) + [0]
        }
        put(nameBytes, at: 0)
        put(octal(mode, width: 8), at: 100)
        put(octal(Int(getuid()), width: 8), at: 108)
        put(octal(Int(getgid()), width: 8), at: 116)
        if size < 8 << 30 {
            put(octal(size, width: 12), at: 124)
        } else {
            // GNU base-256: a set high bit, then the size big-endian in the field's 12 bytes.
            var value = size
            for index in stride(from: 135, through: 125, by: -1) {
                block[index] = UInt8(value & 0xFF)
                value >>= 8
            }
            block[124] = 0x80
        }
        put(octal(mtime, width: 12), at: 136)
        put(Array("        ".utf8), at: 148)
        block[156] = type
        put(Array("ustar".utf8) + [0], at: 257)
        put(Array("00".utf8), at: 263)
        put(prefix, at: 345)
        let checksum = block.reduce(0) { $0 + Int($1) }
        put(Array((String(repeating: "0", count: max(0, 6 - String(checksum, radix: 8).count)) + String(checksum, radix: 8)).utf8) + [0, UInt8(ascii: " ")], at: 148)
        return block
    }
}

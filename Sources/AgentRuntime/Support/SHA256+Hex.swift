import Crypto
import Foundation

extension SHA256Digest {
    /// The digest in lowercase hex, as every `sha256` field holds it.
    var hex: String {
        let digits = Array("0123456789abcdef".utf8)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(64)
        for byte in self {
            bytes.append(digits[Int(byte >> 4)])
            bytes.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

extension SHA256 {
    /// The SHA-256 of `data` in lowercase hex.
    static func hex(_ data: Data) -> String { hash(data: data).hex }
}

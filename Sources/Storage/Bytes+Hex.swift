/// Lowercase hex, the one spelling of bytes in text (`sha256` fields, escapes in names).
extension Sequence where Element == UInt8 {
    /// The bytes as lowercase hex digits, two per byte.
    public var lowercaseHex: String {
        if let hex = withContiguousStorageIfAvailable({ Hex.lowercase(UnsafeRawBufferPointer($0)) }) { return hex }
        return Array(self).withUnsafeBytes { Hex.lowercase($0) }
    }
}

/// Hex spelling of bytes in place.
public enum Hex {
    /// `bytes` as lowercase hex digits, two per byte, written straight into the string's storage.
    public static func lowercase(_ bytes: UnsafeRawBufferPointer) -> String {
        String(unsafeUninitializedCapacity: bytes.count * 2) { output in
            var index = 0
            for byte in bytes {
                output[index] = digit(byte >> 4)
                output[index + 1] = digit(byte & 0x0F)
                index += 2
            }
            return index
        }
    }

    private static func digit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
    }
}

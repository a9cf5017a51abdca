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

    /// The bytes `text` spells in lowercase hex digits, two per byte; `nil` when it is not such a
    /// spelling (an odd length, an uppercase or a non-hex digit).
    public static func bytes(lowercase text: String) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        var index = 0
        while index < digits.count {
            guard let high = value(digits[index]), let low = value(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }

    private static func value(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        default: nil
        }
    }

    private static func digit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
    }
}

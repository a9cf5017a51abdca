@_exported import TestSupport

/// The permission bits of `path`.
func mode(of path: String) -> UInt16 { permissionBits(of: path) }

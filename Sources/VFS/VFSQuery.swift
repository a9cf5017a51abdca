import Storage

/// The statements of the VFS's read paths, declared once so that lookup connections find their
/// prepared statements by slot (``LookupQuery``).
enum VFSQuery {
    /// An entry by path (``EntryRow/columns``).
    static let entry = LookupQuery("SELECT \(EntryRow.columns) FROM vfs_entries WHERE namespace = ? AND path = ?")
    /// A namespace row by name (``NamespaceRow/columns``).
    static let namespace = LookupQuery("SELECT \(NamespaceRow.columns) FROM vfs_namespaces WHERE name = ?")
    /// An entry by path with its content's SHA-256 (`stat`).
    static let stat = LookupQuery("""
        SELECT e.kind, e.mode, e.size, e.mtime_ns, e.ctime_ns, e.content_id, e.metadata_json, c.sha256
        FROM vfs_entries e LEFT JOIN vfs_contents c ON c.id = e.content_id WHERE e.namespace = ? AND e.path = ?
        """)
    /// The hot path of a read: an entry's kind and its content row, in one indexed lookup.
    static let content = LookupQuery("""
        SELECT e.kind, e.content_id, c.size, c.chunk_size, c.sha256, c.inline_data, c.inline_checksum
        FROM vfs_entries e LEFT JOIN vfs_contents c ON c.id = e.content_id
        WHERE e.namespace = ? AND e.path = ?
        """)
    /// A small file's read: an entry's kind and its content's inline bytes.
    static let inlineContent = LookupQuery("""
        SELECT e.kind, e.content_id, c.size, c.inline_data, c.inline_checksum
        FROM vfs_entries e LEFT JOIN vfs_contents c ON c.id = e.content_id
        WHERE e.namespace = ? AND e.path = ?
        """)
    /// An entry by path with its whole content row (`openFile`).
    static let openFile = LookupQuery("""
        SELECT e.path, e.kind, e.mode, e.size, e.mtime_ns, e.ctime_ns, e.content_id, e.metadata_json,
               c.size, c.chunk_size, c.sha256, c.inline_data, c.inline_checksum
        FROM vfs_entries e LEFT JOIN vfs_contents c ON c.id = e.content_id
        WHERE e.namespace = ? AND e.path = ?
        """)
    /// A content row by id (a version held open).
    static let contentByID = LookupQuery("SELECT size, chunk_size, sha256, inline_data, inline_checksum FROM vfs_contents WHERE id = ?")
    /// The chunks of a content in a range of indexes, in order.
    static let chunks = LookupQuery("SELECT chunk_index, data, checksum FROM vfs_chunks WHERE content_id = ? AND chunk_index BETWEEN ? AND ? ORDER BY chunk_index")
    /// The children of a directory, in name order: a range scan of the covering listing index.
    static let children = LookupQuery("SELECT \(EntryRow.columns) FROM vfs_entries WHERE namespace = ? AND parent = ? ORDER BY name")
    /// Every entry strictly beneath a directory, by a range scan of the primary key, in path order.
    static let descendants = LookupQuery("SELECT \(EntryRow.columns) FROM vfs_entries WHERE namespace = ? AND path >= ? AND path < ? ORDER BY path")
}

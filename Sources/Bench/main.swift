// openclaw-bench: performance of the VFS against the native filesystem, measured in one run.
//
//   swift run -c release openclaw-bench vfs [--quick] [--json]
//   swift run -c release openclaw-bench fuse [--quick] [--json]   (FUSE mount vs native; builds openclaw too)
//
// See docs/benchmarks.md for results and how to read them.
OpenClawBench.main()

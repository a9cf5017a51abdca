// openclaw-bench: performance of the VFS against the native filesystem, measured in one run.
//
//   swift run -c release openclaw-bench vfs [--quick] [--json]
//   swift run -c release openclaw-bench fuse [--quick] [--json]   (FUSE mount vs native; builds openclaw too)
//   swift run -c release openclaw-bench runtime [--quick] [--json]   (agent runtime vs legacy files and direct HTTP)
//   swift run -c release openclaw-bench gateway [--quick] [--json]   (WebSocket gateway vs the provider alone)
//   openclaw-bench demo-provider   (a scripted local model for the Quick start demo)
//
// See docs/benchmarks.md for results and how to read them.

/// Runs the root command from an async function: top-level code resolves `OpenClawBench.main()` to
/// the synchronous overload, which cannot run the async subcommand `runtime`.
func runOpenClawBench() async {
    await OpenClawBench.main()
}

await runOpenClawBench()

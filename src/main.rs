// The server's allocations are many and short-lived, across all worker threads (rows, JSON
// documents, response bodies); mimalloc's per-thread free lists serve them without glibc's
// bin consolidation, which was a fifth of a list page's CPU (docs/performance.md, session 13).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    partnerhub::cli::main()
}

//! Settings of the process itself, made once at start, before any other thread exists, and its
//! allocator (`large_blocks`).

pub mod large_blocks;

/// glibc's allocator raises its mmap threshold to the largest block freed, so that the 10 MB
/// buffers of checks and scans, once freed, were kept in the process for good: 32 concurrent
/// 10 MB uploads kept about 170 MiB. A fixed threshold (blocks of 128 KiB or more are mapped and
/// unmapped, never kept) keeps them within 64 MiB (bench/RESULTS.md, "Memory"). The arenas stay
/// glibc's (eight per core): one per core kept no less memory over 32 uploads (49 to 62 MiB
/// either way) and cost SQLite's reads, whose connections each run on a thread of their own, a
/// fifth to a third of their throughput. `MALLOC_MMAP_THRESHOLD_` in the environment still wins:
/// this runs only when it is unset. The binary's allocator (`large_blocks`) keeps the last few
/// blocks of 1 MiB or more for reuse, within 24 MiB, so that each 10 MB check does not map and
/// fault in its buffers afresh.
pub fn return_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: mallopt only sets the allocator's parameters; it is called before any other
        // thread exists.
        unsafe {
            if std::env::var_os("MALLOC_MMAP_THRESHOLD_").is_none() {
                libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
            }
        }
    }
}

/// Errors made with `anyhow` capture a backtrace when `RUST_BACKTRACE` or `RUST_LIB_BACKTRACE`
/// is set, and printing the first loads the binary's debug information for good (the soak's
/// database outage, with `RUST_BACKTRACE=1`, kept about 150 MiB more). The errors this server
/// logs are expected ones (a database away, a client gone), so unless `RUST_LIB_BACKTRACE` says
/// otherwise they capture none; `RUST_BACKTRACE` still gives panics theirs.
pub fn no_error_backtraces() {
    if std::env::var_os("RUST_LIB_BACKTRACE").is_none() {
        // SAFETY: no other thread exists yet (the runtime starts after this), so nothing reads
        // the environment while it changes.
        unsafe { std::env::set_var("RUST_LIB_BACKTRACE", "0") };
    }
}

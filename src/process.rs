//! Settings of the process itself, made once at start, before any other thread exists.

/// glibc's allocator keeps what a thread frees in that thread's arena, and raises its mmap
/// threshold to the largest block freed, so that the 10 MB buffers of checks and scans, once
/// freed on one of many blocking threads, stay in the process for good: 32 concurrent 10 MB
/// uploads kept about 170 MiB. A fixed threshold (blocks of 128 KiB or more are mapped and
/// unmapped, never kept) and an arena per core (not eight) keep them within 64 MiB
/// (bench/RESULTS.md, "Memory"). `MALLOC_ARENA_MAX` and `MALLOC_MMAP_THRESHOLD_` in the
/// environment still win: this runs only when they are unset.
pub fn return_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        // SAFETY: mallopt only sets the allocator's parameters; it is called before any other
        // thread exists.
        unsafe {
            if std::env::var_os("MALLOC_MMAP_THRESHOLD_").is_none() {
                libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
            }
            if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
                libc::mallopt(libc::M_ARENA_MAX, i32::try_from(cores).unwrap_or(2));
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

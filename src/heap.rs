//! The C allocator's settings for a long-lived process that reads replies of a few hundred KiB each.
//!
//! glibc's allocator gives freed memory back to the kernel whenever the free space at the top of a thread's
//! heap passes a threshold that it raises and lowers as it goes, and serves blocks above another moving
//! threshold straight from `mmap`. A reply's body, its parsed events and the HTTP client's read buffer are each
//! a few hundred KiB, made on the sources' thread and freed on either thread, so their pages went back and
//! came again: 10 000 to 73 000 page faults per million events, varying from run to run, and up to a fifth of
//! the process's CPU time in the kernel (issue 14, docs/performance.md). Fixed thresholds keep those pages
//! while the process runs. Memory is still given back above them, so a burst does not stay resident forever.

/// Blocks up to this size come from the heap (a reply is capped at 4 MiB, `sources::MAX_REPLY_BYTES`).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const MMAP_THRESHOLD: libc::c_int = 4 * 1024 * 1024;

/// Free space at the top of a heap is given back to the kernel only beyond this.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const TRIM_THRESHOLD: libc::c_int = 8 * 1024 * 1024;

/// Sets the thresholds. Call it first thing, before any thread starts. Elsewhere than glibc it does nothing.
pub fn keep_working_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `mallopt` only sets the allocator's parameters; it is called before any other thread exists,
    // with parameter numbers and values glibc documents. A refusal (0) leaves glibc's defaults, which work.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD);
        libc::mallopt(libc::M_TRIM_THRESHOLD, TRIM_THRESHOLD);
    }
}

//! A child's resource use, for the load harnesses.

pub fn wait4(pid: libc::pid_t) -> (i32, libc::rusage) {
    // SAFETY: wait4 reaps our own child and fills the status and rusage it is given.
    unsafe {
        let mut ru: libc::rusage = std::mem::zeroed();
        let mut status = 0;
        assert_eq!(libc::wait4(pid, &mut status, 0, &mut ru), pid);
        (status, ru)
    }
}

pub fn tv(t: libc::timeval) -> f64 {
    t.tv_sec as f64 + t.tv_usec as f64 / 1e6
}

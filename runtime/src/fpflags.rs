//! The floating-point exception flags NumPy reads after a loop; they are per thread, so a
//! parallel loop gathers its workers' flags and raises them on the calling thread.

#[cfg(target_arch = "x86_64")]
const FE_ALL_EXCEPT: i32 = 0x3d;

extern "C" {
    fn feclearexcept(excepts: i32) -> i32;
    fn fetestexcept(excepts: i32) -> i32;
    fn feraiseexcept(excepts: i32) -> i32;
}

/// Clears this thread's FP exception flags.
pub fn clear() {
    // SAFETY: C99 <fenv.h> functions with a valid mask; they only touch this thread's MXCSR/x87 state.
    unsafe {
        feclearexcept(FE_ALL_EXCEPT);
    }
}

/// This thread's raised FP exception flags.
pub fn test() -> i32 {
    // SAFETY: as in `clear`.
    unsafe { fetestexcept(FE_ALL_EXCEPT) }
}

/// Raises `flags` on this thread (no-op for 0).
pub fn raise(flags: i32) {
    if flags != 0 {
        // SAFETY: as in `clear`; the mask only holds bits that `test` returned.
        unsafe {
            feraiseexcept(flags & FE_ALL_EXCEPT);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_round_trip_on_one_thread_and_not_across() {
        clear();
        assert_eq!(test(), 0);
        raise(4); // FE_DIVBYZERO
        assert_eq!(test() & 4, 4);
        // A new thread starts with a copy of its creator's flags; what it raises stays its own.
        let other = std::thread::spawn(|| {
            clear();
            raise(8); // FE_OVERFLOW
            test()
        })
        .join()
        .unwrap_or(-1);
        assert_eq!(other & 12, 8);
        assert_eq!(test() & 8, 0, "flags are per thread");
        clear();
        assert_eq!(test(), 0);
    }
}

//! Run-time errors raised by generated code (an out-of-range index, `int ** negative int`):
//! the loop records one in svml-shim's per-thread slot and returns; the caller takes it here.

use std::ffi::{c_char, c_int, CStr};

extern "C" {
    fn ufg_take_error(message: *mut *const c_char) -> c_int;
    fn ufg_any_error() -> c_int;
    fn ufg_set_error(kind: c_int, message: *const c_char);
}

/// The kind codes generated code passes to `ufg_set_error`.
pub mod kind {
    /// `IndexError`.
    pub const INDEX: i32 = 1;
    /// `ValueError`.
    pub const VALUE: i32 = 2;
    /// `AssertionError`.
    pub const ASSERTION: i32 = 3;
    /// `ZeroDivisionError`.
    pub const ZERO_DIVISION: i32 = 4;
    /// `OverflowError`.
    pub const OVERFLOW: i32 = 5;
    /// `ArithmeticError` (`raise ArithmeticError(...)` in a kernel).
    pub const ARITHMETIC: i32 = 6;
    /// `UnboundLocalError` (a loop variable read after a loop that ran zero times).
    pub const UNBOUND_LOCAL: i32 = 7;
}

/// Takes (and clears) the error the last loop on this thread recorded: its kind and message.
pub fn take_runtime_error() -> Option<(i32, String)> {
    // SAFETY: a relaxed atomic load in the shim. Errors are set and taken on one thread, so
    // program order makes this thread's own error visible.
    if unsafe { ufg_any_error() } == 0 {
        return None;
    }
    let mut message: *const c_char = std::ptr::null();
    // SAFETY: the shim writes a pointer to its per-thread NUL-terminated buffer (or null); we
    // copy it before anything else can record an error on this thread.
    let kind = unsafe { ufg_take_error(&mut message) };
    if kind == 0 {
        return None;
    }
    let text = if message.is_null() {
        String::from("error in compiled kernel")
    } else {
        // SAFETY: non-null and NUL-terminated, see above.
        unsafe { CStr::from_ptr(message) }
            .to_string_lossy()
            .into_owned()
    };
    Some((kind, text))
}

/// Records an error on this thread unless one is pending (first error wins): how the parallel
/// runtime hands a worker's error to the calling thread.
pub fn restore_runtime_error(kind: i32, message: &str) {
    let text = std::ffi::CString::new(message.replace('\0', " ")).unwrap_or_default();
    // SAFETY: a NUL-terminated string the shim copies before returning.
    unsafe { ufg_set_error(kind, text.as_ptr()) };
}

#[cfg(test)]
mod tests {
    use super::*;

    extern "C" {
        fn ufg_index_error(index: i64, axis: i64, size: i64, location: *const c_char);
    }

    #[test]
    fn first_error_wins_and_take_clears() {
        assert_eq!(take_runtime_error(), None);
        // SAFETY: static NUL-terminated strings.
        unsafe {
            ufg_set_error(kind::VALUE, c"first".as_ptr());
            ufg_set_error(kind::INDEX, c"second".as_ptr());
        }
        assert_eq!(take_runtime_error(), Some((kind::VALUE, "first".into())));
        assert_eq!(take_runtime_error(), None);
        // SAFETY: as above.
        unsafe { ufg_index_error(-7, 1, 5, c" in 'f' (k.py, line 3)".as_ptr()) };
        assert_eq!(
            take_runtime_error(),
            Some((
                kind::INDEX,
                "index -7 is out of bounds for axis 1 with size 5 in 'f' (k.py, line 3)".into()
            ))
        );
    }

    #[test]
    fn restored_errors_are_copied_and_do_not_override() {
        restore_runtime_error(kind::INDEX, "from a worker");
        restore_runtime_error(kind::VALUE, "later");
        assert_eq!(
            take_runtime_error(),
            Some((kind::INDEX, "from a worker".into()))
        );
    }

    #[test]
    fn errors_are_per_thread() {
        // SAFETY: static string.
        unsafe { ufg_set_error(kind::ASSERTION, c"here".as_ptr()) };
        let other = std::thread::spawn(take_runtime_error).join().ok().flatten();
        assert_eq!(other, None);
        assert_eq!(take_runtime_error(), Some((kind::ASSERTION, "here".into())));
    }
}

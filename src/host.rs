//! Facts about the LLVM we link and the CPU we generate code for, for `ufuncgen.config()`.
//!
//! Read straight from LLVM's C API until the compiler crate exposes `codegen::host_info`.

use std::ffi::{c_char, CStr};

/// LLVM version, host CPU name, and the host CPU's enabled features (without the `+`).
pub struct HostInfo {
    pub llvm_version: String,
    pub cpu_name: String,
    pub cpu_features: Vec<String>,
}

/// Copies and frees a string LLVM allocated for us.
fn take_llvm_string(ptr: *mut c_char) -> String {
    if ptr.is_null() {
        return String::new();
    }
    // SAFETY: LLVM returned a NUL-terminated string that we own and free right after copying.
    unsafe {
        let text = CStr::from_ptr(ptr).to_string_lossy().into_owned();
        llvm_sys::core::LLVMDisposeMessage(ptr);
        text
    }
}

/// Asks LLVM about itself and the host CPU.
pub fn host_info() -> HostInfo {
    let (mut major, mut minor, mut patch) = (0, 0, 0);
    // SAFETY: plain out-parameters.
    unsafe { llvm_sys::core::LLVMGetVersion(&mut major, &mut minor, &mut patch) };
    // SAFETY: these functions only read host information and return owned strings.
    let cpu_name = take_llvm_string(unsafe { llvm_sys::target_machine::LLVMGetHostCPUName() });
    // SAFETY: as above.
    let features = take_llvm_string(unsafe { llvm_sys::target_machine::LLVMGetHostCPUFeatures() });
    let mut cpu_features: Vec<String> = features
        .split(',')
        .filter_map(|f| f.strip_prefix('+'))
        .map(str::to_owned)
        .collect();
    cpu_features.sort();
    HostInfo {
        llvm_version: format!("{major}.{minor}.{patch}"),
        cpu_name,
        cpu_features,
    }
}

//! The CPU code is generated for: host detection, LLVM initialization, target machines.

use inkwell::targets::{
    CodeModel, InitializationConfig, RelocMode, Target as LlvmTarget, TargetMachine, TargetTriple,
};
use inkwell::values::FunctionValue;
use inkwell::OptimizationLevel;
use std::ffi::CStr;
use std::sync::{Once, OnceLock};

/// Only x86-64 Linux for now; named CPU levels (for ahead-of-time builds) use this triple too.
pub(crate) const TRIPLE: &str = "x86_64-unknown-linux-gnu";

/// The CPU that code is generated for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Target {
    /// LLVM CPU name (`"znver4"`, `"x86-64-v3"`, ...).
    pub cpu: String,
    /// LLVM feature string (`"+avx2,+fma,..."`).
    pub features: String,
}

/// What `ufuncgen.config()` reports about LLVM and the host CPU.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostInfo {
    /// LLVM's version, like `"22.1.8"`.
    pub llvm_version: String,
    /// LLVM's name for the host CPU.
    pub cpu_name: String,
    /// Enabled CPU features, without the leading `+`.
    pub cpu_features: Vec<String>,
}

static INIT: Once = Once::new();

/// Registers the X86 backend with LLVM, once per process.
pub(crate) fn init_llvm() {
    // Nothing disassembles machine code; leaving the disassembler out lets the wheel's LTO drop
    // its 2.9 MB of tables.
    let config = InitializationConfig {
        disassembler: false,
        ..InitializationConfig::default()
    };
    INIT.call_once(|| LlvmTarget::initialize_x86(&config));
}

/// Takes ownership of a string LLVM allocated and copies it out.
///
/// # Safety
/// `raw` must be null or a NUL-terminated string allocated by LLVM (disposed here).
unsafe fn take_llvm_string(raw: *mut std::ffi::c_char) -> String {
    if raw.is_null() {
        return String::new();
    }
    let s = CStr::from_ptr(raw).to_string_lossy().into_owned();
    llvm_sys::core::LLVMDisposeMessage(raw);
    s
}

impl Target {
    /// The machine we run on (detected once).
    pub fn host() -> Target {
        static HOST: OnceLock<Target> = OnceLock::new();
        HOST.get_or_init(|| {
            init_llvm();
            // SAFETY: both calls return fresh LLVM-allocated strings.
            let (cpu, features) = unsafe {
                (
                    take_llvm_string(llvm_sys::target_machine::LLVMGetHostCPUName()),
                    take_llvm_string(llvm_sys::target_machine::LLVMGetHostCPUFeatures()),
                )
            };
            Target { cpu, features }
        })
        .clone()
    }

    /// A named CPU level (`"x86-64-v3"`) with its default features (tests; ahead-of-time builds
    /// are to use it).
    pub fn named(cpu: &str) -> Target {
        Target {
            cpu: cpu.to_string(),
            features: String::new(),
        }
    }

    /// An LLVM target machine for this CPU (PIC, default code model, -O3 code generation).
    pub(crate) fn machine(&self) -> Result<TargetMachine, String> {
        init_llvm();
        let triple = TargetTriple::create(TRIPLE);
        let target = LlvmTarget::from_triple(&triple).map_err(|e| e.to_string())?;
        target
            .create_target_machine(
                &triple,
                &self.cpu,
                &self.features,
                OptimizationLevel::Aggressive,
                RelocMode::PIC,
                CodeModel::Default,
            )
            .ok_or_else(|| format!("LLVM cannot create a target machine for cpu {:?}", self.cpu))
    }

    /// Marks a function as compiled for this CPU; without these attributes LLVM's vectorizer
    /// assumes a generic x86-64 and vector calls use the wrong registers (NOTES.md).
    pub(crate) fn apply_to(&self, func: FunctionValue<'_>) {
        let ctx = func.get_type().get_context();
        let loc = inkwell::attributes::AttributeLoc::Function;
        func.add_attribute(loc, ctx.create_string_attribute("target-cpu", &self.cpu));
        if !self.features.is_empty() {
            func.add_attribute(
                loc,
                ctx.create_string_attribute("target-features", &self.features),
            );
        }
        // Vector registers spilled around vector-math calls go to 32- or 64-byte stack slots;
        // NumPy calls loops with a 16-byte aligned stack, and without realignment those slots
        // straddle cache lines or not depending on the caller's stack depth (measured: one
        // loop at 2.7 or 4.0 ns per element depending on the call path and on ASLR).
        func.add_attribute(loc, ctx.create_string_attribute("stackrealign", ""));
        if let Some(&widest) = self.vector_math_widths().first() {
            // 512-bit vector-math calls must pass zmm registers even on CPUs that prefer 256-bit
            // vectors, where the backend would otherwise split them into two ymm halves.
            func.add_attribute(
                loc,
                ctx.create_string_attribute("min-legal-vector-width", &widest.to_string()),
            );
        }
    }

    /// Whether the CPU has `feature` (an LLVM name such as `"avx2"`): from the feature string,
    /// or for an x86-64 level named without features, from the level's definition.
    pub(crate) fn has_feature(&self, feature: &str) -> bool {
        if !self.features.is_empty() {
            let plus = format!("+{feature}");
            return self.features.split(',').any(|f| f == plus);
        }
        let level: &[&str] = match self.cpu.as_str() {
            "x86-64-v4" => &["avx2", "fma", "avx512f"],
            "x86-64-v3" => &["avx2", "fma"],
            // Other named CPUs: unknown here, so no feature is assumed.
            _ => &[],
        };
        level.contains(&feature)
    }

    /// Register widths in bits, widest first, at which vector-math entry points may be called:
    /// 512 (zmm) needs AVX-512F, 256 (ymm) needs AVX2, as svml-shim compiles them.
    pub(crate) fn vector_math_widths(&self) -> &'static [u32] {
        if self.has_feature("avx512f") {
            &[512, 256]
        } else if self.has_feature("avx2") {
            &[256]
        } else {
            &[]
        }
    }
}

/// LLVM's version and the host CPU, as `ufuncgen.config()` reports them.
pub fn host_info() -> HostInfo {
    let host = Target::host();
    let (mut major, mut minor, mut patch) = (0u32, 0u32, 0u32);
    // SAFETY: LLVMGetVersion only writes the three integers.
    unsafe { llvm_sys::core::LLVMGetVersion(&mut major, &mut minor, &mut patch) };
    HostInfo {
        llvm_version: format!("{major}.{minor}.{patch}"),
        cpu_name: host.cpu.clone(),
        cpu_features: enabled_features(&host.features),
    }
}

/// The `+x` entries of an LLVM feature string, without the plus.
fn enabled_features(features: &str) -> Vec<String> {
    features
        .split(',')
        .filter_map(|f| f.strip_prefix('+'))
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feature_string_keeps_only_enabled() {
        assert_eq!(
            enabled_features("+avx2,-avx512f,+fma"),
            vec!["avx2".to_string(), "fma".to_string()]
        );
    }

    #[test]
    fn vector_math_widths_follow_features() {
        let t = |cpu: &str, features: &str| Target {
            cpu: cpu.into(),
            features: features.into(),
        };
        assert_eq!(t("x", "+avx2,+avx512f").vector_math_widths(), &[512, 256]);
        assert_eq!(t("x", "+avx2,-avx512f").vector_math_widths(), &[256]);
        assert!(t("x", "+sse2,-avx2").vector_math_widths().is_empty());
        assert!(t("x", "+avx512fp16").vector_math_widths().is_empty());
        assert_eq!(Target::named("x86-64-v3").vector_math_widths(), &[256]);
        assert_eq!(Target::named("x86-64-v4").vector_math_widths(), &[512, 256]);
        assert!(Target::named("x86-64").vector_math_widths().is_empty());
    }

    #[test]
    fn host_is_detected() {
        let info = host_info();
        assert!(
            info.llvm_version.starts_with("22."),
            "{}",
            info.llvm_version
        );
        assert!(!info.cpu_name.is_empty());
        assert!(info.cpu_features.iter().any(|f| f == "sse2"));
        assert!(Target::host().machine().is_ok());
        assert!(Target::named("x86-64-v3").machine().is_ok());
    }
}

//! Loading compiled objects into one process-wide ORC LLJIT; code is freed with its owner.
//!
//! One LLJIT serves the whole process (a JIT per ufunc costs ~60x the memory, NOTES.md). Each
//! `JitCode` owns a resource tracker on the main JITDylib; dropping it removes the code.
//! Symbols resolve against the process (libc, libm) and against svml-shim's `ufg_*` helpers,
//! which are defined as absolute addresses because a Python extension is loaded RTLD_LOCAL
//! (the vector-math entries at the address of the library `vecmath` bound them to).

use std::ffi::{c_char, CStr, CString};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, Weak};

use llvm_sys::error::{LLVMDisposeErrorMessage, LLVMErrorRef, LLVMGetErrorMessage};
use llvm_sys::orc2::lljit::*;
use llvm_sys::orc2::*;

extern "C" {
    fn ufg_raise_divbyzero();
    fn ufg_raise_overflow();
    fn ufg_raise_invalid();
    fn ufg_set_error(kind: i32, message: *const c_char);
    fn ufg_index_error(index: i64, axis: i64, size: i64, location: *const c_char);
    // C99 complex signatures; Rust only takes their addresses.
    fn ufg_cpow();
    fn ufg_cpowf();
}

/// The runtime helpers generated code may call, by name and address: the FP-flag and
/// run-time error helpers and the vector-math entry points, the latter linked straight to the
/// implementation `vecmath` bound (binding from the environment if nobody did it before the
/// first JIT use).
fn shim_symbols() -> Vec<(&'static str, usize)> {
    crate::vecmath::state();
    let vecmath = crate::vecmath::entry_names()
        .into_iter()
        .chain(crate::vecmath::scalar_entry_names())
        .filter_map(|name| crate::vecmath::resolve(name).map(|(addr, _)| (name, addr)));
    let flags = [
        (
            "ufg_raise_divbyzero",
            ufg_raise_divbyzero as *const () as usize,
        ),
        (
            "ufg_raise_overflow",
            ufg_raise_overflow as *const () as usize,
        ),
        ("ufg_raise_invalid", ufg_raise_invalid as *const () as usize),
        ("ufg_set_error", ufg_set_error as *const () as usize),
        ("ufg_index_error", ufg_index_error as *const () as usize),
        (
            crate::math_functions::CPOW_C128,
            ufg_cpow as *const () as usize,
        ),
        (
            crate::math_functions::CPOW_C64,
            ufg_cpowf as *const () as usize,
        ),
    ];
    flags.into_iter().chain(vecmath).collect()
}

/// The process-wide JIT.
struct Jit {
    lljit: LLVMOrcLLJITRef,
    dylib: LLVMOrcJITDylibRef,
}

// SAFETY: the LLJIT is only used while holding the mutex around it; ORC itself is thread-safe.
unsafe impl Send for Jit {}

static JIT: OnceLock<Result<Mutex<Jit>, String>> = OnceLock::new();

/// Errors ORC reports asynchronously (e.g. "Symbols not found"), kept for the next lookup's
/// message instead of being printed to stderr.
static REPORTED: Mutex<Vec<String>> = Mutex::new(Vec::new());

extern "C" fn report_error(_ctx: *mut std::ffi::c_void, err: LLVMErrorRef) {
    if let Err(msg) = take_error(err) {
        let mut reported = REPORTED.lock().unwrap_or_else(|p| p.into_inner());
        // Bounded: only the latest few matter for a message.
        if reported.len() >= 8 {
            reported.remove(0);
        }
        reported.push(msg);
    }
}

/// Takes the errors ORC reported since the last call.
fn drain_reported() -> Vec<String> {
    std::mem::take(&mut *REPORTED.lock().unwrap_or_else(|p| p.into_inner()))
}

/// Turns an LLVM error into its message (and frees it); `None` for success.
fn take_error(err: LLVMErrorRef) -> Result<(), String> {
    if err.is_null() {
        return Ok(());
    }
    // SAFETY: err is a live LLVMErrorRef; GetErrorMessage consumes it.
    unsafe {
        let msg = LLVMGetErrorMessage(err);
        let text = CStr::from_ptr(msg).to_string_lossy().into_owned();
        LLVMDisposeErrorMessage(msg);
        Err(text)
    }
}

fn jit() -> Result<MutexGuard<'static, Jit>, String> {
    let jit = JIT.get_or_init(|| create_jit().map(Mutex::new));
    match jit {
        Ok(m) => Ok(m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())),
        Err(e) => Err(format!("cannot create the JIT: {e}")),
    }
}

fn create_jit() -> Result<Jit, String> {
    crate::codegen::Target::host();
    // SAFETY: plain ORC C API use; every created object is either owned by the LLJIT or freed.
    unsafe {
        // libm must be visible to dlsym(RTLD_DEFAULT) even when the host binary never used it.
        llvm_sys::support::LLVMLoadLibraryPermanently(c"libm.so.6".as_ptr());
        let mut lljit: LLVMOrcLLJITRef = std::ptr::null_mut();
        take_error(LLVMOrcCreateLLJIT(&mut lljit, LLVMOrcCreateLLJITBuilder()))?;
        LLVMOrcExecutionSessionSetErrorReporter(
            LLVMOrcLLJITGetExecutionSession(lljit),
            report_error,
            std::ptr::null_mut(),
        );
        let dylib = LLVMOrcLLJITGetMainJITDylib(lljit);
        let mut generator: LLVMOrcDefinitionGeneratorRef = std::ptr::null_mut();
        take_error(LLVMOrcCreateDynamicLibrarySearchGeneratorForProcess(
            &mut generator,
            LLVMOrcLLJITGetGlobalPrefix(lljit),
            None,
            std::ptr::null_mut(),
        ))?;
        LLVMOrcJITDylibAddGenerator(dylib, generator);

        let generic = LLVMJITSymbolGenericFlags::LLVMJITSymbolGenericFlagsExported as u8
            | LLVMJITSymbolGenericFlags::LLVMJITSymbolGenericFlagsCallable as u8;
        let mut pairs: Vec<LLVMOrcCSymbolMapPair> = shim_symbols()
            .iter()
            .map(|&(name, addr)| {
                let c = CString::new(name).unwrap_or_default();
                LLVMOrcCSymbolMapPair {
                    Name: LLVMOrcLLJITMangleAndIntern(lljit, c.as_ptr()),
                    Sym: LLVMJITEvaluatedSymbol {
                        Address: addr as u64,
                        Flags: LLVMJITSymbolFlags {
                            GenericFlags: generic,
                            TargetFlags: 0,
                        },
                    },
                }
            })
            .collect();
        let mu = LLVMOrcAbsoluteSymbols(pairs.as_mut_ptr(), pairs.len());
        if let Err(e) = take_error(LLVMOrcJITDylibDefine(dylib, mu)) {
            LLVMOrcDisposeMaterializationUnit(mu);
            return Err(e);
        }
        Ok(Jit { lljit, dylib })
    }
}

/// Code linked under one ORC resource tracker; dropping it removes that code from the JIT.
struct Tracker(LLVMOrcResourceTrackerRef);

// SAFETY: the tracker is only touched under the JIT mutex (creation and removal).
unsafe impl Send for Tracker {}
// SAFETY: as above.
unsafe impl Sync for Tracker {}

impl Drop for Tracker {
    fn drop(&mut self) {
        let Ok(_jit) = jit() else { return };
        // SAFETY: the tracker is live and owned by us; removal frees its code and memory.
        unsafe {
            // A failed removal leaks the code; there is nothing better to do in a destructor.
            let _ = take_error(LLVMOrcResourceTrackerRemove(self.0));
            LLVMOrcReleaseResourceTracker(self.0);
        }
    }
}

/// Objects loaded by `JitCode::load_shared`, by the symbol they define, while some ufunc still
/// holds them: loading the same cached loop twice would define its symbol twice.
static SHARED: Mutex<Vec<(String, Weak<Tracker>)>> = Mutex::new(Vec::new());

/// Machine code of one ufunc's loops; the code is removed from the JIT when the last
/// `JitCode` holding it drops.
pub struct JitCode {
    parts: Vec<Arc<Tracker>>,
}

impl JitCode {
    /// Links object files into the JIT under one resource tracker.
    pub fn load<'a>(objects: impl IntoIterator<Item = &'a [u8]>) -> Result<JitCode, String> {
        let jit = jit()?;
        // SAFETY: the tracker belongs to the live main JITDylib; buffers are copied and then
        // owned by ORC.
        unsafe {
            let tracker = Arc::new(Tracker(LLVMOrcJITDylibCreateResourceTracker(jit.dylib)));
            for obj in objects {
                let buf = llvm_sys::core::LLVMCreateMemoryBufferWithMemoryRangeCopy(
                    obj.as_ptr() as *const c_char,
                    obj.len(),
                    c"ufuncgen-object".as_ptr(),
                );
                take_error(LLVMOrcLLJITAddObjectFileWithRT(jit.lljit, tracker.0, buf))?;
            }
            drop(jit);
            Ok(JitCode {
                parts: vec![tracker],
            })
        }
    }

    /// Links one object that defines `symbol` (a content-derived name, as cached loops have),
    /// or shares the code of an earlier load of it that is still alive.
    pub fn load_shared(symbol: &str, object: &[u8]) -> Result<JitCode, String> {
        let mut shared = SHARED.lock().unwrap_or_else(|p| p.into_inner());
        shared.retain(|(_, w)| w.strong_count() > 0);
        if let Some(live) = shared
            .iter()
            .find(|(s, _)| s == symbol)
            .and_then(|(_, w)| w.upgrade())
        {
            return Ok(JitCode { parts: vec![live] });
        }
        let code = JitCode::load([object])?;
        shared.push((symbol.to_string(), Arc::downgrade(&code.parts[0])));
        Ok(code)
    }

    /// One owner for the code of several loads.
    pub fn merge(codes: impl IntoIterator<Item = JitCode>) -> JitCode {
        JitCode {
            parts: codes.into_iter().flat_map(|c| c.parts).collect(),
        }
    }

    /// Address of a symbol defined by these objects (links them on first use; a symbol they
    /// need that cannot be resolved is an error here, never a crash later).
    pub fn lookup(&self, symbol: &str) -> Result<usize, String> {
        let name = CString::new(symbol).map_err(|_| format!("bad symbol name {symbol:?}"))?;
        let jit = jit()?;
        let mut addr: LLVMOrcExecutorAddress = 0;
        drain_reported();
        // SAFETY: live LLJIT; the name is NUL-terminated.
        take_error(unsafe { LLVMOrcLLJITLookup(jit.lljit, &mut addr, name.as_ptr()) }).map_err(
            |e| {
                let mut msg = format!("cannot link {symbol}: {e}");
                for cause in drain_reported() {
                    msg.push_str("; ");
                    msg.push_str(&cause);
                }
                msg
            },
        )?;
        if addr == 0 {
            return Err(format!("symbol {symbol} has no address"));
        }
        Ok(addr as usize)
    }
}

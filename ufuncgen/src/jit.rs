//! Loading compiled objects into one process-wide ORC LLJIT; code is freed with its owner.

/// Machine code of one ufunc's loops; dropping it removes the code from the JIT.
pub struct JitCode {
    _private: (),
}

impl JitCode {
    /// Links object files into the JIT under one resource tracker.
    pub fn load<'a>(objects: impl IntoIterator<Item = &'a [u8]>) -> Result<JitCode, String> {
        let _ = objects.into_iter().count();
        Err("JIT not built yet".into())
    }

    /// Address of a symbol defined by these objects.
    pub fn lookup(&self, symbol: &str) -> Result<usize, String> {
        Err(format!("JIT not built yet: {symbol}"))
    }
}

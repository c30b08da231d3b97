//! Run-time support for compiled loops that is not generated code: the parallel target and
//! the errors loops report.

pub mod chunks;
pub mod errors;
pub mod fpflags;
pub mod handoff;
pub mod parallel;
pub mod plan;
pub mod pool;

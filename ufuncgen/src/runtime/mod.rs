//! Run-time support for compiled loops that is not generated code: the parallel target and
//! the errors loops report.

pub mod errors;
pub mod fpflags;
pub mod parallel;
pub mod plan;

//! Run-time support for compiled loops that is not generated code: the parallel target.

pub mod chunks;
pub mod fpflags;
pub mod handoff;
pub mod parallel;
pub mod plan;
pub mod pool;

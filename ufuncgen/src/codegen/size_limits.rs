//! Compile-time guards for big kernels: how many LLVM instructions a piece of emitted code
//! becomes once its calls are inlined, and the limits above which a kernel is called from its
//! NumPy loop rather than inlined, and a loop is not offered to the loop vectorizer; and which
//! short loops over a constant range codegen unrolls itself.
//!
//! LLVM 22's loop vectorizer costs time quadratic in the length of the dependency chains in
//! a loop body (VPlan's uniformity analysis walks each operand chain back to its start, once
//! per recipe): a 1,000-statement kernel inlined into its loop took about a second of CPU in
//! that pass alone, a 2,500-statement one five, a 10,000-statement one minutes. Under the limits
//! below nothing changes; above them the loop runs scalar code, slower per element than a
//! vector loop would be, in exchange for a compile time that grows with the kernel's length.

use std::collections::HashMap;

use inkwell::attributes::{Attribute, AttributeLoc};
use inkwell::basic_block::BasicBlock;
use inkwell::context::Context;
use inkwell::values::{
    AsValueRef, CallSiteValue, FunctionValue, InstructionOpcode, InstructionValue, MetadataValue,
};

use super::value::{CgError, CgResult};

/// LLVM instructions (as emitted, inlined callees counted at each call) above which the kernel
/// stays a function of its own that the loop variants call: one optimized copy instead of one
/// per variant, and no vectorization of the calling loops. About 750 statements of straight
/// arithmetic (a typical kernel is well under a hundred), where the vectorizer takes about
/// half a second; above it a long dependency chain runs up to the vector width slower per
/// element (600 statements: 0.5 us vectorized, 3.6 us scalar on AVX-512).
pub(crate) const INLINE_LIMIT: usize = 3000;

/// LLVM instructions in one loop body of a kernel (`for`/`while`) above which the loop is
/// marked not to be vectorized (`llvm.loop.vectorize.enable` false), for the same reason.
pub(crate) const VECTORIZE_LIMIT: usize = 3000;

/// Most iterations of a `for` loop over a constant range that codegen unrolls itself.
pub(crate) const UNROLL_MAX_TRIPS: u64 = 8;

/// Most LLVM instructions (iterations times one copy of the body) such an unrolled loop may
/// emit; about what LLVM's own full unrolling allows at O3.
pub(crate) const UNROLL_MAX_SIZE: u64 = 300;

/// The number of iterations of `range(start, stop, step)` (Python's rule), None for a zero
/// step.
pub(crate) fn range_trips(start: i128, stop: i128, step: i128) -> Option<u64> {
    let trips = match step {
        0 => return None,
        s if s > 0 && start < stop => (stop - start - 1) / s + 1,
        s if s < 0 && start > stop => (start - stop - 1) / -s + 1,
        _ => 0,
    };
    u64::try_from(trips).ok()
}

/// Whether a `for` loop over a constant range of `trips` iterations whose body (with no
/// loop statement) is `size` instructions is unrolled by codegen. LLVM's full unroller would
/// unroll it too, but each unrolling updates the dominator tree below the loop, and the
/// scalar-evolution guards of each later loop walk back over the unrolled code: with
/// thousands of small loops in a row (`for k in range(3)`), quadratic again.
pub(crate) fn unroll_in_codegen(trips: u64, size: u64) -> bool {
    trips <= UNROLL_MAX_TRIPS && trips.saturating_mul(size) <= UNROLL_MAX_SIZE
}

/// Counts instructions, a call to a function defined in the module counting as that function
/// inlined (memoized per function; a function being counted counts as one instruction where
/// it calls itself).
#[derive(Default)]
pub(crate) struct SizeCounter<'ctx> {
    inlined: HashMap<FunctionValue<'ctx>, usize>,
}

impl<'ctx> SizeCounter<'ctx> {
    /// The size of `f` with every defined callee inlined.
    pub(crate) fn function(&mut self, f: FunctionValue<'ctx>) -> usize {
        if let Some(&n) = self.inlined.get(&f) {
            return n;
        }
        self.inlined.insert(f, 1);
        let n = f
            .get_basic_block_iter()
            .map(|bb| self.block(bb))
            .sum::<usize>();
        self.inlined.insert(f, n);
        n
    }

    /// The size of the instructions of `bb`.
    pub(crate) fn block(&mut self, bb: BasicBlock<'ctx>) -> usize {
        let mut n = 0;
        let mut inst = bb.get_first_instruction();
        while let Some(i) = inst {
            n += self.instruction(i);
            inst = i.get_next_instruction();
        }
        n
    }

    fn instruction(&mut self, i: InstructionValue<'ctx>) -> usize {
        if i.get_opcode() != InstructionOpcode::Call {
            return 1;
        }
        match CallSiteValue::try_from(i)
            .ok()
            .map(|c| c.get_called_fn_value())
        {
            Some(Some(callee)) if callee.count_basic_blocks() > 0 => self.function(callee).max(1),
            _ => 1,
        }
    }
}

/// Whether a kernel of `size` instructions (see `SizeCounter`) is inlined into its loops.
pub(crate) fn inline_kernel(size: usize) -> bool {
    size <= INLINE_LIMIT
}

/// Whether a kernel loop whose body has `size` instructions may be vectorized.
pub(crate) fn vectorize_loop(size: usize) -> bool {
    size <= VECTORIZE_LIMIT
}

/// Makes `kernel` (emitted `alwaysinline`) a function of its own: `noinline`.
pub(crate) fn keep_out_of_line(ctx: &Context, kernel: FunctionValue<'_>) {
    let always = Attribute::get_named_enum_kind_id("alwaysinline");
    kernel.remove_enum_attribute(AttributeLoc::Function, always);
    let never = Attribute::get_named_enum_kind_id("noinline");
    kernel.add_attribute(AttributeLoc::Function, ctx.create_enum_attribute(never, 0));
}

/// Attaches a loop ID carrying one property node to a loop's latch branch.
pub(crate) fn mark_loop<'ctx>(
    ctx: &'ctx Context,
    latch: InstructionValue<'ctx>,
    prop: MetadataValue<'ctx>,
) -> CgResult<()> {
    let id = ctx.metadata_node(&[ctx.metadata_string("self").into(), prop.into()]);
    // A loop ID refers to itself as first operand (which also makes it distinct).
    // SAFETY: `id` is a live MDNode of this context and operand 0 exists.
    unsafe {
        let v = id.as_value_ref();
        llvm_sys::core::LLVMReplaceMDNodeOperandWith(v, 0, llvm_sys::core::LLVMValueAsMetadata(v));
    }
    latch
        .set_metadata(id, ctx.get_kind_id("llvm.loop"))
        .map_err(|e| CgError(e.to_string()))
}

/// Marks the loop whose latch branch is `latch` as not to be vectorized.
pub(crate) fn no_vectorize<'ctx>(
    ctx: &'ctx Context,
    latch: InstructionValue<'ctx>,
) -> CgResult<()> {
    let prop = ctx.metadata_node(&[
        ctx.metadata_string("llvm.loop.vectorize.enable").into(),
        ctx.bool_type().const_zero().into(),
    ]);
    mark_loop(ctx, latch, prop)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_trips_follow_python() {
        let py = |a: i128, b: i128, c: i128| {
            let (mut n, mut i) = (0u64, a);
            while (c > 0 && i < b) || (c < 0 && i > b) {
                n += 1;
                i += c;
            }
            n
        };
        for a in -7..7 {
            for b in -7..7 {
                for c in [-4, -3, -1, 1, 2, 5] {
                    assert_eq!(
                        range_trips(a, b, c),
                        Some(py(a, b, c)),
                        "range({a}, {b}, {c})"
                    );
                }
            }
        }
        assert_eq!(range_trips(0, 5, 0), None);
        assert_eq!(
            range_trips(i64::MIN.into(), i64::MAX.into(), 1),
            Some(u64::MAX)
        );
    }

    #[test]
    fn only_short_small_loops_are_unrolled() {
        assert!(unroll_in_codegen(3, 10));
        assert!(unroll_in_codegen(0, 1000));
        assert!(!unroll_in_codegen(UNROLL_MAX_TRIPS + 1, 1));
        assert!(!unroll_in_codegen(8, 40));
    }
}

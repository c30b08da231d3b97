//! The generalized-ufunc loop around a kernel: NumPy's `(args, dimensions, steps, data)` ABI
//! with `dimensions = [n, core sizes...]` and `steps = [outer steps..., core strides...]`.
//! Each outer iteration hands the kernel its arrays as (data, shape, strides) and its `()`
//! scalars by value. When every innermost core stride is the item size, a second copy of the
//! loop passes that stride as a constant, so LLVM can vectorize the kernel's inner loops.

use inkwell::basic_block::BasicBlock;
use inkwell::builder::Builder;
use inkwell::context::Context;
use inkwell::module::Module;
use inkwell::values::{BasicMetadataValueEnum, FunctionValue, IntValue, PointerValue};
use inkwell::{AddressSpace, IntPredicate};

use super::loop_abi::{declare_numpy_loop, failure_flag, loop_param, stop_on_failure};
use super::target::Target;
use super::value::{load_elem, to_abi, CgError, CgResult};
use crate::types::Scalar;

/// The size of one core dimension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CoreSize {
    /// `dimensions[1 + k]`: the k-th distinct core dimension of the layout.
    Dim(usize),
    /// A frozen size from the layout (`(3)`).
    Fixed(u64),
}

/// How the loop passes one argument to the kernel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoreArg {
    pub dtype: Scalar,
    /// The sizes of its core dimensions (empty for `()`).
    pub dims: Vec<CoreSize>,
    /// Passed as an array; a `()` argument passed as an array is a 1-element 1-d array.
    pub array: bool,
}

/// One argument's outer pointer and step, and its core shape and strides.
struct Arg<'ctx> {
    base: PointerValue<'ctx>,
    step: IntValue<'ctx>,
    shape: Vec<IntValue<'ctx>>,
    strides: Vec<IntValue<'ctx>>,
    spec: CoreArg,
}

/// Emits the exported gufunc loop `symbol` calling `kernel` for arguments shaped by `args`.
pub(crate) fn build_gufunc_loop<'ctx>(
    ctx: &'ctx Context,
    module: &Module<'ctx>,
    kernel: FunctionValue<'ctx>,
    args: &[CoreArg],
    symbol: &str,
    target: &Target,
) -> CgResult<FunctionValue<'ctx>> {
    let f = declare_numpy_loop(ctx, module, symbol, target);
    let g = Gen {
        ctx,
        b: ctx.create_builder(),
        func: f,
        kernel,
    };
    g.body(args)?;
    Ok(f)
}

struct Gen<'ctx> {
    ctx: &'ctx Context,
    b: Builder<'ctx>,
    func: FunctionValue<'ctx>,
    kernel: FunctionValue<'ctx>,
}

impl<'ctx> Gen<'ctx> {
    fn i64(&self, v: u64) -> IntValue<'ctx> {
        self.ctx.i64_type().const_int(v, false)
    }

    fn param(&self, i: u32) -> CgResult<PointerValue<'ctx>> {
        loop_param(self.func, i)
    }

    /// Loads `base[i]` of an `i64` or pointer array.
    fn load_at(
        &self,
        base: PointerValue<'ctx>,
        i: usize,
        ptr: bool,
    ) -> CgResult<inkwell::values::BasicValueEnum<'ctx>> {
        let b = &self.b;
        let p8 = self.ctx.ptr_type(AddressSpace::default());
        let idx = self.i64(i as u64);
        // SAFETY (of the generated code): NumPy passes nargs pointers and steps, and
        // 1 + (distinct core dims) dimensions.
        Ok(if ptr {
            let p = unsafe { b.build_gep(p8, base, &[idx], "")? };
            b.build_load(p8, p, "arg")?
        } else {
            let p = unsafe { b.build_gep(self.ctx.i64_type(), base, &[idx], "")? };
            b.build_load(self.ctx.i64_type(), p, "")?
        })
    }

    fn body(&self, specs: &[CoreArg]) -> CgResult<()> {
        let b = &self.b;
        let entry = self.ctx.append_basic_block(self.func, "entry");
        b.position_at_end(entry);
        let (argv, dims, steps) = (self.param(0)?, self.param(1)?, self.param(2)?);
        let failed = failure_flag(self.ctx, b)?;
        let n = self.load_at(dims, 0, false)?.into_int_value();
        let ndims = specs
            .iter()
            .flat_map(|s| &s.dims)
            .filter_map(|d| match d {
                CoreSize::Dim(k) => Some(k + 1),
                CoreSize::Fixed(_) => None,
            })
            .max()
            .unwrap_or(0);
        let mut sizes = Vec::with_capacity(ndims);
        for k in 0..ndims {
            sizes.push(self.load_at(dims, 1 + k, false)?.into_int_value());
        }
        let mut args = Vec::with_capacity(specs.len());
        let mut core_step = specs.len();
        for (k, spec) in specs.iter().enumerate() {
            let base = self.load_at(argv, k, true)?.into_pointer_value();
            let step = self.load_at(steps, k, false)?.into_int_value();
            let mut shape = Vec::with_capacity(spec.dims.len());
            let mut strides = Vec::with_capacity(spec.dims.len());
            for d in &spec.dims {
                shape.push(match *d {
                    CoreSize::Dim(j) => sizes[j],
                    CoreSize::Fixed(c) => self.i64(c),
                });
                strides.push(self.load_at(steps, core_step, false)?.into_int_value());
                core_step += 1;
            }
            if spec.array && spec.dims.is_empty() {
                shape.push(self.i64(1));
                strides.push(self.i64(spec.dtype.size() as u64));
            }
            args.push(Arg {
                base,
                step,
                shape,
                strides,
                spec: spec.clone(),
            });
        }
        let exit = self.ctx.append_basic_block(self.func, "exit");
        // Contiguous rows: every innermost core stride equals the item size.
        let mut contiguous = self.ctx.bool_type().const_all_ones();
        let mut any_core = false;
        for a in args.iter().filter(|a| !a.spec.dims.is_empty()) {
            any_core = true;
            let last = a.strides[a.strides.len() - 1];
            let size = self.i64(a.spec.dtype.size() as u64);
            let c = b.build_int_compare(IntPredicate::EQ, last, size, "")?;
            contiguous = b.build_and(contiguous, c, "contig")?;
        }
        if any_core {
            let (fast, general) = (
                self.ctx.append_basic_block(self.func, "contig"),
                self.ctx.append_basic_block(self.func, "strided"),
            );
            b.build_conditional_branch(contiguous, fast, general)?;
            b.position_at_end(fast);
            self.outer_loop(n, &args, true, failed, exit)?;
            b.position_at_end(general);
        }
        self.outer_loop(n, &args, false, failed, exit)?;
        b.position_at_end(exit);
        b.build_return(None)?;
        Ok(())
    }

    /// `for i in 0..n: kernel(args at i)`, then `exit`; `contiguous` passes the innermost core
    /// strides as constants.
    fn outer_loop(
        &self,
        n: IntValue<'ctx>,
        args: &[Arg<'ctx>],
        contiguous: bool,
        failed: PointerValue<'ctx>,
        exit: BasicBlock<'ctx>,
    ) -> CgResult<()> {
        let b = &self.b;
        let i64t = self.ctx.i64_type();
        let pre = b
            .get_insert_block()
            .ok_or_else(|| CgError("no block".into()))?;
        let lp = self.ctx.append_basic_block(self.func, "outer");
        let nonempty = b.build_int_compare(IntPredicate::SGT, n, i64t.const_zero(), "")?;
        b.build_conditional_branch(nonempty, lp, exit)?;
        b.position_at_end(lp);
        let i = b.build_phi(i64t, "i")?;
        let iv = i.as_basic_value().into_int_value();
        let mut call_args: Vec<BasicMetadataValueEnum<'ctx>> = Vec::new();
        for a in args {
            let off = b.build_int_mul(iv, a.step, "")?;
            // SAFETY (of the generated code): NumPy guarantees n outer elements at this step.
            let p = unsafe { b.build_gep(self.ctx.i8_type(), a.base, &[off], "p")? };
            if !a.spec.array {
                call_args.push(self.load_scalar(p, a.spec.dtype)?.into());
                continue;
            }
            call_args.push(p.into());
            call_args.extend(a.shape.iter().map(|&s| BasicMetadataValueEnum::from(s)));
            let last = a.strides.len().saturating_sub(1);
            for (j, &s) in a.strides.iter().enumerate() {
                let s = if contiguous && j == last && !a.spec.dims.is_empty() {
                    self.i64(a.spec.dtype.size() as u64)
                } else {
                    s
                };
                call_args.push(s.into());
            }
        }
        call_args.push(failed.into());
        b.build_call(self.kernel, &call_args, "")?;
        let cont = self.ctx.append_basic_block(self.func, "outer.next");
        stop_on_failure(self.ctx, b, failed, exit, cont)?;
        let next = b.build_int_add(iv, self.i64(1), "i.next")?;
        i.add_incoming(&[(&i64t.const_zero(), pre), (&next, cont)]);
        let more = b.build_int_compare(IntPredicate::SLT, next, n, "")?;
        b.build_conditional_branch(more, lp, exit)?;
        Ok(())
    }

    /// A `()` scalar argument in the kernel's ABI form (bool as `i1`, complex as `{T, T}`).
    fn load_scalar(
        &self,
        p: PointerValue<'ctx>,
        ty: Scalar,
    ) -> CgResult<inkwell::values::BasicValueEnum<'ctx>> {
        let (v, _) = load_elem(self.ctx, &self.b, p, ty)?;
        to_abi(self.ctx, &self.b, ty, v)
    }
}

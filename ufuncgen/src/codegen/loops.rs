//! The NumPy inner loop around a kernel: `void loop(char **args, npy_intp const *dims,
//! npy_intp const *steps, void *data)` for nin inputs and one output, with a reduction path,
//! a contiguous path (vectorizable; marked free of cross-iteration dependences only after a
//! run-time overlap check) and a general strided path.

use inkwell::basic_block::BasicBlock;
use inkwell::builder::Builder;
use inkwell::context::Context;
use inkwell::module::Module;
use inkwell::values::{
    AsValueRef, BasicValueEnum, FunctionValue, InstructionValue, IntValue, MetadataValue,
    PointerValue,
};
use inkwell::{AddressSpace, IntPredicate};

use super::loop_abi::{declare_numpy_loop, failure_flag, loop_param, stop_on_failure};
use super::target::Target;
use super::value::{from_abi, load_elem, store_elem, to_abi, CgError, CgResult};
use crate::ir;
use crate::types::Scalar;

/// One array operand of the loop: its data pointer, step and dtype.
#[derive(Clone, Copy)]
struct Operand<'ctx> {
    ptr: PointerValue<'ctx>,
    step: IntValue<'ctx>,
    ty: Scalar,
}

/// How a loop variant indexes its operands.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Stride {
    /// Element size: the vectorizer sees unit strides.
    Contiguous,
    /// The steps NumPy passed (any value, including 0 and negative).
    Steps,
}

struct LoopBuilder<'ctx> {
    ctx: &'ctx Context,
    b: Builder<'ctx>,
    func: FunctionValue<'ctx>,
    kernel: FunctionValue<'ctx>,
    i64t: inkwell::types::IntType<'ctx>,
    /// The kernel's failure flag (an `i8` slot in the loop's frame; see `kernel::Cg::fail_if`).
    failed: std::cell::Cell<Option<PointerValue<'ctx>>>,
}

/// Emits the exported loop `symbol` calling `kernel` (which computes `func`).
pub(crate) fn build_loop<'ctx>(
    ctx: &'ctx Context,
    module: &Module<'ctx>,
    kernel: FunctionValue<'ctx>,
    func: &ir::Function,
    symbol: &str,
    target: &Target,
) -> CgResult<FunctionValue<'ctx>> {
    let f = declare_numpy_loop(ctx, module, symbol, target);
    let lb = LoopBuilder {
        ctx,
        b: ctx.create_builder(),
        func: f,
        kernel,
        i64t: ctx.i64_type(),
        failed: std::cell::Cell::new(None),
    };
    lb.body(func)?;
    Ok(f)
}

impl<'ctx> LoopBuilder<'ctx> {
    fn block(&self, name: &str) -> BasicBlock<'ctx> {
        self.ctx.append_basic_block(self.func, name)
    }

    fn param(&self, i: u32) -> CgResult<PointerValue<'ctx>> {
        loop_param(self.func, i)
    }

    fn body(&self, func: &ir::Function) -> CgResult<()> {
        let b = &self.b;
        let entry = self.block("entry");
        b.position_at_end(entry);
        let (args, dims, steps) = (self.param(0)?, self.param(1)?, self.param(2)?);
        let ptr_t = self.ctx.ptr_type(AddressSpace::default());
        let n = b.build_load(self.i64t, dims, "n")?.into_int_value();
        self.failed.set(Some(failure_flag(self.ctx, b)?));
        let types: Vec<Scalar> = (0..func.params as usize)
            .map(|i| func.locals[i].ty)
            .chain(std::iter::once(func.ret))
            .collect();
        let mut ops = Vec::with_capacity(types.len());
        for (i, &ty) in types.iter().enumerate() {
            let idx = self.i64t.const_int(i as u64, false);
            // SAFETY (of the generated code): NumPy passes nin + nout pointers and steps.
            let pa = unsafe { b.build_gep(ptr_t, args, &[idx], "argp")? };
            let ps = unsafe { b.build_gep(self.i64t, steps, &[idx], "stepp")? };
            ops.push(Operand {
                ptr: b.build_load(ptr_t, pa, "arg")?.into_pointer_value(),
                step: b.build_load(self.i64t, ps, "step")?.into_int_value(),
                ty,
            });
        }
        let exit = self.block("exit");
        let contiguous_check = self.block("contig.check");
        let out = ops[ops.len() - 1];
        // reduce: args[0] == args[2] with both steps 0 (NumPy's binary reduce).
        if ops.len() == 3 && ops[0].ty == out.ty {
            let reduce = self.block("reduce");
            let same = b.build_int_compare(
                IntPredicate::EQ,
                self.addr(ops[0].ptr)?,
                self.addr(out.ptr)?,
                "",
            )?;
            let z0 =
                b.build_int_compare(IntPredicate::EQ, ops[0].step, self.i64t.const_zero(), "")?;
            let z2 = b.build_int_compare(IntPredicate::EQ, out.step, self.i64t.const_zero(), "")?;
            let is_reduce = b.build_and(b.build_and(same, z0, "")?, z2, "isreduce")?;
            b.build_conditional_branch(is_reduce, reduce, contiguous_check)?;
            b.position_at_end(reduce);
            // A contiguous input gets its own copy of the loop: with a unit stride LLVM can
            // vectorize reductions it may reorder (integers); floats stay in order (IEEE-exact).
            let (reduce_contig, reduce_strided) =
                (self.block("reduce.contig"), self.block("reduce.strided"));
            let unit =
                b.build_int_compare(IntPredicate::EQ, ops[1].step, self.size(ops[1].ty), "")?;
            b.build_conditional_branch(unit, reduce_contig, reduce_strided)?;
            b.position_at_end(reduce_contig);
            self.reduce_loop(n, ops[1], out, exit, Stride::Contiguous)?;
            b.position_at_end(reduce_strided);
            self.reduce_loop(n, ops[1], out, exit, Stride::Steps)?;
        } else {
            b.build_unconditional_branch(contiguous_check)?;
        }

        b.position_at_end(contiguous_check);
        let mut contiguous = self.ctx.bool_type().const_all_ones();
        for op in &ops {
            let size = self.i64t.const_int(op.ty.size() as u64, false);
            let c = b.build_int_compare(IntPredicate::EQ, op.step, size, "")?;
            contiguous = b.build_and(contiguous, c, "contig")?;
        }
        let (alias_check, strided) = (self.block("alias.check"), self.block("strided"));
        b.build_conditional_branch(contiguous, alias_check, strided)?;

        // Independent iterations when every input is the output itself or does not overlap it
        // (accumulate passes an input shifted by one element: that must stay sequential).
        b.position_at_end(alias_check);
        let out_lo = self.addr(out.ptr)?;
        let out_hi = b.build_int_add(out_lo, b.build_int_mul(n, self.size(out.ty), "")?, "")?;
        let mut independent = self.ctx.bool_type().const_all_ones();
        for op in &ops[..ops.len() - 1] {
            let lo = self.addr(op.ptr)?;
            let hi = b.build_int_add(lo, b.build_int_mul(n, self.size(op.ty), "")?, "")?;
            let same = b.build_int_compare(IntPredicate::EQ, lo, out_lo, "")?;
            let before = b.build_int_compare(IntPredicate::ULE, hi, out_lo, "")?;
            let after = b.build_int_compare(IntPredicate::ULE, out_hi, lo, "")?;
            let ok = b.build_or(b.build_or(same, before, "")?, after, "")?;
            independent = b.build_and(independent, ok, "indep")?;
        }
        let (parallel, sequential) = (self.block("contig.parallel"), self.block("contig.seq"));
        b.build_conditional_branch(independent, parallel, sequential)?;
        b.position_at_end(parallel);
        self.map_loop(n, &ops, Stride::Contiguous, true, exit)?;
        b.position_at_end(sequential);
        self.map_loop(n, &ops, Stride::Contiguous, false, exit)?;
        b.position_at_end(strided);
        self.map_loop(n, &ops, Stride::Steps, false, exit)?;

        b.position_at_end(exit);
        b.build_return(None)?;
        Ok(())
    }

    fn addr(&self, p: PointerValue<'ctx>) -> CgResult<IntValue<'ctx>> {
        Ok(self.b.build_ptr_to_int(p, self.i64t, "addr")?)
    }

    fn size(&self, ty: Scalar) -> IntValue<'ctx> {
        self.i64t.const_int(ty.size() as u64, false)
    }

    /// Address of element `i` of `op`.
    fn elem(
        &self,
        op: Operand<'ctx>,
        i: IntValue<'ctx>,
        stride: Stride,
    ) -> CgResult<PointerValue<'ctx>> {
        let step = match stride {
            Stride::Contiguous => self.size(op.ty),
            Stride::Steps => op.step,
        };
        let off = self.b.build_int_mul(i, step, "off")?;
        // SAFETY (of the generated code): NumPy guarantees n elements at these steps.
        Ok(unsafe {
            self.b
                .build_gep(self.ctx.i8_type(), op.ptr, &[off], "elem")?
        })
    }

    /// Loads one element in the kernel's ABI form; returns the load instructions too.
    fn load(
        &self,
        p: PointerValue<'ctx>,
        ty: Scalar,
    ) -> CgResult<(BasicValueEnum<'ctx>, Vec<InstructionValue<'ctx>>)> {
        let (v, insts) = load_elem(self.ctx, &self.b, p, ty)?;
        Ok((to_abi(self.ctx, &self.b, ty, v)?, insts))
    }

    /// Stores a kernel result (ABI form); bool becomes a 0/1 byte.
    fn store(
        &self,
        p: PointerValue<'ctx>,
        ty: Scalar,
        v: BasicValueEnum<'ctx>,
    ) -> CgResult<Vec<InstructionValue<'ctx>>> {
        store_elem(self.ctx, &self.b, p, ty, from_abi(&self.b, ty, v)?)
    }

    /// Calls the kernel; if it stopped on a run-time error, the loop ends at `exit`.
    fn call_kernel(
        &self,
        args: &[BasicValueEnum<'ctx>],
        exit: BasicBlock<'ctx>,
    ) -> CgResult<BasicValueEnum<'ctx>> {
        let failed = self
            .failed
            .get()
            .ok_or_else(|| CgError("failure flag missing".into()))?;
        let mut margs: Vec<_> = args.iter().map(|&a| a.into()).collect();
        margs.push(failed.into());
        let r = self
            .b
            .build_call(self.kernel, &margs, "k")?
            .try_as_basic_value()
            .basic()
            .ok_or_else(|| CgError("kernel returns void".into()))?;
        let cont = self.block("kernel.ok");
        stop_on_failure(self.ctx, &self.b, failed, exit, cont)?;
        Ok(r)
    }

    /// Emits `for i in 0..n` around `body`, from the current block, then continues at `exit`.
    /// Returns the latch branch so loop metadata can be attached.
    fn counted_loop(
        &self,
        n: IntValue<'ctx>,
        exit: BasicBlock<'ctx>,
        name: &str,
        body: impl FnOnce(IntValue<'ctx>) -> CgResult<()>,
    ) -> CgResult<InstructionValue<'ctx>> {
        let b = &self.b;
        let pre = b
            .get_insert_block()
            .ok_or_else(|| CgError("no block".into()))?;
        let lp = self.block(name);
        let nonempty = b.build_int_compare(IntPredicate::SGT, n, self.i64t.const_zero(), "")?;
        b.build_conditional_branch(nonempty, lp, exit)?;
        b.position_at_end(lp);
        let i = b.build_phi(self.i64t, "i")?;
        let iv = i.as_basic_value().into_int_value();
        body(iv)?;
        let next = b.build_int_add(iv, self.i64t.const_int(1, false), "i.next")?;
        let latch_bb = b
            .get_insert_block()
            .ok_or_else(|| CgError("no block".into()))?;
        i.add_incoming(&[(&self.i64t.const_zero(), pre), (&next, latch_bb)]);
        let more = b.build_int_compare(IntPredicate::SLT, next, n, "")?;
        Ok(b.build_conditional_branch(more, lp, exit)?)
    }

    /// out[i] = kernel(in0[i], ...), optionally marked as having no cross-iteration dependences.
    fn map_loop(
        &self,
        n: IntValue<'ctx>,
        ops: &[Operand<'ctx>],
        stride: Stride,
        parallel: bool,
        exit: BasicBlock<'ctx>,
    ) -> CgResult<()> {
        let group = self.ctx.metadata_node(&[]);
        let group_kind = self.ctx.get_kind_id("llvm.access.group");
        let (ins, out) = ops.split_at(ops.len() - 1);
        let out = out[0];
        let latch = self.counted_loop(n, exit, if parallel { "map.par" } else { "map" }, |i| {
            let mut vals = Vec::with_capacity(ins.len());
            let mut mem = Vec::new();
            for &op in ins {
                let (v, insts) = self.load(self.elem(op, i, stride)?, op.ty)?;
                vals.push(v);
                mem.extend(insts);
            }
            let r = self.call_kernel(&vals, exit)?;
            mem.extend(self.store(self.elem(out, i, stride)?, out.ty, r)?);
            if parallel {
                for inst in mem {
                    inst.set_metadata(group, group_kind)
                        .map_err(|e| CgError(e.to_string()))?;
                }
            }
            Ok(())
        })?;
        if parallel {
            let prop = self.ctx.metadata_node(&[
                self.ctx
                    .metadata_string("llvm.loop.parallel_accesses")
                    .into(),
                group.into(),
            ]);
            self.mark_loop(latch, prop)?;
        } else if stride == Stride::Contiguous {
            // Only overlapping operands get here (accumulate): they cannot be vectorized, so
            // spare the compile time of a vector version that its run-time check would skip.
            let off = self.ctx.bool_type().const_zero();
            let prop = self.ctx.metadata_node(&[
                self.ctx
                    .metadata_string("llvm.loop.vectorize.enable")
                    .into(),
                off.into(),
            ]);
            self.mark_loop(latch, prop)?;
        }
        Ok(())
    }

    /// Attaches a loop ID carrying one property node to the loop's latch branch.
    fn mark_loop(&self, latch: InstructionValue<'ctx>, prop: MetadataValue<'ctx>) -> CgResult<()> {
        let id = self
            .ctx
            .metadata_node(&[self.ctx.metadata_string("self").into(), prop.into()]);
        // A loop ID refers to itself as first operand (which also makes it distinct).
        // SAFETY: `id` is a live MDNode of this context and operand 0 exists.
        unsafe {
            let v = id.as_value_ref();
            llvm_sys::core::LLVMReplaceMDNodeOperandWith(
                v,
                0,
                llvm_sys::core::LLVMValueAsMetadata(v),
            );
        }
        latch
            .set_metadata(id, self.ctx.get_kind_id("llvm.loop"))
            .map_err(|e| CgError(e.to_string()))
    }

    /// NumPy's reduce: out = kernel(out, in[i]) for every i, the accumulator in a register.
    fn reduce_loop(
        &self,
        n: IntValue<'ctx>,
        input: Operand<'ctx>,
        out: Operand<'ctx>,
        exit: BasicBlock<'ctx>,
        stride: Stride,
    ) -> CgResult<()> {
        let b = &self.b;
        let (init, _) = self.load(out.ptr, out.ty)?;
        let pre = b
            .get_insert_block()
            .ok_or_else(|| CgError("no block".into()))?;
        let (lp, done) = (self.block("reduce.loop"), self.block("reduce.store"));
        let nonempty = b.build_int_compare(IntPredicate::SGT, n, self.i64t.const_zero(), "")?;
        b.build_conditional_branch(nonempty, lp, exit)?;
        b.position_at_end(lp);
        let i = b.build_phi(self.i64t, "i")?;
        let acc = b.build_phi(init.get_type(), "acc")?;
        let iv = i.as_basic_value().into_int_value();
        let (x, _) = self.load(self.elem(input, iv, stride)?, input.ty)?;
        let r = self.call_kernel(&[acc.as_basic_value(), x], exit)?;
        let next = b.build_int_add(iv, self.i64t.const_int(1, false), "i.next")?;
        let latch_bb = b
            .get_insert_block()
            .ok_or_else(|| CgError("no block".into()))?;
        i.add_incoming(&[(&self.i64t.const_zero(), pre), (&next, latch_bb)]);
        acc.add_incoming(&[(&init, pre), (&r, latch_bb)]);
        let more = b.build_int_compare(IntPredicate::SLT, next, n, "")?;
        b.build_conditional_branch(more, lp, done)?;
        b.position_at_end(done);
        self.store(out.ptr, out.ty, r)?;
        b.build_unconditional_branch(exit)?;
        Ok(())
    }
}

//! Lowers one `ir::Function` to an internal LLVM function (always inlined unless too big, see
//! `size_limits`): parameters by value, the result returned (complex as `{T, T}`); locals live
//! in allocas that mem2reg promotes.

use inkwell::attributes::AttributeLoc;
use inkwell::basic_block::BasicBlock;
use inkwell::builder::Builder;
use inkwell::context::Context;
use inkwell::module::{Linkage, Module};
use inkwell::types::BasicMetadataTypeEnum;
use inkwell::values::BasicMetadataValueEnum;
use inkwell::values::{FunctionValue, InstructionValue, IntValue, PointerValue};
use inkwell::{AddressSpace, IntPredicate};

use super::size_limits::{self, SizeCounter};
use super::target::Target;
use super::value::{
    abi_type, float_type, from_abi, int_type, to_abi, zero, ArraySlot, ArrayVal, CgError, CgResult,
    CgVal,
};
use crate::diag::{SourceMap, Span};
use crate::ir::{self, Const, ExprKind, LogicalOp, StmtKind, UnaryOp};
use crate::types::Scalar;

/// Where a local lives: one alloca, or two for a complex (real, imag).
#[derive(Clone, Copy)]
enum Slot<'ctx> {
    One(PointerValue<'ctx>),
    Two(PointerValue<'ctx>, PointerValue<'ctx>),
}

/// Jump targets of the innermost enclosing loop.
struct LoopTargets<'ctx> {
    continue_to: BasicBlock<'ctx>,
    break_to: BasicBlock<'ctx>,
}

/// The state of lowering one kernel; arithmetic, casts and math calls extend it in sibling
/// modules.
pub(crate) struct Cg<'a, 'ctx> {
    pub ctx: &'ctx Context,
    pub module: &'a Module<'ctx>,
    pub b: Builder<'ctx>,
    pub func: FunctionValue<'ctx>,
    /// Emit LLVM fast-math flags and plain (possibly signalling) float comparisons.
    pub fastmath: bool,
    slots: Vec<Slot<'ctx>>,
    local_types: Vec<Scalar>,
    loops: Vec<LoopTargets<'ctx>>,
    ret: Scalar,
    /// A tuple-returning helper's part types (`ir::Function::ret_parts`); it returns a struct.
    ret_parts: Vec<Scalar>,
    /// True for gufunc kernels, which return nothing.
    void_ret: bool,
    /// Array variables, by `ir::ArrayId`.
    pub arrays: Vec<ArraySlot<'ctx>>,
    /// Frozen arrays, by `ir::TableId`.
    pub tables: Vec<ArrayVal<'ctx>>,
    /// Emit index checks on array accesses.
    pub boundscheck: bool,
    /// The flag (an `i8` the caller owns) set when the kernel stops on a run-time error.
    failed: PointerValue<'ctx>,
    /// The kernel's name and source, for run-time error messages.
    name: String,
    origin: SourceMap,
    /// The span of the expression being lowered (error messages name its line).
    pub span: Span,
    /// Message constants already emitted, by text.
    messages: std::cell::RefCell<std::collections::HashMap<String, PointerValue<'ctx>>>,
    /// The LLVM parameter index of each IR parameter.
    first_param: Vec<u32>,
    /// The emitted functions of `ir::Function::callees`, by `ir::CalleeId`.
    callees: Vec<(FunctionValue<'ctx>, Scalar, Vec<Scalar>)>,
    /// The part types of each callee that returns a tuple (empty for the others).
    callee_parts: Vec<Vec<Scalar>>,
    /// Sizes of emitted code, for the vectorization limit of loops (`size_limits`).
    sizes: SizeCounter<'ctx>,
    /// The guarded build of each callee (its operations all on a conditional path, see
    /// `guard`), called from conditional paths.
    guarded_callees: Vec<FunctionValue<'ctx>>,
    /// How many conditional constructs enclose the code being emitted (`guard`).
    pub guard_depth: u32,
    /// Set once a `return`, `raise`, `break` or `continue` has been emitted inside a branch or
    /// loop: what follows runs only on some paths too.
    pub diverged: bool,
}

/// Emits `func` as the internal function `name` and returns it.
pub(crate) fn build_kernel<'ctx>(
    ctx: &'ctx Context,
    module: &Module<'ctx>,
    func: &ir::Function,
    name: &str,
    fastmath: bool,
    target: &Target,
) -> CgResult<FunctionValue<'ctx>> {
    build_kernel_on(ctx, module, func, name, fastmath, target, false)
}

/// `build_kernel`; with `guarded`, every operation is emitted as on a conditional path (the
/// build of a helper called from one: inlined there, its operations would be speculated).
fn build_kernel_on<'ctx>(
    ctx: &'ctx Context,
    module: &Module<'ctx>,
    func: &ir::Function,
    name: &str,
    fastmath: bool,
    target: &Target,
    guarded: bool,
) -> CgResult<FunctionValue<'ctx>> {
    if func.locals.len() < func.params as usize {
        return Err(CgError(format!(
            "IR of {} declares {} parameters but only {} locals",
            func.name,
            func.params,
            func.locals.len()
        )));
    }
    let ptr = ctx.ptr_type(AddressSpace::default());
    let i64t = ctx.i64_type();
    // Array parameters arrive as (data, shape..., strides...); the failure flag comes last.
    let mut params: Vec<BasicMetadataTypeEnum> = Vec::new();
    let mut first_param = Vec::with_capacity(func.params as usize);
    for (i, d) in func.locals[..func.params as usize].iter().enumerate() {
        first_param.push(params.len() as u32);
        match func.array_of(ir::Local(i as u32)) {
            Some(id) => {
                params.push(ptr.into());
                let ndim = func.arrays[id.0 as usize].ndim as usize;
                params.extend(std::iter::repeat_n(
                    BasicMetadataTypeEnum::from(i64t),
                    2 * ndim,
                ));
            }
            None => params.push(abi_type(ctx, d.ty).into()),
        }
    }
    params.push(ptr.into());
    let fn_type = if func.is_gufunc() {
        ctx.void_type().fn_type(&params, false)
    } else if !func.ret_parts.is_empty() {
        tuple_type(ctx, &func.ret_parts).fn_type(&params, false)
    } else {
        inkwell::types::BasicType::fn_type(&abi_type(ctx, func.ret), &params, false)
    };
    let f = module.add_function(name, fn_type, Some(Linkage::Internal));
    for attr in ["alwaysinline", "nounwind"] {
        let kind = inkwell::attributes::Attribute::get_named_enum_kind_id(attr);
        f.add_attribute(AttributeLoc::Function, ctx.create_enum_attribute(kind, 0));
    }
    target.apply_to(f);

    let entry = ctx.append_basic_block(f, "entry");
    let b = ctx.create_builder();
    b.position_at_end(entry);
    let nth = |k: u32| {
        f.get_nth_param(k)
            .ok_or_else(|| format!("kernel parameter {k} missing"))
    };
    let mut tables = Vec::with_capacity(func.tables.len());
    for (i, t) in func.tables.iter().enumerate() {
        tables.push(super::value::const_table(
            ctx,
            module,
            t,
            &format!("{name}.table{i}"),
        )?);
    }
    let mut callees = Vec::with_capacity(func.callees.len());
    let mut guarded_callees = Vec::with_capacity(func.callees.len());
    for (i, c) in func.callees.iter().enumerate() {
        // Under fastmath nothing is guarded: one build serves both kinds of call site.
        let g = if fastmath {
            None
        } else {
            let g_name = format!("{name}.fn{i}.guarded");
            Some(build_kernel_on(
                ctx, module, c, &g_name, fastmath, target, true,
            )?)
        };
        let callee = match g {
            Some(g) if guarded => g,
            _ => build_kernel_on(
                ctx,
                module,
                c,
                &format!("{name}.fn{i}"),
                fastmath,
                target,
                false,
            )?,
        };
        guarded_callees.push(g.unwrap_or(callee));
        let params = c.locals[..c.params as usize].iter().map(|d| d.ty).collect();
        callees.push((callee, c.ret, params));
    }
    let callee_parts = func.callees.iter().map(|c| c.ret_parts.clone()).collect();
    let failed = nth(params.len() as u32 - 1)?.into_pointer_value();
    let mut cg = Cg {
        ctx,
        module,
        b,
        func: f,
        fastmath,
        slots: Vec::with_capacity(func.locals.len()),
        local_types: func.locals.iter().map(|d| d.ty).collect(),
        loops: Vec::new(),
        ret: func.ret,
        ret_parts: func.ret_parts.clone(),
        void_ret: func.is_gufunc(),
        arrays: Vec::with_capacity(func.arrays.len()),
        tables,
        boundscheck: func.boundscheck,
        failed,
        name: func.name.clone(),
        origin: func.origin.clone(),
        span: Span::default(),
        messages: Default::default(),
        first_param,
        callees,
        callee_parts,
        sizes: SizeCounter::default(),
        guarded_callees,
        guard_depth: u32::from(guarded),
        diverged: false,
    };
    cg.lower_body(func)?;
    if fastmath {
        set_fast_flags(f);
    }
    Ok(f)
}

/// Whether `block` contains a loop, at any depth (not counting loops inside expressions).
fn has_loop(block: &ir::Block) -> bool {
    block.iter().any(|s| match &s.kind {
        StmtKind::While { .. } | StmtKind::ForRange { .. } => true,
        StmtKind::If {
            then_body,
            else_body,
            ..
        } => has_loop(then_body) || has_loop(else_body),
        _ => false,
    })
}

/// The struct a tuple-returning helper returns: its parts' ABI types.
fn tuple_type<'ctx>(ctx: &'ctx Context, parts: &[Scalar]) -> inkwell::types::StructType<'ctx> {
    let fields: Vec<_> = parts.iter().map(|&t| abi_type(ctx, t)).collect();
    ctx.struct_type(&fields, false)
}

/// How each array variable holds memory: the variables some `Alloc` in `body` fills (they own
/// a buffer), and those whose arrays some other variable may still see when they allocate
/// again (`prev = cur`): these keep every buffer until the kernel returns instead of reusing.
fn owners(
    body: &ir::Block,
) -> (
    std::collections::HashSet<u32>,
    std::collections::HashSet<u32>,
) {
    let mut out = std::collections::HashSet::new();
    let mut shared = std::collections::HashSet::new();
    let mut stack: Vec<&ir::Block> = vec![body];
    while let Some(b) = stack.pop() {
        for s in b {
            match &s.kind {
                StmtKind::Alloc { dst, .. } => {
                    out.insert(dst.0);
                }
                StmtKind::BindArray { dst, value } => {
                    if let ir::ArrayExpr::Var(src) = value.root() {
                        if src != dst {
                            shared.insert(src.0);
                        }
                    }
                }
                StmtKind::If {
                    then_body,
                    else_body,
                    ..
                } => stack.extend([then_body, else_body]),
                StmtKind::While { body, orelse, .. } | StmtKind::ForRange { body, orelse, .. } => {
                    stack.extend([body, orelse])
                }
                _ => {}
            }
        }
    }
    (out, shared)
}

/// The kind code `ufg_set_error` takes for an exception (`runtime::errors::kind`).
fn exception_kind(e: ir::Exception) -> i32 {
    use crate::runtime::errors::kind;
    match e {
        ir::Exception::IndexError => kind::INDEX,
        ir::Exception::ValueError => kind::VALUE,
        ir::Exception::AssertionError => kind::ASSERTION,
        ir::Exception::ZeroDivisionError => kind::ZERO_DIVISION,
        ir::Exception::OverflowError => kind::OVERFLOW,
        ir::Exception::ArithmeticError => kind::ARITHMETIC,
        ir::Exception::UnboundLocalError => kind::UNBOUND_LOCAL,
    }
}

/// Puts LLVM's `fast` flags on every float instruction of `f` (one generic pass, not per op).
pub(crate) fn set_fast_flags(f: FunctionValue<'_>) {
    use inkwell::values::FastMathFlags;
    for bb in f.get_basic_block_iter() {
        let mut inst = bb.get_first_instruction();
        while let Some(i) = inst {
            if i.can_use_fast_math_flags() {
                // Calls and phis returning non-float types reject the flags; that is fine.
                let _ = i.set_fast_math_flags(FastMathFlags::all());
            }
            inst = i.get_next_instruction();
        }
    }
}

impl<'a, 'ctx> Cg<'a, 'ctx> {
    fn lower_body(&mut self, func: &ir::Function) -> CgResult<()> {
        let (owners, shared) = owners(&func.body);
        for (i, a) in func.arrays.iter().enumerate() {
            let i32_ = i as u32;
            let slot = self.array_slot(a, owners.contains(&i32_), shared.contains(&i32_))?;
            self.arrays.push(slot);
            if let Some(l) = a.param {
                // Parameters arrive as (data, shape..., strides...).
                let k = self
                    .first_param
                    .get(l.0 as usize)
                    .copied()
                    .ok_or_else(|| CgError(format!("array parameter {l} out of range")))?;
                let nth = |j: u32| {
                    self.func
                        .get_nth_param(j)
                        .ok_or_else(|| CgError(format!("kernel parameter {j} missing")))
                };
                let n = a.ndim;
                let ints = |from: u32| {
                    (from..from + n)
                        .map(|j| nth(j).map(|v| v.into_int_value()))
                        .collect::<CgResult<Vec<_>>>()
                };
                let v = ArrayVal {
                    data: nth(k)?.into_pointer_value(),
                    shape: ints(k + 1)?,
                    strides: ints(k + 1 + n)?,
                    dtype: a.dtype,
                    checked: self.boundscheck,
                };
                self.bind_array(ir::ArrayId(i as u32), &v)?;
            }
        }
        for (i, decl) in func.locals.iter().enumerate() {
            let slot = if decl.ty.is_complex() {
                let t = float_type(self.ctx, decl.ty);
                Slot::Two(
                    self.b.build_alloca(t, &format!("{}.re", decl.name))?,
                    self.b.build_alloca(t, &format!("{}.im", decl.name))?,
                )
            } else {
                Slot::One(
                    self.b
                        .build_alloca(abi_type(self.ctx, decl.ty), &decl.name)?,
                )
            };
            self.slots.push(slot);
            // Locals start at zero so that no path reads an undefined value (array parameters
            // are never read as locals).
            let is_array = func.array_of(ir::Local(i as u32)).is_some();
            let init = if i < func.params as usize && !is_array {
                let p = self
                    .first_param
                    .get(i)
                    .and_then(|&k| self.func.get_nth_param(k))
                    .ok_or_else(|| CgError(format!("missing parameter {i}")))?;
                from_abi(&self.b, decl.ty, p)?
            } else {
                zero(self.ctx, decl.ty)
            };
            self.store_local(ir::Local(i as u32), init)?;
        }
        self.block(&func.body)?;
        if self.open() {
            // Falling off the end: a gufunc kernel is done; for a scalar kernel the front end
            // prevents it, so returning zero only avoids UB.
            self.ret_default()?;
        }
        Ok(())
    }

    /// Returns nothing (gufunc kernels) or zero.
    fn ret_default(&self) -> CgResult<()> {
        self.free_locals()?;
        if self.void_ret {
            self.b.build_return(None)?;
            Ok(())
        } else if !self.ret_parts.is_empty() {
            let zeros = self.ret_parts.iter().map(|&t| zero(self.ctx, t)).collect();
            self.ret_tuple(zeros)
        } else {
            self.ret_value(zero(self.ctx, self.ret))
        }
    }

    /// Emits `if cond: report(); stop`: `report` records the error through the shim, then the
    /// kernel sets its failure flag and returns, and the loop around it stops.
    pub(crate) fn fail_if(
        &self,
        cond: IntValue<'ctx>,
        report: impl FnOnce(&Self) -> CgResult<()>,
    ) -> CgResult<()> {
        let (fail, cont) = (self.new_block("fail"), self.new_block("ok"));
        let expect = self.ctx.get_kind_id("prof");
        let weights = self.ctx.metadata_node(&[
            self.ctx.metadata_string("branch_weights").into(),
            self.ctx.i32_type().const_int(1, false).into(),
            self.ctx.i32_type().const_int(1 << 20, false).into(),
        ]);
        let br = self.b.build_conditional_branch(cond, fail, cont)?;
        br.set_metadata(weights, expect)
            .map_err(|e| CgError(e.to_string()))?;
        self.b.position_at_end(fail);
        report(self)?;
        self.stop()?;
        self.b.position_at_end(cont);
        Ok(())
    }

    /// Sets the failure flag and returns: the error is recorded, the loop stops.
    fn stop(&self) -> CgResult<()> {
        self.b
            .build_store(self.failed, self.ctx.i8_type().const_int(1, false))?;
        self.ret_default()
    }

    /// A global constant holding `text` (NUL-terminated), emitted once per module and kernel.
    pub(crate) fn message(&self, text: &str) -> CgResult<PointerValue<'ctx>> {
        if let Some(p) = self.messages.borrow().get(text) {
            return Ok(*p);
        }
        let g = self.b.build_global_string_ptr(text, "ufg.msg")?;
        g.set_linkage(Linkage::Private);
        let p = g.as_pointer_value();
        self.messages.borrow_mut().insert(text.to_string(), p);
        Ok(p)
    }

    /// `" in 'f' (file.py, line N)"` for the expression being lowered.
    pub(crate) fn location(&self) -> String {
        let (line, _) = self.origin.position(self.span.start);
        let file = if self.origin.filename.is_empty() {
            "<unknown>"
        } else {
            self.origin.filename.as_str()
        };
        format!(" in '{}' ({file}, line {line})", self.name)
    }

    /// Calls the shim's `ufg_set_error(kind, message)` with a static message.
    pub(crate) fn set_error(&self, kind: i32, text: &str) -> CgResult<()> {
        let msg = self.message(text)?;
        let f = self.shim_fn("ufg_set_error", |ctx| {
            let ptr = ctx.ptr_type(AddressSpace::default());
            ctx.void_type()
                .fn_type(&[ctx.i32_type().into(), ptr.into()], false)
        });
        let k = self.ctx.i32_type().const_int(kind as u64, true);
        self.b.build_call(f, &[k.into(), msg.into()], "")?;
        Ok(())
    }

    /// A cold external runtime helper, declared once.
    pub(crate) fn shim_fn(
        &self,
        name: &str,
        ty: impl FnOnce(&'ctx Context) -> inkwell::types::FunctionType<'ctx>,
    ) -> FunctionValue<'ctx> {
        self.module.get_function(name).unwrap_or_else(|| {
            let f = self
                .module
                .add_function(name, ty(self.ctx), Some(Linkage::External));
            let cold = inkwell::attributes::Attribute::get_named_enum_kind_id("cold");
            f.add_attribute(
                AttributeLoc::Function,
                self.ctx.create_enum_attribute(cold, 0),
            );
            f
        })
    }

    // ---- blocks and control flow helpers ----

    /// A new block in the kernel.
    pub(crate) fn new_block(&self, name: &str) -> BasicBlock<'ctx> {
        self.ctx.append_basic_block(self.func, name)
    }

    /// True while the builder's block has no terminator yet.
    pub(crate) fn open(&self) -> bool {
        self.b
            .get_insert_block()
            .is_some_and(|bb| bb.get_terminator().is_none())
    }

    /// Branches to `to` unless the current block already ended (return, break, continue).
    pub(crate) fn br(&self, to: BasicBlock<'ctx>) -> CgResult<()> {
        if self.open() {
            self.b.build_unconditional_branch(to)?;
        }
        Ok(())
    }

    /// Continues emitting in a fresh unreachable block after a terminator.
    /// Records a `return` or `raise`: inside a branch or loop, the code after it runs only on
    /// some paths (`guard`).
    fn note_exit(&mut self) {
        if self.guard_depth > 0 || !self.loops.is_empty() {
            self.diverged = true;
        }
    }

    fn dead_block(&self) {
        let bb = self.new_block("dead");
        self.b.position_at_end(bb);
    }

    /// Returns the parts of a tuple as one struct of their ABI values.
    fn ret_tuple(&self, parts: Vec<CgVal<'ctx>>) -> CgResult<()> {
        let t = tuple_type(self.ctx, &self.ret_parts);
        let mut agg: inkwell::values::AggregateValueEnum<'ctx> = t.get_undef().into();
        for (i, (v, &ty)) in parts.into_iter().zip(&self.ret_parts).enumerate() {
            let abi = to_abi(self.ctx, &self.b, ty, v)?;
            agg = self.b.build_insert_value(agg, abi, i as u32, "part")?;
        }
        self.b.build_return(Some(&agg.into_struct_value()))?;
        Ok(())
    }

    fn ret_value(&self, v: CgVal<'ctx>) -> CgResult<()> {
        self.free_locals()?;
        let abi = to_abi(self.ctx, &self.b, self.ret, v)?;
        self.b.build_return(Some(&abi))?;
        Ok(())
    }

    fn local_ty(&self, l: ir::Local) -> CgResult<Scalar> {
        self.local_types
            .get(l.0 as usize)
            .copied()
            .ok_or_else(|| CgError(format!("unknown local {l}")))
    }

    fn store_local(&self, l: ir::Local, v: CgVal<'ctx>) -> CgResult<()> {
        let slot = self
            .slots
            .get(l.0 as usize)
            .copied()
            .ok_or_else(|| CgError(format!("unknown local {l}")))?;
        match (slot, v) {
            (Slot::Two(pr, pi), CgVal::Complex(r, i)) => {
                self.b.build_store(pr, r)?;
                self.b.build_store(pi, i)?;
            }
            (Slot::One(p), CgVal::Int(x)) => {
                self.b.build_store(p, x)?;
            }
            (Slot::One(p), CgVal::Float(x)) => {
                self.b.build_store(p, x)?;
            }
            _ => return Err(CgError(format!("value of the wrong kind stored to {l}"))),
        }
        Ok(())
    }

    fn load_local(&self, l: ir::Local) -> CgResult<CgVal<'ctx>> {
        let ty = self.local_ty(l)?;
        let slot = self.slots[l.0 as usize];
        Ok(match slot {
            Slot::Two(pr, pi) => {
                let t = float_type(self.ctx, ty);
                CgVal::Complex(
                    self.b.build_load(t, pr, "re")?.into_float_value(),
                    self.b.build_load(t, pi, "im")?.into_float_value(),
                )
            }
            Slot::One(p) => {
                let v = self.b.build_load(abi_type(self.ctx, ty), p, "v")?;
                if ty.is_float() {
                    CgVal::Float(v.into_float_value())
                } else {
                    CgVal::Int(v.into_int_value())
                }
            }
        })
    }

    // ---- statements ----

    fn block(&mut self, stmts: &ir::Block) -> CgResult<()> {
        for s in stmts {
            self.stmt(s)?;
        }
        Ok(())
    }

    fn stmt(&mut self, s: &ir::Stmt) -> CgResult<()> {
        match &s.kind {
            StmtKind::Assign { dst, value } => {
                let v = self.expr(value)?;
                self.store_local(*dst, v)?;
            }
            StmtKind::If {
                cond,
                then_body,
                else_body,
            } => {
                let c = self.expr(cond)?.int()?;
                let (then_bb, else_bb, join) = (
                    self.new_block("then"),
                    self.new_block("else"),
                    self.new_block("endif"),
                );
                self.b.build_conditional_branch(c, then_bb, else_bb)?;
                self.b.position_at_end(then_bb);
                self.conditionally(|cg| cg.block(then_body))?;
                self.br(join)?;
                self.b.position_at_end(else_bb);
                self.conditionally(|cg| cg.block(else_body))?;
                self.br(join)?;
                self.b.position_at_end(join);
            }
            StmtKind::While { cond, body, orelse } => {
                let (head, body_bb, else_bb, exit) = (
                    self.new_block("while.head"),
                    self.new_block("while.body"),
                    self.new_block("while.else"),
                    self.new_block("while.end"),
                );
                self.br(head)?;
                self.b.position_at_end(head);
                let c = self.expr(cond)?.int()?;
                self.b.build_conditional_branch(c, body_bb, else_bb)?;
                self.b.position_at_end(body_bb);
                self.loops.push(LoopTargets {
                    continue_to: head,
                    break_to: exit,
                });
                self.block(body)?;
                self.loops.pop();
                if self.open() {
                    let latch = self.b.build_unconditional_branch(head)?;
                    self.limit_vectorizing(latch, &[head, body_bb], exit)?;
                }
                self.b.position_at_end(else_bb);
                // Skipped by a `break`.
                self.conditionally(|cg| cg.block(orelse))?;
                self.br(exit)?;
                self.b.position_at_end(exit);
            }
            StmtKind::ForRange {
                var,
                start,
                stop,
                step,
                body,
                orelse,
            } => self.for_range(*var, [start, stop, step], body, orelse)?,
            StmtKind::Break | StmtKind::Continue => {
                let target = self
                    .loops
                    .last()
                    .map(|l| {
                        if matches!(s.kind, StmtKind::Break) {
                            l.break_to
                        } else {
                            l.continue_to
                        }
                    })
                    .ok_or_else(|| CgError("break or continue outside a loop".into()))?;
                self.diverged = true;
                self.br(target)?;
                self.dead_block();
            }
            StmtKind::Return(e) => {
                let v = self.expr(e)?;
                self.note_exit();
                if self.open() {
                    self.ret_value(v)?;
                }
                self.dead_block();
            }
            StmtKind::ReturnVoid => {
                self.note_exit();
                if self.open() {
                    self.ret_default()?;
                }
                self.dead_block();
            }
            StmtKind::ReturnTuple(parts) => {
                self.note_exit();
                let vals = parts
                    .iter()
                    .map(|e| self.expr(e))
                    .collect::<CgResult<Vec<_>>>()?;
                if self.open() {
                    self.ret_tuple(vals)?;
                }
                self.dead_block();
            }
            StmtKind::CallUnpack { callee, args, dsts } => {
                let r = self
                    .call_raw(*callee, args, s.span)?
                    .ok_or_else(|| CgError(format!("callee {callee} returns nothing")))?;
                let parts = self
                    .callee_parts
                    .get(callee.0 as usize)
                    .cloned()
                    .unwrap_or_default();
                if parts.len() != dsts.len() {
                    return Err(CgError(format!(
                        "callee {callee} returns {} values, {} unpacked",
                        parts.len(),
                        dsts.len()
                    )));
                }
                let agg = r.into_struct_value();
                for (i, (&dst, ty)) in dsts.iter().zip(parts).enumerate() {
                    let v = self.b.build_extract_value(agg, i as u32, "part")?;
                    let v = from_abi(&self.b, ty, v)?;
                    self.store_local(dst, v)?;
                }
            }
            StmtKind::Store {
                array,
                index,
                value,
            } => {
                let v = self.expr(value)?;
                self.span = s.span;
                self.store_item(array, index, v)?;
            }
            StmtKind::BindArray { dst, value } => {
                self.span = s.span;
                let v = self.array_value(value)?;
                self.bind_array(*dst, &v)?;
            }
            StmtKind::Alloc { dst, shape, fill } => {
                self.span = s.span;
                self.alloc(*dst, shape, fill.as_ref())?;
            }
            StmtKind::StoreSlice { array, value } => {
                self.span = s.span;
                self.store_slice(array, value)?;
            }
            StmtKind::Raise { exception, message } => {
                self.note_exit();
                self.span = s.span;
                let text = format!("{message}{}", self.location());
                self.set_error(exception_kind(*exception), text.trim_start())?;
                if self.open() {
                    self.stop()?;
                }
                self.dead_block();
            }
        }
        Ok(())
    }

    /// `for var in range(start, stop, step)` as a counted loop: the trip count is computed up
    /// front in unsigned arithmetic, so bounds near the type's limits cannot overflow the
    /// induction variable (Python's ints never wrap), and a zero step runs zero times.
    fn for_range(
        &mut self,
        var: ir::Local,
        [start, stop, step]: [&ir::Expr; 3],
        body: &ir::Block,
        orelse: &ir::Block,
    ) -> CgResult<()> {
        let ty = self.local_ty(var)?;
        let it = int_type(self.ctx, ty);
        let constant = |e: &ir::Expr| match e.kind {
            ExprKind::Const(Const::Int(v)) => Some(v),
            _ => None,
        };
        if let (Some(a), Some(e), Some(st)) = (constant(start), constant(stop), constant(step)) {
            let trips = size_limits::range_trips(a, e, st);
            if let Some(n) = trips.filter(|&n| n > 0 && n <= size_limits::UNROLL_MAX_TRIPS) {
                if !has_loop(body) {
                    return self.unrolled_for(var, it, [a, e, st], n, body, orelse);
                }
            }
        }
        let (a, e, st) = (
            self.expr(start)?.int()?,
            self.expr(stop)?.int()?,
            self.expr(step)?.int()?,
        );
        self.counted_for(var, [a, e, st], body, orelse)
    }

    /// `for var in range(a, e, st)` with the bounds as values: a loop (see `for_range`).
    fn counted_for(
        &mut self,
        var: ir::Local,
        [a, e, st]: [IntValue<'ctx>; 3],
        body: &ir::Block,
        orelse: &ir::Block,
    ) -> CgResult<()> {
        let ty = self.local_ty(var)?;
        let it = int_type(self.ctx, ty);
        let b = &self.b;
        let zero = it.const_zero();
        let one = it.const_int(1, false);
        let (lt, gt) = if ty.is_signed() {
            (IntPredicate::SLT, IntPredicate::SGT)
        } else {
            (IntPredicate::ULT, IntPredicate::UGT)
        };
        // Upward: count = a < e ? (e - a - 1) / step + 1 : 0.
        let up = b.build_int_compare(gt, st, zero, "up")?;
        let safe_st = b.build_select(up, st, one, "st")?.into_int_value();
        let span_up = b.build_int_sub(b.build_int_sub(e, a, "")?, one, "")?;
        let n_up = b.build_int_add(b.build_int_unsigned_div(span_up, safe_st, "")?, one, "")?;
        let n_up = b
            .build_select(b.build_int_compare(lt, a, e, "")?, n_up, zero, "")?
            .into_int_value();
        // Downward (signed only): count = a > e ? (a - e - 1) / -step + 1 : 0.
        let count = if ty.is_signed() {
            let down = b.build_int_compare(IntPredicate::SLT, st, zero, "down")?;
            let neg = b.build_int_sub(zero, st, "")?;
            let safe_neg = b.build_select(down, neg, one, "")?.into_int_value();
            let span_dn = b.build_int_sub(b.build_int_sub(a, e, "")?, one, "")?;
            let n_dn =
                b.build_int_add(b.build_int_unsigned_div(span_dn, safe_neg, "")?, one, "")?;
            let n_dn = b
                .build_select(b.build_int_compare(gt, a, e, "")?, n_dn, zero, "")?
                .into_int_value();
            let n = b.build_select(down, n_dn, zero, "")?.into_int_value();
            b.build_select(up, n_up, n, "count")?.into_int_value()
        } else {
            b.build_select(up, n_up, zero, "count")?.into_int_value()
        };

        let pre = b
            .get_insert_block()
            .ok_or_else(|| CgError("builder has no block".into()))?;
        let (head, body_bb, latch, else_bb, exit) = (
            self.new_block("for.head"),
            self.new_block("for.body"),
            self.new_block("for.next"),
            self.new_block("for.else"),
            self.new_block("for.end"),
        );
        self.b.build_unconditional_branch(head)?;
        self.b.position_at_end(head);
        let k = self.b.build_phi(it, "k")?;
        k.add_incoming(&[(&zero, pre)]);
        let kv = k.as_basic_value().into_int_value();
        let more = self
            .b
            .build_int_compare(IntPredicate::ULT, kv, count, "more")?;
        self.b.build_conditional_branch(more, body_bb, else_bb)?;

        self.b.position_at_end(body_bb);
        let value = self
            .b
            .build_int_add(a, self.b.build_int_mul(kv, st, "")?, "i")?;
        self.store_local(var, CgVal::Int(value))?;
        self.loops.push(LoopTargets {
            continue_to: latch,
            break_to: exit,
        });
        self.block(body)?;
        self.loops.pop();
        self.br(latch)?;

        self.b.position_at_end(latch);
        let next = self.b.build_int_add(kv, one, "k.next")?;
        k.add_incoming(&[(&next, latch)]);
        let backedge = self.b.build_unconditional_branch(head)?;
        self.limit_vectorizing(backedge, &[head, body_bb, latch], exit)?;

        self.b.position_at_end(else_bb);
        self.conditionally(|cg| cg.block(orelse))?;
        self.br(exit)?;
        self.b.position_at_end(exit);
        Ok(())
    }

    /// `for var in range(a, e, st)` of `trips` (at least one) iterations, a constant range:
    /// unrolled (the body once per value of `var`) when its size allows
    /// (`size_limits::unroll_in_codegen`, judged on the first copy), else that first copy
    /// and a loop for the others.
    fn unrolled_for(
        &mut self,
        var: ir::Local,
        it: inkwell::types::IntType<'ctx>,
        [a, e, st]: [i128; 3],
        trips: u64,
        body: &ir::Block,
        orelse: &ir::Block,
    ) -> CgResult<()> {
        let exit = self.new_block("for.end");
        // Constants of the loop's type (each wrapped into it by the front end, or in the range).
        let value_of = |v: i128| it.const_int(v as u64, v < 0);
        let value = |k: u64| value_of(a + i128::from(k) * st);
        for k in 0..trips {
            let (next, first) = (self.new_block("for.next"), self.new_block("for.iter"));
            self.br(first)?;
            self.b.position_at_end(first);
            self.store_local(var, CgVal::Int(value(k)))?;
            self.loops.push(LoopTargets {
                continue_to: next,
                break_to: exit,
            });
            let emitted = self.block(body);
            self.loops.pop();
            emitted?;
            self.br(next)?;
            if k == 0 {
                let mut size = 0;
                let mut bb = self.func.get_last_basic_block();
                while let Some(block) = bb.filter(|&block| block != next) {
                    size += self.sizes.block(block);
                    bb = block.get_previous_basic_block();
                }
                if trips > 1 && !size_limits::unroll_in_codegen(trips, size as u64) {
                    self.b.position_at_end(next);
                    self.counted_for(var, [value(1), value_of(e), value_of(st)], body, orelse)?;
                    return self.close_loop(exit);
                }
            }
            self.b.position_at_end(next);
        }
        self.block(orelse)?;
        self.close_loop(exit)
    }

    /// Marks the loop whose backedge is `latch` not to be vectorized when its body is bigger
    /// than `size_limits::VECTORIZE_LIMIT`: the body is `blocks` and every block emitted after
    /// `exit` (the loop's last own block; the body's blocks come after it).
    fn limit_vectorizing(
        &mut self,
        latch: InstructionValue<'ctx>,
        blocks: &[BasicBlock<'ctx>],
        exit: BasicBlock<'ctx>,
    ) -> CgResult<()> {
        let mut size: usize = blocks.iter().map(|&bb| self.sizes.block(bb)).sum();
        let mut bb = self.func.get_last_basic_block();
        while let Some(block) = bb.filter(|&block| block != exit) {
            size += self.sizes.block(block);
            bb = block.get_previous_basic_block();
        }
        if !size_limits::vectorize_loop(size) {
            size_limits::no_vectorize(self.ctx, latch)?;
        }
        Ok(())
    }

    /// Ends a loop's `else` block; continues at `exit`, after the loop.
    fn close_loop(&mut self, exit: BasicBlock<'ctx>) -> CgResult<()> {
        self.br(exit)?;
        self.b.position_at_end(exit);
        Ok(())
    }

    // ---- expressions ----

    /// Lowers an expression to its value (of dtype `e.ty`).
    pub(crate) fn expr(&mut self, e: &ir::Expr) -> CgResult<CgVal<'ctx>> {
        match &e.kind {
            ExprKind::Const(c) => self.constant(*c, e.ty),
            ExprKind::Local(l) => self.load_local(*l),
            ExprKind::Cast(x) => {
                let v = self.expr(x)?;
                self.cast(v, x.ty, e.ty)
            }
            ExprKind::Unary(op, x) => {
                let v = self.expr(x)?;
                self.unary(*op, v, x.ty)
            }
            ExprKind::Binary(op, l, r) => {
                let (a, b) = (self.expr(l)?, self.expr(r)?);
                self.span = e.span;
                self.binary(*op, a, b, l.ty)
            }
            ExprKind::Compare(op, l, r) => {
                let (a, b) = (self.expr(l)?, self.expr(r)?);
                Ok(CgVal::Int(self.compare(*op, a, b, l.ty)?))
            }
            ExprKind::Logical(op, l, r) => self.logical(*op, l, r, e.ty),
            ExprKind::Select {
                cond,
                then,
                otherwise,
            } => {
                let c = self.expr(cond)?.int()?;
                self.branch_value(c, e.ty, |cg| cg.expr(then), |cg| cg.expr(otherwise))
            }
            ExprKind::Call(f, args) => {
                let vals = args
                    .iter()
                    .map(|a| self.expr(a))
                    .collect::<CgResult<Vec<_>>>()?;
                let arg_ty = args.first().map(|a| a.ty).unwrap_or(e.ty);
                self.call_math(*f, &vals, arg_ty, e.ty)
            }
            ExprKind::Let { local, value, body } => {
                let v = self.expr(value)?;
                self.store_local(*local, v)?;
                self.expr(body)
            }
            ExprKind::MakeComplex(r, i) => {
                let (r, i) = (self.expr(r)?.float()?, self.expr(i)?.float()?);
                Ok(CgVal::Complex(r, i))
            }
            ExprKind::Load { array, index } => {
                let span = e.span;
                self.load_item(array, index, span)
            }
            ExprKind::Shape(a, axis) => {
                self.span = e.span;
                Ok(CgVal::Int(self.shape(a, *axis)?))
            }
            ExprKind::CallFunction(id, args) => self.call_function(*id, args, e.span),
            ExprKind::Guarded {
                ok,
                exception,
                message,
                value,
            } => {
                let ok = self.expr(ok)?.int()?;
                let bad = self.b.build_not(ok, "unbound")?;
                self.span = e.span;
                let text = format!("{message}{}", self.location());
                self.fail_if(bad, |cg| {
                    cg.set_error(exception_kind(*exception), text.trim_start())
                })?;
                self.expr(value)
            }
            ExprKind::Array(a) => Err(CgError(format!("array {a} used outside a call"))),
            ExprKind::Reduce(r, a) => {
                self.span = e.span;
                self.reduce(*r, a, e.ty)
            }
        }
    }

    /// Calls a kernel-language function (inlined by LLVM); if it stopped on a run-time error,
    /// this kernel stops too.
    fn call_function(
        &mut self,
        id: ir::CalleeId,
        args: &[ir::Expr],
        span: Span,
    ) -> CgResult<CgVal<'ctx>> {
        let ret = self
            .callees
            .get(id.0 as usize)
            .map(|c| c.1)
            .ok_or_else(|| CgError(format!("unknown callee {id}")))?;
        match self.call_raw(id, args, span)? {
            Some(r) => from_abi(&self.b, ret, r),
            // A callee that returns nothing: its value is never used (the front end checks).
            None => Ok(CgVal::Int(self.ctx.bool_type().const_zero())),
        }
    }

    /// Calls callee `id` and stops when it failed; its ABI result (None for a callee that
    /// returns nothing).
    fn call_raw(
        &mut self,
        id: ir::CalleeId,
        args: &[ir::Expr],
        span: Span,
    ) -> CgResult<Option<inkwell::values::BasicValueEnum<'ctx>>> {
        let (mut f, _, params) = self
            .callees
            .get(id.0 as usize)
            .cloned()
            .ok_or_else(|| CgError(format!("unknown callee {id}")))?;
        if self.guarded() {
            f = self
                .guarded_callees
                .get(id.0 as usize)
                .copied()
                .unwrap_or(f);
        }
        let mut margs = Vec::with_capacity(args.len() + 1);
        for (a, ty) in args.iter().zip(params) {
            if let ExprKind::Array(arr) = &a.kind {
                // An array travels as (data, shape..., strides...), like a gufunc core.
                self.span = a.span;
                let v = self.array_value(arr)?;
                margs.push(v.data.into());
                margs.extend(v.shape.iter().map(|&x| BasicMetadataValueEnum::from(x)));
                margs.extend(v.strides.iter().map(|&x| BasicMetadataValueEnum::from(x)));
                continue;
            }
            let v = self.expr(a)?;
            margs.push(to_abi(self.ctx, &self.b, ty, v)?.into());
        }
        margs.push(self.failed.into());
        let r = self
            .b
            .build_call(f, &margs, "call")?
            .try_as_basic_value()
            .basic();
        self.span = span;
        let flag = self
            .b
            .build_load(self.ctx.i8_type(), self.failed, "failed")?
            .into_int_value();
        let stopped = self.b.build_int_compare(
            IntPredicate::NE,
            flag,
            self.ctx.i8_type().const_zero(),
            "stopped",
        )?;
        self.fail_if(stopped, |_| Ok(()))?;
        Ok(r)
    }

    fn constant(&self, c: Const, ty: Scalar) -> CgResult<CgVal<'ctx>> {
        // Rounding a finite constant to float32 infinity happens here, at compile time: raise
        // the overflow NumPy's cast raises (`np.float32(1e300)`, float32 `a * 1e300`) where the
        // constant is used.
        let parts = match c {
            Const::Float(x) => [x, 0.0],
            Const::Complex(r, i) => [r, i],
            Const::Int(i) => [i as f64, 0.0],
            Const::Bool(_) => [0.0, 0.0],
        };
        if ty.real_part() == Scalar::F32
            && parts
                .iter()
                .any(|&x| x.is_finite() && (x as f32).is_infinite())
        {
            self.call_if(
                self.ctx.bool_type().const_all_ones(),
                super::loop_abi::RAISE_OVERFLOW,
            )?;
        }
        let float = |x: f64| {
            let t = float_type(self.ctx, ty);
            // float32 constants are rounded once, here, like NumPy's float32(x).
            if ty.real_part() == Scalar::F32 {
                t.const_float(x as f32 as f64)
            } else {
                t.const_float(x)
            }
        };
        Ok(match (c, ty) {
            (Const::Complex(r, i), t) if t.is_complex() => CgVal::Complex(float(r), float(i)),
            (Const::Float(x), t) if t.is_complex() => CgVal::Complex(float(x), float(0.0)),
            (Const::Float(x), t) if t.is_float() => CgVal::Float(float(x)),
            (Const::Int(i), t) if t.is_float() => CgVal::Float(float(i as f64)),
            (Const::Bool(v), t) if !t.is_float() && !t.is_complex() => {
                CgVal::Int(int_type(self.ctx, t).const_int(v as u64, false))
            }
            // Two's complement of the (already wrapped) value; const_int truncates to the width.
            (Const::Int(i), t) if !t.is_complex() => {
                CgVal::Int(int_type(self.ctx, t).const_int(i as u64, false))
            }
            (c, t) => return Err(CgError(format!("constant {c:?} cannot have type {t}"))),
        })
    }

    fn unary(&mut self, op: UnaryOp, v: CgVal<'ctx>, ty: Scalar) -> CgResult<CgVal<'ctx>> {
        let b = &self.b;
        Ok(match (op, v) {
            (UnaryOp::Neg, CgVal::Int(x)) => CgVal::Int(b.build_int_neg(x, "neg")?),
            (UnaryOp::Neg, CgVal::Float(x)) => CgVal::Float(b.build_float_neg(x, "neg")?),
            (UnaryOp::Neg, CgVal::Complex(r, i)) => {
                CgVal::Complex(b.build_float_neg(r, "neg")?, b.build_float_neg(i, "neg")?)
            }
            (UnaryOp::Invert | UnaryOp::Not, CgVal::Int(x)) => CgVal::Int(b.build_not(x, "not")?),
            (UnaryOp::Real, CgVal::Complex(r, _)) => CgVal::Float(r),
            (UnaryOp::Imag, CgVal::Complex(_, i)) => CgVal::Float(i),
            (UnaryOp::Real, v @ (CgVal::Float(_) | CgVal::Int(_))) => v,
            (UnaryOp::Conj, CgVal::Complex(r, i)) => {
                CgVal::Complex(r, b.build_float_neg(i, "conj")?)
            }
            (UnaryOp::Conj, v @ (CgVal::Float(_) | CgVal::Int(_))) => v,
            (op, v) => {
                return Err(CgError(format!(
                    "unary {op:?} on {v:?} of type {ty} is not defined"
                )))
            }
        })
    }

    /// Python truthiness: non-zero (NaN is true; a complex is true if either part is).
    pub(crate) fn truthy(&self, v: CgVal<'ctx>) -> CgResult<IntValue<'ctx>> {
        let b = &self.b;
        Ok(match v {
            CgVal::Int(x) if x.get_type().get_bit_width() == 1 => x,
            CgVal::Int(x) => {
                b.build_int_compare(IntPredicate::NE, x, x.get_type().const_zero(), "nz")?
            }
            CgVal::Float(x) => b.build_float_compare(
                inkwell::FloatPredicate::UNE,
                x,
                x.get_type().const_zero(),
                "nz",
            )?,
            CgVal::Complex(r, i) => {
                let z = r.get_type().const_zero();
                let rn = b.build_float_compare(inkwell::FloatPredicate::UNE, r, z, "")?;
                let inz = b.build_float_compare(inkwell::FloatPredicate::UNE, i, z, "")?;
                b.build_or(rn, inz, "nz")?
            }
        })
    }

    /// `a and b` / `a or b` with Python's short circuit and value semantics.
    fn logical(
        &mut self,
        op: LogicalOp,
        l: &ir::Expr,
        r: &ir::Expr,
        ty: Scalar,
    ) -> CgResult<CgVal<'ctx>> {
        let a = self.expr(l)?;
        let t = self.truthy(a)?;
        // `and` evaluates b when a is true; `or` when a is false.
        match op {
            LogicalOp::And => self.branch_value(t, ty, |cg| cg.expr(r), |_| Ok(a)),
            LogicalOp::Or => self.branch_value(t, ty, |_| Ok(a), |cg| cg.expr(r)),
        }
    }

    /// Evaluates exactly one of two arms, chosen by `cond`, and merges their values.
    pub(crate) fn branch_value(
        &mut self,
        cond: IntValue<'ctx>,
        ty: Scalar,
        then: impl FnOnce(&mut Self) -> CgResult<CgVal<'ctx>>,
        otherwise: impl FnOnce(&mut Self) -> CgResult<CgVal<'ctx>>,
    ) -> CgResult<CgVal<'ctx>> {
        let (tb, eb, join) = (
            self.new_block("sel.then"),
            self.new_block("sel.else"),
            self.new_block("sel.end"),
        );
        self.b.build_conditional_branch(cond, tb, eb)?;
        self.b.position_at_end(tb);
        let tv = self.conditionally(then)?;
        let tb_end = self.current_block()?;
        self.b.build_unconditional_branch(join)?;
        self.b.position_at_end(eb);
        let ev = self.conditionally(otherwise)?;
        let eb_end = self.current_block()?;
        self.b.build_unconditional_branch(join)?;
        self.b.position_at_end(join);
        self.phi(ty, [(tv, tb_end), (ev, eb_end)])
    }

    pub(crate) fn current_block(&self) -> CgResult<BasicBlock<'ctx>> {
        self.b
            .get_insert_block()
            .ok_or_else(|| CgError("builder has no block".into()))
    }

    /// Merges values arriving from several blocks.
    pub(crate) fn phi<const N: usize>(
        &self,
        ty: Scalar,
        incoming: [(CgVal<'ctx>, BasicBlock<'ctx>); N],
    ) -> CgResult<CgVal<'ctx>> {
        let part = |sel: fn(CgVal<'ctx>) -> CgResult<inkwell::values::BasicValueEnum<'ctx>>,
                    t: inkwell::types::BasicTypeEnum<'ctx>|
         -> CgResult<inkwell::values::BasicValueEnum<'ctx>> {
            let phi = self.b.build_phi(t, "phi")?;
            for (v, bb) in incoming {
                let x = sel(v)?;
                phi.add_incoming(&[(&x, bb)]);
            }
            Ok(phi.as_basic_value())
        };
        if ty.is_complex() {
            let t = float_type(self.ctx, ty).into();
            let re = part(|v| Ok(v.complex()?.0.into()), t)?;
            let im = part(|v| Ok(v.complex()?.1.into()), t)?;
            Ok(CgVal::Complex(re.into_float_value(), im.into_float_value()))
        } else if ty.is_float() {
            let t = float_type(self.ctx, ty).into();
            Ok(CgVal::Float(
                part(|v| Ok(v.float()?.into()), t)?.into_float_value(),
            ))
        } else {
            let t = int_type(self.ctx, ty).into();
            Ok(CgVal::Int(
                part(|v| Ok(v.int()?.into()), t)?.into_int_value(),
            ))
        }
    }

    /// Emits `if cond { call f() }` for a side-effect-only runtime helper (FP flag raisers).
    pub(crate) fn call_if(&self, cond: IntValue<'ctx>, helper: &str) -> CgResult<()> {
        let f = self.shim_fn(helper, |ctx| ctx.void_type().fn_type(&[], false));
        let (call_bb, cont) = (self.new_block("flag"), self.new_block("flag.done"));
        self.b.build_conditional_branch(cond, call_bb, cont)?;
        self.b.position_at_end(call_bb);
        self.b.build_call(f, &[], "")?;
        self.b.build_unconditional_branch(cont)?;
        self.b.position_at_end(cont);
        Ok(())
    }
}

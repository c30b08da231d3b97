//! Test helpers: a tiny builder for hand-written typed IR, and a runner that compiles a
//! function, loads it into the JIT and calls the loop on Rust arrays through the NumPy ABI.
#![allow(dead_code)]

use ufuncgen::codegen::{compile_loop, loop_symbol, LoopCode, Target};
use ufuncgen::ir::{
    BinaryOp, CmpOp, Const, Expr, ExprKind, Function, Local, LocalDecl, MathFn, Stmt, StmtKind,
};
use ufuncgen::jit::JitCode;
use ufuncgen::{LoopFn, Options, Scalar, Span};

use std::sync::atomic::{AtomicU64, Ordering};

pub const FE_INVALID: i32 = 0x01;
pub const FE_DIVBYZERO: i32 = 0x04;
pub const FE_OVERFLOW: i32 = 0x08;
pub const FE_ALL: i32 = 0x3d;

extern "C" {
    fn fetestexcept(excepts: i32) -> i32;
    fn feclearexcept(excepts: i32) -> i32;
}

/// Clears the FP flags, runs `f`, returns its result and the flags it raised.
pub fn with_flags<T>(f: impl FnOnce() -> T) -> (T, i32) {
    // SAFETY: plain C99 <fenv.h> calls on this thread's FP environment.
    unsafe { feclearexcept(FE_ALL) };
    let r = f();
    let flags = unsafe { fetestexcept(FE_ALL) };
    (r, flags)
}

fn e(kind: ExprKind, ty: Scalar) -> Expr {
    Expr {
        kind,
        ty,
        span: Span::default(),
    }
}

/// Parameter or local `i` of type `ty`.
pub fn var(i: u32, ty: Scalar) -> Expr {
    e(ExprKind::Local(Local(i)), ty)
}
pub fn float(x: f64, ty: Scalar) -> Expr {
    e(ExprKind::Const(Const::Float(x)), ty)
}
pub fn int(x: i128, ty: Scalar) -> Expr {
    e(ExprKind::Const(Const::Int(x)), ty)
}
pub fn bin(op: BinaryOp, a: Expr, b: Expr) -> Expr {
    let ty = a.ty;
    e(ExprKind::Binary(op, Box::new(a), Box::new(b)), ty)
}
pub fn cmp(op: CmpOp, a: Expr, b: Expr) -> Expr {
    e(
        ExprKind::Compare(op, Box::new(a), Box::new(b)),
        Scalar::Bool,
    )
}
pub fn call(f: MathFn, args: Vec<Expr>, ty: Scalar) -> Expr {
    e(ExprKind::Call(f, args), ty)
}
pub fn cast(x: Expr, ty: Scalar) -> Expr {
    e(ExprKind::Cast(Box::new(x)), ty)
}
pub fn ret(x: Expr) -> Stmt {
    Stmt {
        kind: StmtKind::Return(x),
        span: Span::default(),
    }
}
pub fn stmt(kind: StmtKind) -> Stmt {
    Stmt {
        kind,
        span: Span::default(),
    }
}

/// A function with the given parameter types (named p0, p1, ...), extra locals and body.
pub fn func(params: &[Scalar], locals: &[Scalar], ret_ty: Scalar, body: Vec<Stmt>) -> Function {
    let decls = params
        .iter()
        .chain(locals)
        .enumerate()
        .map(|(i, &ty)| LocalDecl {
            name: format!("v{i}"),
            ty,
        })
        .collect();
    Function {
        name: "k".into(),
        params: params.len() as u32,
        locals: decls,
        ret: ret_ty,
        ret_parts: Vec::new(),
        body,
        arrays: Vec::new(),
        boundscheck: true,
        origin: Default::default(),
        tables: Vec::new(),
        callees: Vec::new(),
    }
}

/// `lambda a, b: a op b` on one dtype.
pub fn binary_fn(op: BinaryOp, ty: Scalar) -> Function {
    func(
        &[ty, ty],
        &[],
        ty,
        vec![ret(bin(op, var(0, ty), var(1, ty)))],
    )
}

static UNIQUE: AtomicU64 = AtomicU64::new(1);

/// A compiled, loaded loop.
pub struct Compiled {
    pub code: LoopCode,
    pub jit: JitCode,
    pub func: LoopFn,
}

pub fn compile_with(f: &Function, opts: Options) -> Compiled {
    let sym = loop_symbol("test", f, Some(UNIQUE.fetch_add(1, Ordering::Relaxed)));
    let code = compile_loop(f, &sym, opts, &Target::host()).expect("compiles");
    let jit = JitCode::load([code.object.as_slice()]).expect("loads");
    let addr = jit.lookup(&sym).expect("links");
    // SAFETY: the symbol is a loop emitted with the LoopFn ABI.
    let func = unsafe { std::mem::transmute::<usize, LoopFn>(addr) };
    Compiled { code, jit, func }
}

pub fn compile(f: &Function) -> Compiled {
    compile_with(f, Options::default())
}

impl Compiled {
    /// Calls the loop on raw operands: pointers, steps in bytes, n.
    ///
    /// # Safety
    /// Every pointer must address n elements at its step.
    pub unsafe fn call_raw(&self, ptrs: &mut [*mut u8], steps: &[isize], n: isize) {
        let dims = [n];
        (self.func)(
            ptrs.as_mut_ptr(),
            dims.as_ptr(),
            steps.as_ptr(),
            std::ptr::null_mut(),
        );
    }

    /// Contiguous unary call.
    pub fn map1<A: Copy, R: Copy + Default>(&self, a: &[A]) -> Vec<R> {
        let mut out = vec![R::default(); a.len()];
        let mut ptrs = [a.as_ptr() as *mut u8, out.as_mut_ptr() as *mut u8];
        let steps = [size_of::<A>() as isize, size_of::<R>() as isize];
        // SAFETY: both arrays hold a.len() elements at these steps.
        unsafe { self.call_raw(&mut ptrs, &steps, a.len() as isize) };
        out
    }

    /// Contiguous binary call.
    pub fn map2<A: Copy, B: Copy, R: Copy + Default>(&self, a: &[A], b: &[B]) -> Vec<R> {
        assert_eq!(a.len(), b.len());
        let mut out = vec![R::default(); a.len()];
        let mut ptrs = [
            a.as_ptr() as *mut u8,
            b.as_ptr() as *mut u8,
            out.as_mut_ptr() as *mut u8,
        ];
        let steps = [
            size_of::<A>() as isize,
            size_of::<B>() as isize,
            size_of::<R>() as isize,
        ];
        // SAFETY: all arrays hold a.len() elements at these steps.
        unsafe { self.call_raw(&mut ptrs, &steps, a.len() as isize) };
        out
    }
}

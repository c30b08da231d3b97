//! Hand-written loops and IR that let the tests exercise registration and JIT lifetimes
//! without the front end.

use std::ops::Add;
use std::sync::atomic::{AtomicU64, Ordering};

use ufuncgen::jit::JitCode;
use ufuncgen::{codegen, ir, CompiledLoop, CompiledUfunc, LoopFn, Options, Scalar, Span};

use crate::register::LoopEntry;

/// `out = a + b` for one element type, with NumPy's loop ABI and any strides.
unsafe extern "C" fn add_loop<T: Copy + Add<Output = T>>(
    args: *mut *mut u8,
    dimensions: *const isize,
    steps: *const isize,
    _data: *mut std::ffi::c_void,
) {
    // SAFETY: NumPy passes 3 argument pointers, 3 steps and one length, valid for n elements.
    unsafe {
        let n = *dimensions;
        let (a, b, out) = (*args, *args.add(1), *args.add(2));
        let (sa, sb, so) = (*steps, *steps.add(1), *steps.add(2));
        for i in 0..n {
            let x = a.offset(i * sa).cast::<T>().read_unaligned();
            let y = b.offset(i * sb).cast::<T>().read_unaligned();
            out.offset(i * so).cast::<T>().write_unaligned(x + y);
        }
    }
}

/// Two loops, `dd->d` then `ff->f`, in that order.
pub fn add_loops() -> Vec<LoopEntry> {
    vec![
        LoopEntry {
            func: add_loop::<f64>,
            inputs: vec![Scalar::F64, Scalar::F64],
            output: Scalar::F64,
        },
        LoopEntry {
            func: add_loop::<f32>,
            inputs: vec![Scalar::F32, Scalar::F32],
            output: Scalar::F32,
        },
    ]
}

/// `a * b + 1.0` in float64 as typed IR, standing in for the front end's output.
fn fma_like_ir(name: &str) -> ir::Function {
    let expr = |kind, ty| ir::Expr {
        kind,
        ty,
        span: Span::default(),
    };
    let f64_local = |i| expr(ir::ExprKind::Local(ir::Local(i)), Scalar::F64);
    let product = expr(
        ir::ExprKind::Binary(
            ir::BinaryOp::Mul,
            Box::new(f64_local(0)),
            Box::new(f64_local(1)),
        ),
        Scalar::F64,
    );
    let one = expr(ir::ExprKind::Const(ir::Const::Float(1.0)), Scalar::F64);
    let sum = expr(
        ir::ExprKind::Binary(ir::BinaryOp::Add, Box::new(product), Box::new(one)),
        Scalar::F64,
    );
    ir::Function {
        name: name.to_owned(),
        params: 2,
        locals: ["a", "b"]
            .iter()
            .map(|n| ir::LocalDecl {
                name: (*n).to_owned(),
                ty: Scalar::F64,
            })
            .collect(),
        ret: Scalar::F64,
        body: vec![ir::Stmt {
            kind: ir::StmtKind::Return(sum),
            span: Span::default(),
        }],
    }
}

static UNIQUE: AtomicU64 = AtomicU64::new(0);

/// Compiles `a * b + 1.0` (float64) through codegen and the JIT, bypassing the front end, so
/// the tests can exercise JIT lifetimes before `lower` exists.
pub fn jit_fma_like(name: &str) -> Result<CompiledUfunc, String> {
    let func = fma_like_ir(name);
    let unique = UNIQUE.fetch_add(1, Ordering::Relaxed);
    let symbol = format!("ufg.test.{name}.{unique}.loop");
    let obj = codegen::compile_loop(&func, &symbol, Options::default(), &codegen::Target::host())?;
    let code = JitCode::load([obj.object.as_slice()])?;
    let addr = code.lookup(&obj.symbol)?;
    if addr == 0 {
        return Err(format!("the JIT has no address for {symbol}"));
    }
    // SAFETY: codegen emitted this symbol with the NumPy loop ABI, and `code` keeps it alive.
    let func_ptr = unsafe { std::mem::transmute::<usize, LoopFn>(addr) };
    Ok(CompiledUfunc {
        loops: vec![CompiledLoop {
            signature: "float64(float64, float64)".into(),
            inputs: vec![Scalar::F64, Scalar::F64],
            output: Scalar::F64,
            func: func_ptr,
            llvm_ir: obj.llvm_ir,
        }],
        code,
    })
}

//! Measures the max ULP error of every vector-math function per dtype at the tier the
//! environment selects (see codegen_bench for the variables): float64 against the mpmath
//! validation files (exact values rounded once), float32 against glibc's double function
//! rounded to float. Prints one markdown row per function; docs/vector-math.md holds the table.
//! Run: `cargo run --release -p ufuncgen --example vecmath_accuracy`.

#[path = "../tests/codegen_util/mod.rs"]
mod codegen_util;
#[path = "../tests/vecmath_util/mod.rs"]
mod vecmath_util;

use ufuncgen::Scalar;
use vecmath_util::{
    compile_fn, functions, input_columns, measure_against_file, measure_against_libm,
};

fn main() {
    let vm = ufuncgen::vecmath::state();
    println!("tier: {}", vm.tier.name());
    println!("| function | float64 max ULP (mpmath) | float32 max ULP (f64 libm) | special-value failures |");
    println!("| --- | --- | --- | --- |");
    for f in functions() {
        let c64 = compile_fn(&f, Scalar::F64);
        let (m64, _) = measure_against_file(&c64, &f);
        let c32 = compile_fn(&f, Scalar::F32);
        let cols = input_columns(&f, 20_000);
        let m32 = measure_against_libm(&c32, &f, Scalar::F32, &cols, false);
        let special = measure_against_libm(&c64, &f, Scalar::F64, &cols, true)
            .failures
            .len()
            + m32.failures.len();
        println!(
            "| {} | {} | {} | {} |",
            f.name, m64.max_ulp, m32.max_ulp, special
        );
    }
}

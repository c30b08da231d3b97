//! The scalar types of the kernel language and NumPy 2's promotion rules (NEP 50), written once.

use std::fmt;

/// A concrete NumPy scalar dtype.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scalar {
    Bool,
    I8,
    I16,
    I32,
    I64,
    U8,
    U16,
    U32,
    U64,
    F32,
    F64,
    C64,
    C128,
}

/// The broad kind of a scalar, in NumPy's order bool < int < float < complex.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Bool,
    Int,
    Float,
    Complex,
}

/// A Python literal's type before it meets a NumPy type (NEP 50 "weak" scalars).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Weak {
    Int,
    Float,
    Complex,
}

/// The type of an expression during inference: a dtype, or a weak Python scalar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Ty {
    Strong(Scalar),
    Weak(Weak),
}

impl Scalar {
    /// Every scalar type, in NumPy's type-number order.
    pub const ALL: [Scalar; 13] = [
        Scalar::Bool,
        Scalar::I8,
        Scalar::U8,
        Scalar::I16,
        Scalar::U16,
        Scalar::I32,
        Scalar::U32,
        Scalar::I64,
        Scalar::U64,
        Scalar::F32,
        Scalar::F64,
        Scalar::C64,
        Scalar::C128,
    ];

    /// The broad kind (bool, int, float, complex).
    pub fn kind(self) -> Kind {
        use Scalar::*;
        match self {
            Bool => Kind::Bool,
            I8 | I16 | I32 | I64 | U8 | U16 | U32 | U64 => Kind::Int,
            F32 | F64 => Kind::Float,
            C64 | C128 => Kind::Complex,
        }
    }

    /// Size in bytes of one element.
    pub fn size(self) -> usize {
        use Scalar::*;
        match self {
            Bool | I8 | U8 => 1,
            I16 | U16 => 2,
            I32 | U32 | F32 => 4,
            I64 | U64 | F64 | C64 => 8,
            C128 => 16,
        }
    }

    /// Width in bits of an integer or float (of each part, for complex).
    pub fn bits(self) -> u32 {
        match self {
            Scalar::Bool => 1,
            Scalar::C64 => 32,
            Scalar::C128 => 64,
            s => s.size() as u32 * 8,
        }
    }

    pub fn is_int(self) -> bool {
        self.kind() == Kind::Int
    }
    pub fn is_signed(self) -> bool {
        matches!(self, Scalar::I8 | Scalar::I16 | Scalar::I32 | Scalar::I64)
    }
    pub fn is_unsigned(self) -> bool {
        matches!(self, Scalar::U8 | Scalar::U16 | Scalar::U32 | Scalar::U64)
    }
    pub fn is_float(self) -> bool {
        self.kind() == Kind::Float
    }
    pub fn is_complex(self) -> bool {
        self.kind() == Kind::Complex
    }

    /// The float type of a complex type's parts (or of a float itself).
    pub fn real_part(self) -> Scalar {
        match self {
            Scalar::C64 => Scalar::F32,
            Scalar::C128 => Scalar::F64,
            s => s,
        }
    }

    /// The complex type whose parts are this float type.
    pub fn complex_of(self) -> Scalar {
        match self {
            Scalar::F32 | Scalar::C64 => Scalar::C64,
            _ => Scalar::C128,
        }
    }

    /// Signed or unsigned integer of a given width in bits.
    pub fn int_of(bits: u32, signed: bool) -> Scalar {
        match (bits, signed) {
            (8, true) => Scalar::I8,
            (16, true) => Scalar::I16,
            (32, true) => Scalar::I32,
            (64, true) => Scalar::I64,
            (8, false) => Scalar::U8,
            (16, false) => Scalar::U16,
            (32, false) => Scalar::U32,
            _ => Scalar::U64,
        }
    }

    /// NumPy's type number (NPY_TYPES) on LP64 platforms; int64 is NPY_LONG, as `np.dtype('int64').num`.
    pub fn npy_type_num(self) -> i8 {
        use Scalar::*;
        match self {
            Bool => 0,
            I8 => 1,
            U8 => 2,
            I16 => 3,
            U16 => 4,
            I32 => 5,
            U32 => 6,
            I64 => 7,
            U64 => 8,
            F32 => 11,
            F64 => 12,
            C64 => 14,
            C128 => 15,
        }
    }

    /// NumPy's one-letter type code, as in `ufunc.types`.
    pub fn type_char(self) -> char {
        use Scalar::*;
        match self {
            Bool => '?',
            I8 => 'b',
            U8 => 'B',
            I16 => 'h',
            U16 => 'H',
            I32 => 'i',
            U32 => 'I',
            I64 => 'l',
            U64 => 'L',
            F32 => 'f',
            F64 => 'd',
            C64 => 'F',
            C128 => 'D',
        }
    }

    /// The canonical Numba/NumPy name (`float64`, `int8`, `bool`, ...).
    pub fn name(self) -> &'static str {
        use Scalar::*;
        match self {
            Bool => "bool",
            I8 => "int8",
            I16 => "int16",
            I32 => "int32",
            I64 => "int64",
            U8 => "uint8",
            U16 => "uint16",
            U32 => "uint32",
            U64 => "uint64",
            F32 => "float32",
            F64 => "float64",
            C64 => "complex64",
            C128 => "complex128",
        }
    }

    /// Parses the type spellings of shared/API.md (`float64`, `f8`, `b1`, `intp`, `bool_`, ...).
    pub fn from_name(name: &str) -> Option<Scalar> {
        use Scalar::*;
        Some(match name {
            "bool" | "boolean" | "b1" | "bool_" => Bool,
            "int8" | "i1" | "byte" => I8,
            "int16" | "i2" => I16,
            "int32" | "i4" => I32,
            "int64" | "i8" | "intp" | "int_" => I64,
            "uint8" | "u1" => U8,
            "uint16" | "u2" => U16,
            "uint32" | "u4" => U32,
            "uint64" | "u8" | "uintp" => U64,
            "float32" | "f4" => F32,
            "float64" | "f8" | "double" => F64,
            "complex64" | "c8" => C64,
            "complex128" | "c16" => C128,
            _ => return None,
        })
    }

    /// True when NumPy can cast `self` to `to` with `casting="safe"`.
    pub fn can_cast_safely(self, to: Scalar) -> bool {
        promote(self, to) == to
    }
}

impl fmt::Display for Scalar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Weak {
    /// The dtype a weak scalar takes when nothing else decides (NumPy's defaults).
    pub fn default_scalar(self) -> Scalar {
        match self {
            Weak::Int => Scalar::I64,
            Weak::Float => Scalar::F64,
            Weak::Complex => Scalar::C128,
        }
    }
}

impl Ty {
    /// The concrete dtype: weak scalars take their default type.
    pub fn concrete(self) -> Scalar {
        match self {
            Ty::Strong(s) => s,
            Ty::Weak(w) => w.default_scalar(),
        }
    }

    /// The broad kind of this type.
    pub fn kind(self) -> Kind {
        match self {
            Ty::Strong(s) => s.kind(),
            Ty::Weak(Weak::Int) => Kind::Int,
            Ty::Weak(Weak::Float) => Kind::Float,
            Ty::Weak(Weak::Complex) => Kind::Complex,
        }
    }
}

impl fmt::Display for Ty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ty::Strong(s) => write!(f, "{s}"),
            Ty::Weak(Weak::Int) => f.write_str("int (Python literal)"),
            Ty::Weak(Weak::Float) => f.write_str("float (Python literal)"),
            Ty::Weak(Weak::Complex) => f.write_str("complex (Python literal)"),
        }
    }
}

/// `np.result_type(a, b)` for two dtypes (NumPy's promotion table; symmetric).
pub fn promote(a: Scalar, b: Scalar) -> Scalar {
    use Scalar::*;
    if a == b {
        return a;
    }
    match (a.kind(), b.kind()) {
        (Kind::Bool, _) => b,
        (_, Kind::Bool) => a,
        (Kind::Int, Kind::Int) => {
            let (sa, sb) = (a.is_signed(), b.is_signed());
            if sa == sb {
                return if a.bits() >= b.bits() { a } else { b };
            }
            let (s, u) = if sa { (a, b) } else { (b, a) };
            if s.bits() > u.bits() {
                s
            } else if u.bits() < 64 {
                Scalar::int_of(u.bits() * 2, true)
            } else {
                F64
            }
        }
        (Kind::Int, Kind::Float) | (Kind::Float, Kind::Int) => {
            let (i, f) = if a.is_int() { (a, b) } else { (b, a) };
            if f == F32 && i.bits() <= 16 {
                F32
            } else {
                F64
            }
        }
        (Kind::Int, Kind::Complex) | (Kind::Complex, Kind::Int) => {
            let (i, c) = if a.is_int() { (a, b) } else { (b, a) };
            if c == C64 && i.bits() <= 16 {
                C64
            } else {
                C128
            }
        }
        (Kind::Float, Kind::Float) => F64,
        (Kind::Complex, Kind::Complex) => C128,
        (Kind::Float, Kind::Complex) | (Kind::Complex, Kind::Float) => {
            let (f, c) = if a.is_float() { (a, b) } else { (b, a) };
            if f == F32 && c == C64 {
                C64
            } else {
                C128
            }
        }
    }
}

/// Promotion of a dtype with a weak Python scalar (NEP 50): the dtype wins within its kind.
pub fn promote_weak(s: Scalar, w: Weak) -> Scalar {
    use Scalar::*;
    match (s.kind(), w) {
        (Kind::Bool, w) => w.default_scalar(),
        (Kind::Int, Weak::Int) => s,
        (Kind::Int, Weak::Float) => F64,
        (Kind::Int, Weak::Complex) => C128,
        (Kind::Float, Weak::Int) | (Kind::Float, Weak::Float) => s,
        (Kind::Float, Weak::Complex) => s.complex_of(),
        (Kind::Complex, _) => s,
    }
}

/// Promotion of two inference types; weak with weak stays weak (Python's own rules).
pub fn promote_ty(a: Ty, b: Ty) -> Ty {
    match (a, b) {
        (Ty::Strong(x), Ty::Strong(y)) => Ty::Strong(promote(x, y)),
        (Ty::Strong(s), Ty::Weak(w)) | (Ty::Weak(w), Ty::Strong(s)) => {
            Ty::Strong(promote_weak(s, w))
        }
        (Ty::Weak(x), Ty::Weak(y)) => Ty::Weak(x.max(y)),
    }
}

#[cfg(test)]
mod tests {
    use super::Scalar::*;
    use super::*;

    /// Spot checks against `np.result_type` (NumPy 2.4).
    #[test]
    fn promotion_matches_numpy() {
        let cases = [
            (Bool, I8, I8),
            (I8, U8, I16),
            (I16, U16, I32),
            (I32, U32, I64),
            (I64, U64, F64),
            (U8, I64, I64),
            (U32, I8, I64),
            (I16, F32, F32),
            (U16, F32, F32),
            (I32, F32, F64),
            (U64, F32, F64),
            (F32, F64, F64),
            (F32, C64, C64),
            (F64, C64, C128),
            (I8, C64, C64),
            (I32, C64, C128),
            (Bool, Bool, Bool),
            (U8, U64, U64),
        ];
        for (a, b, r) in cases {
            assert_eq!(promote(a, b), r, "{a} + {b}");
            assert_eq!(promote(b, a), r, "{b} + {a}");
        }
    }

    #[test]
    fn weak_scalars_follow_nep50() {
        assert_eq!(promote_weak(F32, Weak::Float), F32);
        assert_eq!(promote_weak(U64, Weak::Int), U64);
        assert_eq!(promote_weak(I8, Weak::Float), F64);
        assert_eq!(promote_weak(F32, Weak::Complex), C64);
        assert_eq!(promote_weak(Bool, Weak::Int), I64);
        assert_eq!(
            promote_ty(Ty::Weak(Weak::Int), Ty::Weak(Weak::Float)),
            Ty::Weak(Weak::Float)
        );
    }

    #[test]
    fn promotion_is_commutative_and_safe() {
        // Not associative, like NumPy's own (int8, uint16, float32 differs by grouping).
        for a in Scalar::ALL {
            for b in Scalar::ALL {
                let r = promote(a, b);
                assert_eq!(r, promote(b, a));
                assert!(
                    a.can_cast_safely(r) && b.can_cast_safely(r),
                    "{a} {b} -> {r}"
                );
            }
        }
    }
}

//! The types of locals and of the return value, unified Numba-style across the whole body.
//!
//! A variable's type is the promotion (`promote_ty`, NEP 50) of every value assigned to it, read
//! back as a concrete dtype. Each lowering pass reads the types the previous pass ended with and
//! joins afresh what it assigns; when a pass ends with the types it started from, its IR is
//! consistent and final. (Joining afresh matters: a weak `y = 0.0` later unified with a float32
//! reads as float64 in the first pass, and that stale float64 must not leak into other joins.)
//! After a few passes the joins become cumulative, which only widens and so must converge.

use crate::types::{promote_ty, Scalar, Ty};
use std::collections::HashMap;

/// Passes after which joins accumulate across passes (guaranteeing convergence).
const FRESH_PASSES: usize = 8;

#[derive(Debug, Default, Clone, PartialEq)]
struct Types {
    vars: HashMap<String, Ty>,
    ret: Option<Ty>,
}

/// The unified types, kept across lowering passes.
#[derive(Debug, Default)]
pub(super) struct TypeState {
    params: Vec<(String, Scalar)>,
    /// What the last finished pass inferred; what this pass reads.
    prev: Types,
    /// The joins of the pass in progress.
    cur: Types,
    passes: usize,
    /// The join of the values stored into each array parameter (by parameter index) in the pass
    /// in progress; they follow from the variable types, so they do not decide convergence.
    stores: HashMap<u32, Ty>,
    /// `stores` as the last finished pass left them.
    last_stores: HashMap<u32, Ty>,
    /// Loop variables read after their loop: they get a flag telling whether the loop
    /// bound them (found in one pass, used from the next; never shrinks).
    guarded: std::collections::BTreeSet<String>,
    guarded_grew: bool,
}

fn join(map: &mut HashMap<String, Ty>, name: &str, ty: Ty) {
    let new = match map.get(name) {
        Some(&old) => promote_ty(old, ty),
        None => ty,
    };
    map.insert(name.to_string(), new);
}

impl TypeState {
    /// Parameters start with (and always include) their signature types.
    pub fn new<'a>(params: impl IntoIterator<Item = (&'a str, Scalar)>) -> TypeState {
        let params: Vec<_> = params
            .into_iter()
            .map(|(n, t)| (n.to_string(), t))
            .collect();
        let mut s = TypeState {
            params,
            ..TypeState::default()
        };
        s.cur = s.seed();
        s.prev = s.seed();
        s
    }

    fn seed(&self) -> Types {
        Types {
            vars: self
                .params
                .iter()
                .map(|(n, t)| (n.clone(), Ty::Strong(*t)))
                .collect(),
            ret: None,
        }
    }

    /// Records that `name` is assigned a value of type `ty`.
    pub fn join_var(&mut self, name: &str, ty: Ty) {
        join(&mut self.cur.vars, name, ty);
    }

    /// The concrete type of a variable: as the previous pass ended, or as seen so far.
    pub fn var(&self, name: &str) -> Option<Scalar> {
        self.prev
            .vars
            .get(name)
            .or_else(|| self.cur.vars.get(name))
            .map(|t| t.concrete())
    }

    /// Records a `return` of a value of type `ty`.
    pub fn join_ret(&mut self, ty: Ty) {
        self.cur.ret = Some(match self.cur.ret {
            Some(old) => promote_ty(old, ty),
            None => ty,
        });
    }

    /// The inferred return type, once some `return` has been seen.
    pub fn ret(&self) -> Option<Scalar> {
        self.prev.ret.or(self.cur.ret).map(|t| t.concrete())
    }

    /// Records a store of a value of type `ty` into the array parameter `param`.
    pub fn join_store(&mut self, param: u32, ty: Ty) {
        let new = match self.stores.get(&param) {
            Some(&old) => promote_ty(old, ty),
            None => ty,
        };
        self.stores.insert(param, new);
    }

    /// What the last finished pass stored into array parameter `param` (None: no store seen).
    pub fn stored(&self, param: u32) -> Option<Ty> {
        self.last_stores.get(&param).copied()
    }

    /// Asks for a flag on loop variable `name` (read after its loop) from the next pass on.
    pub fn want_guard(&mut self, name: &str) {
        if self.guarded.insert(name.to_string()) {
            self.guarded_grew = true;
        }
    }

    /// True when `name` needs a flag (see `want_guard`).
    pub fn wants_guard(&self, name: &str) -> bool {
        self.guarded.contains(name)
    }

    /// Ends a pass; true when the types differ from those the pass read (so its IR is stale).
    /// A pass that stopped at an error only adds to the previous types.
    pub fn finish_pass(&mut self, complete: bool) -> bool {
        self.passes += 1;
        self.last_stores = std::mem::take(&mut self.stores);
        let seed = self.seed();
        let mut next = std::mem::replace(&mut self.cur, seed);
        if !complete || self.passes > FRESH_PASSES {
            for (name, &ty) in &self.prev.vars {
                join(&mut next.vars, name, ty);
            }
            next.ret = match (next.ret, self.prev.ret) {
                (Some(a), Some(b)) => Some(promote_ty(b, a)),
                (a, b) => a.or(b),
            };
        }
        let changed = next != self.prev || std::mem::take(&mut self.guarded_grew);
        self.prev = next;
        changed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Weak;

    #[test]
    fn passes_read_previous_types_and_join_afresh() {
        let mut s = TypeState::new([("x", Scalar::F32)]);
        // Pass 1: `y = 0.0` (weak), `z = y` reads float64, `y = x` makes y float32.
        s.join_var("y", Ty::Weak(Weak::Float));
        assert_eq!(s.var("y"), Some(Scalar::F64));
        s.join_var("z", Ty::Strong(Scalar::F64));
        s.join_var("y", Ty::Strong(Scalar::F32));
        assert!(s.finish_pass(true));
        // Pass 2 reads y as float32, so z is float32 too; the stale float64 is gone.
        assert_eq!(s.var("y"), Some(Scalar::F32));
        s.join_var("y", Ty::Weak(Weak::Float));
        s.join_var("z", Ty::Strong(Scalar::F32));
        s.join_var("y", Ty::Strong(Scalar::F32));
        assert!(s.finish_pass(true));
        assert_eq!(s.var("z"), Some(Scalar::F32));
        // Pass 3 sees the same: converged.
        s.join_var("y", Ty::Weak(Weak::Float));
        s.join_var("z", Ty::Strong(Scalar::F32));
        s.join_var("y", Ty::Strong(Scalar::F32));
        assert!(!s.finish_pass(true));
    }

    #[test]
    fn a_new_guard_request_forces_another_pass() {
        let mut s = TypeState::new([]);
        s.join_var("a", Ty::Strong(Scalar::I64));
        assert!(s.finish_pass(true));
        s.join_var("a", Ty::Strong(Scalar::I64));
        s.want_guard("i");
        assert!(s.finish_pass(false), "the pass that asked must be redone");
        assert!(s.wants_guard("i"));
        s.join_var("a", Ty::Strong(Scalar::I64));
        s.want_guard("i");
        assert!(!s.finish_pass(true), "asking again changes nothing");
    }

    #[test]
    fn incomplete_passes_accumulate() {
        let mut s = TypeState::new([]);
        s.join_var("a", Ty::Strong(Scalar::I64));
        assert!(s.finish_pass(false));
        s.join_var("b", Ty::Strong(Scalar::F64));
        assert!(s.finish_pass(false));
        assert_eq!(s.var("a"), Some(Scalar::I64));
        assert!(!s.finish_pass(false));
    }

    #[test]
    fn stores_are_joined_per_pass() {
        let mut s = TypeState::new([]);
        s.join_store(2, Ty::Weak(Weak::Int));
        s.join_store(2, Ty::Strong(Scalar::I8));
        assert_eq!(s.stored(2), None, "visible once the pass ends");
        assert!(
            !s.finish_pass(true),
            "stores alone do not make a pass stale"
        );
        assert_eq!(s.stored(2), Some(Ty::Strong(Scalar::I8)));
        s.join_store(3, Ty::Weak(Weak::Float));
        s.finish_pass(true);
        assert_eq!(s.stored(2), None, "each pass starts afresh");
        assert_eq!(s.stored(3).map(Ty::concrete), Some(Scalar::F64));
    }
}

//! Definite assignment and reachability, tracked while lowering walks the body in order.
//!
//! The state is the set of names assigned on every path to the current point, or `None` when
//! no path reaches it (after `return`, `break`, `continue`). A loop's head is entered with the
//! state from before the loop, which is exact for the first iteration and conservative after.

use std::collections::BTreeSet;

/// Names definitely assigned here; `None` when the point is unreachable.
pub(super) type Assigned = Option<BTreeSet<String>>;

/// Where control can flow, and which names it has assigned on the way.
#[derive(Debug, Default)]
pub(super) struct Flow {
    cur: Assigned,
    /// For each enclosing loop, the meet of the states at its `break`s.
    breaks: Vec<Assigned>,
}

/// The state that holds on both paths: names assigned on both; unreachable paths do not count.
pub(super) fn meet(a: Assigned, b: Assigned) -> Assigned {
    match (a, b) {
        (None, x) | (x, None) => x,
        (Some(a), Some(b)) => Some(a.intersection(&b).cloned().collect()),
    }
}

impl Flow {
    /// The state at function entry, with the parameters assigned.
    pub fn entry<'a>(params: impl IntoIterator<Item = &'a str>) -> Flow {
        Flow {
            cur: Some(params.into_iter().map(str::to_string).collect()),
            breaks: Vec::new(),
        }
    }

    pub fn reachable(&self) -> bool {
        self.cur.is_some()
    }

    pub fn assign(&mut self, name: &str) {
        if let Some(set) = &mut self.cur {
            set.insert(name.to_string());
        }
    }

    /// True when `name` has a value on every path here (vacuously true when unreachable).
    pub fn is_assigned(&self, name: &str) -> bool {
        self.cur.as_ref().is_none_or(|s| s.contains(name))
    }

    pub fn snapshot(&self) -> Assigned {
        self.cur.clone()
    }

    pub fn restore(&mut self, state: Assigned) {
        self.cur = state;
    }

    /// Continues with the state that holds after either the current path or `other`.
    pub fn merge(&mut self, other: Assigned) {
        self.cur = meet(self.cur.take(), other);
    }

    /// `return` / `continue`: nothing after this point in the block runs.
    pub fn terminate(&mut self) {
        self.cur = None;
    }

    pub fn enter_loop(&mut self) {
        self.breaks.push(None);
    }

    /// Leaves the innermost loop, returning the meet of its `break` states.
    pub fn exit_loop(&mut self) -> Assigned {
        self.breaks.pop().flatten()
    }

    /// Records a `break`; false when there is no enclosing loop.
    pub fn brk(&mut self) -> bool {
        let cur = self.cur.take();
        match self.breaks.last_mut() {
            Some(b) => {
                *b = meet(b.take(), cur);
                true
            }
            None => false,
        }
    }

    pub fn in_loop(&self) -> bool {
        !self.breaks.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn branches_meet_and_dead_paths_do_not_count() {
        let mut f = Flow::entry(["a"]);
        let before = f.snapshot();
        f.assign("x");
        f.assign("y");
        let then_state = f.snapshot();
        f.restore(before);
        f.assign("x");
        f.merge(then_state);
        assert!(f.is_assigned("x") && !f.is_assigned("y") && f.is_assigned("a"));
        let before = f.snapshot();
        f.terminate();
        let dead = f.snapshot();
        f.restore(before);
        f.assign("z");
        f.merge(dead);
        assert!(f.is_assigned("z"));
    }

    #[test]
    fn breaks_collect_states() {
        let mut f = Flow::entry([]);
        f.enter_loop();
        f.assign("x");
        assert!(f.brk());
        assert!(!f.reachable());
        let after = f.exit_loop();
        assert!(after.is_some_and(|s| s.contains("x")));
        assert!(!f.brk());
    }
}

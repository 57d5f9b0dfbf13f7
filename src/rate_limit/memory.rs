//! A fixed-window `Limiter` in memory, on an injected clock: the native stand-in for Cloudflare's
//! binding, with the same windows (aligned to the clock, counting only allowed requests).

use super::{Limiter, LimiterError, Rule};
use crate::time::{Millis, SECOND};
use async_trait::async_trait;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

/// (binding, key) → (window number, count).
type Counts = HashMap<(String, String), (i64, u32)>;

#[derive(Default, Clone)]
pub struct MemoryLimiter {
    counts: Rc<RefCell<Counts>>,
    clock: Rc<Cell<Millis>>,
}

impl MemoryLimiter {
    pub fn with_clock(clock: Rc<Cell<Millis>>) -> MemoryLimiter {
        MemoryLimiter {
            counts: Rc::default(),
            clock,
        }
    }
}

#[async_trait(?Send)]
impl Limiter for MemoryLimiter {
    async fn allow(&self, rule: Rule, key: &str) -> Result<bool, LimiterError> {
        let epoch = self.clock.get() / (rule.window as Millis * SECOND);
        let mut counts = self.counts.borrow_mut();
        let entry = counts
            .entry((rule.binding(), key.to_string()))
            .or_insert((epoch, 0));
        if entry.0 != epoch {
            *entry = (epoch, 0);
        }
        if entry.1 >= rule.max {
            return Ok(false);
        }
        entry.1 += 1;
        Ok(true)
    }
}

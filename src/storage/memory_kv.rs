//! An in-memory `Kv` honouring TTLs against an injected clock: the native stand-in for Workers KV.

use super::{Kv, StorageError};
use crate::time::Millis;
use async_trait::async_trait;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

#[derive(Default, Clone)]
pub struct MemoryKv {
    entries: Rc<RefCell<HashMap<String, (String, Millis)>>>,
    clock: Rc<Cell<Millis>>,
}

impl MemoryKv {
    /// A store whose expiry follows `clock` (shared with the test that steps it).
    pub fn with_clock(clock: Rc<Cell<Millis>>) -> MemoryKv {
        MemoryKv {
            entries: Rc::default(),
            clock,
        }
    }

    pub fn len(&self) -> usize {
        let now = self.clock.get();
        self.entries
            .borrow()
            .values()
            .filter(|(_, exp)| *exp > now)
            .count()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn keys(&self) -> Vec<String> {
        self.entries.borrow().keys().cloned().collect()
    }
}

#[async_trait(?Send)]
impl Kv for MemoryKv {
    async fn get(&self, key: &str) -> Result<Option<String>, StorageError> {
        let now = self.clock.get();
        Ok(self
            .entries
            .borrow()
            .get(key)
            .filter(|(_, exp)| *exp > now)
            .map(|(v, _)| v.clone()))
    }

    async fn put(&self, key: &str, value: &str, ttl_seconds: u64) -> Result<(), StorageError> {
        let expires = self.clock.get() + ttl_seconds as Millis * 1000;
        self.entries
            .borrow_mut()
            .insert(key.to_string(), (value.to_string(), expires));
        Ok(())
    }

    async fn delete(&self, key: &str) -> Result<(), StorageError> {
        self.entries.borrow_mut().remove(key);
        Ok(())
    }
}

//! The drivers: everything outside the process the core talks to (databases, KV, the password
//! KDF, outbound HTTP, clocks, the limiter, logs), as traits the platform implements.

use crate::crypto::password::PasswordKdf;
use crate::net::outbound::Outbound;
use crate::rate_limit::Limiter;
use crate::storage::{Kv, Sql};
use std::any::Any;
use std::cell::RefCell;
use std::rc::Rc;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Warn,
    Error,
}

/// Where the core writes its log lines (the Workers console in production).
pub trait Log {
    fn log(&self, level: Level, message: &str);
}

/// A value that came from a request, made fit for a log line: control characters escaped (no
/// forged lines), at most 120 characters.
pub fn loggable(value: &str) -> String {
    const MAX: usize = 120;
    let mut out: String = value
        .chars()
        .take(MAX)
        .flat_map(|c| {
            let escaped: Vec<char> = if c.is_control() {
                c.escape_default().collect()
            } else {
                vec![c]
            };
            escaped
        })
        .collect();
    if value.chars().count() > MAX {
        out.push('…');
    }
    out
}

pub use crate::time::Timer;

/// Warnings an isolate gives once (the platform keeps one set per isolate).
#[derive(Default)]
pub struct Warnings(std::cell::RefCell<Vec<&'static str>>);

impl Warnings {
    /// `true` the first time `what` is asked about in this isolate.
    pub fn first(&self, what: &'static str) -> bool {
        let mut given = self.0.borrow_mut();
        if given.contains(&what) {
            return false;
        }
        given.push(what);
        true
    }
}

/// Everything outside the process the core talks to.
pub struct Drivers {
    pub sql: Box<dyn Sql>,
    pub kv: Box<dyn Kv>,
    pub kdf: Box<dyn PasswordKdf>,
    pub log: Box<dyn Log>,
    /// Memory that lives as long as the isolate (the platform keeps one per isolate).
    pub isolate: Rc<IsolateMemory>,
    pub outbound: Box<dyn Outbound>,
    pub timer: Box<dyn Timer>,
    /// Counts requests per client for the rate limits.
    pub limiter: Box<dyn Limiter>,
    pub warnings: Rc<Warnings>,
}

/// Memory that lives as long as the isolate: one value of each type, made on first use (features
/// keep their caches here).
#[derive(Default)]
pub struct IsolateMemory(RefCell<Vec<Rc<dyn Any>>>);

impl IsolateMemory {
    pub fn get<T: Default + 'static>(&self) -> Rc<T> {
        let mut kept = self.0.borrow_mut();
        if let Some(found) = kept.iter().find_map(|v| v.clone().downcast::<T>().ok()) {
            return found;
        }
        let made = Rc::new(T::default());
        kept.push(made.clone());
        made
    }
}

#[cfg(test)]
mod tests {
    use super::loggable;

    #[test]
    fn request_values_cannot_forge_or_flood_log_lines() {
        assert_eq!(loggable("/sign-in/email"), "/sign-in/email");
        assert_eq!(
            loggable("a\nERROR forged\r\u{1b}[31m"),
            "a\\nERROR forged\\r\\u{1b}[31m"
        );
        let long = loggable(&"x".repeat(5000));
        assert_eq!(long.chars().count(), 121);
    }
}

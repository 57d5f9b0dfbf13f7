//! Log lines to the Workers console (visible in `wrangler tail` and Workers Logs).

use crate::drivers::{Level, Log};

pub struct Console;

impl Log for Console {
    fn log(&self, level: Level, message: &str) {
        match level {
            Level::Info => worker::console_log!("{message}"),
            Level::Warn => worker::console_warn!("{message}"),
            Level::Error => worker::console_error!("{message}"),
        }
    }
}

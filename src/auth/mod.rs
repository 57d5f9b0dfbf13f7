//! Authentication domain logic: sessions, credentials and the rules for user input.

pub mod credentials;
pub mod one_time;
pub mod sessions;
pub mod validate;

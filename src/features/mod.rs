//! The features, each a folder with its endpoints, flows and SQL, and [`CATALOGUE`], the one list
//! of every endpoint the kernel routes and the contract documents.

pub mod admin;
pub mod api_key;
pub mod email_otp;
pub mod email_password;
pub mod jwt;
pub mod magic_link;
pub mod open_api;
pub mod passkey;
pub mod service;
pub mod session;
pub mod social;
pub mod supabase;
pub mod sync;
pub mod two_factor;
pub mod user;
pub mod verification;

use crate::kernel::catalogue::{self, Catalogue};
use crate::rate_limit::Rule;

pub const CATALOGUE: Catalogue = &[
    &email_password::FEATURE,
    &session::FEATURE,
    &social::FEATURE,
    &user::FEATURE,
    &verification::FEATURE,
    &magic_link::FEATURE,
    &email_otp::FEATURE,
    &two_factor::FEATURE,
    &passkey::FEATURE,
    &admin::FEATURE,
    &api_key::FEATURE,
    &jwt::FEATURE,
    &sync::FEATURE,
    &open_api::FEATURE,
    &service::FEATURE,
    &supabase::FEATURE,
];

/// The tables no single feature owns: better-auth's core schema (`user`, `session`, `account`,
/// `verification`), the mail queue and the rate-limit counters.
pub const SHARED_MIGRATIONS: &[&str] = &[
    "0001_better_auth_core.sql",
    "0004_mail_outbox.sql",
    "0005_rate_limit_counters.sql",
];

/// The algorithms whose signing keys the cron rotates: Ed25519 for better-auth's tokens, and
/// P-256 for Supabase's access tokens when that API is on.
pub fn signing_algorithms(config: &crate::config::Config) -> Vec<jwt::keys::Alg> {
    let mut algs = vec![jwt::keys::Alg::EdDSA];
    if config.supabase.is_some() {
        algs.push(jwt::keys::Alg::ES256);
    }
    algs
}

/// Every rate rule an endpoint declares (each needs its binding).
pub fn declared_rules() -> impl Iterator<Item = Rule> {
    catalogue::endpoints(CATALOGUE).filter_map(|e| e.rate)
}

//! Ed25519 JWTs and the JWKS that lets other backends verify them (better-auth's JWT plugin):
//! key material and JWK forms, signing and RFC 8725 verification, and key rotation.

pub mod endpoints;
pub mod keyring;
pub mod keys;
pub mod store;
pub mod token;

pub use endpoints::well_known;

use crate::config::Config;
use crate::drivers::Drivers;
use crate::kernel::context::Ctx;
use keyring::{KeyCache, KeyRing};
use keys::Alg;

/// The keys of `alg`, with the isolate's cached signing keys.
pub fn ring<'a>(config: &'a Config, drivers: &'a Drivers, alg: Alg) -> KeyRing<'a> {
    KeyRing {
        sql: drivers.sql.as_ref(),
        config,
        cache: drivers.isolate.get::<KeyCache>(),
        alg,
    }
}

/// better-auth's key ring (Ed25519) as a request sees it.
pub fn key_ring<'a>(ctx: &Ctx<'a>) -> KeyRing<'a> {
    ring(ctx.config, ctx.drivers, Alg::EdDSA)
}

use crate::handler;
use crate::kernel::catalogue::{Answer, Endpoint, Feature, Prop, Requires, Shape};
use crate::session::Source;

pub const FEATURE: Feature = Feature {
    migrations: &["0002_jwks.sql"],
    credential: None,
    name: "JWT",
    about: "Ed25519 JWTs for other backends, and the JWKS that verifies them (also at `/.well-known/jwks.json`, with a minimal `/.well-known/openid-configuration`).",
    schemas: &[(
        "JWKS",
        Shape::Object(&[Prop::req(
            "keys",
            Shape::Array(&Shape::Object(&[
                Prop::req("kty", Shape::String),
                Prop::req("crv", Shape::String),
                Prop::req("x", Shape::String),
                Prop::req("kid", Shape::String),
                Prop::opt("alg", Shape::String),
                Prop::opt("use", Shape::String),
            ])),
        )]),
    )],
    endpoints: &[
        Endpoint {
            summary: "The public keys that verify the service's JWTs",
            answers: &[Answer::json(Shape::Ref("JWKS"))],
            ..Endpoint::get("/jwks", "jwks", handler!(endpoints::jwks))
        },
        Endpoint {
            summary: "A JWT for the current session's user (EdDSA, `JWT_EXPIRATION_TIME`)",
            requires: Requires::Session(Source::Cache),
            accepts_credential: true,
            answers: &[Answer::json(Shape::Object(&[Prop::req("token", Shape::String)]))],
            ..Endpoint::get("/token", "token", handler!(endpoints::token))
        },
    ],
};

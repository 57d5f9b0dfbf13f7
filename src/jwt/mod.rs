//! Ed25519 JWTs and the JWKS that lets other backends verify them (better-auth's JWT plugin):
//! key material and JWK forms, signing and RFC 8725 verification, and key rotation.

pub mod keyring;
pub mod keys;
pub mod token;

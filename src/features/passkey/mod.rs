//! Passkeys (`@better-auth/passkey`): WebAuthn registration and sign-in.

pub mod relying_party;

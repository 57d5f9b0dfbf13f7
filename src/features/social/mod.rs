//! Social and OpenID Connect sign-in (better-auth's social providers).

pub mod id_token;

//! Prints a fresh `jwks` row as portcullis stores it (JSON: id, publicKey, privateKey), sealed
//! with the secret given as the first argument. The end-to-end suite opens it with better-auth's
//! own code to prove the format is the same.

#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    use portcullis::features::jwt::keys::KeyPair;
    let secret = std::env::args().nth(1).unwrap_or_default();
    let pair = match KeyPair::generate(
        "portcullis-key".into(),
        portcullis::features::jwt::keys::Alg::EdDSA,
    ) {
        Ok(pair) => pair,
        Err(e) => return eprintln!("{e}"),
    };
    match pair.encrypted_private_jwk(secret.as_bytes()) {
        Ok(private_key) => println!(
            "{}",
            serde_json::json!({"id": pair.kid, "publicKey": pair.public_jwk_json(), "privateKey": private_key})
        ),
        Err(e) => eprintln!("{e}"),
    }
}

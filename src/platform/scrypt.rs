//! Password key derivation on Workers, chosen by `PASSWORD_HASHER`: the Rust scrypt compiled to
//! wasm (the default: it measured faster than `node:crypto` in workerd here, see `npm run bench`),
//! or workerd's native scrypt through `node:crypto`, which falls back to the wasm one if the
//! runtime lacks it. Both give better-auth's exact hashes.

use crate::config::PasswordHasher;
use crate::crypto::password::{scrypt_key, PasswordError, PasswordKdf, KEY_LEN};
use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/js/scrypt.js")]
extern "C" {
    #[wasm_bindgen(catch, js_name = scryptNfkc)]
    fn scrypt_nfkc(password: &str, salt: &str) -> Result<js_sys::Uint8Array, JsValue>;
    #[wasm_bindgen(js_name = nfkc)]
    fn nfkc(text: &str) -> String;
}

pub fn for_hasher(hasher: PasswordHasher) -> Box<dyn PasswordKdf> {
    match hasher {
        PasswordHasher::Wasm => Box::new(WasmScrypt),
        PasswordHasher::NodeCrypto => Box::new(NodeCryptoScrypt),
    }
}

/// NFKC through JavaScript's `String.prototype.normalize`: no Unicode tables in the wasm.
struct WasmScrypt;

impl PasswordKdf for WasmScrypt {
    fn derive(&self, password: &str, salt: &str) -> Result<[u8; KEY_LEN], PasswordError> {
        scrypt_key(nfkc(password).as_bytes(), salt.as_bytes())
    }
}

struct NodeCryptoScrypt;

impl PasswordKdf for NodeCryptoScrypt {
    fn derive(&self, password: &str, salt: &str) -> Result<[u8; KEY_LEN], PasswordError> {
        match scrypt_nfkc(password, salt) {
            Ok(bytes) if bytes.length() as usize == KEY_LEN => {
                let mut key = [0u8; KEY_LEN];
                bytes.copy_to(&mut key);
                Ok(key)
            }
            Ok(_) => Err(PasswordError::Kdf(
                "node:crypto scrypt returned a key of the wrong length".into(),
            )),
            Err(e) => {
                let reason = e
                    .as_string()
                    .or_else(|| js_sys::Error::from(e).message().as_string())
                    .unwrap_or_default();
                worker::console_warn!("[password] node:crypto scrypt unavailable ({reason}); hashing with the wasm scrypt");
                WasmScrypt.derive(password, salt)
            }
        }
    }
}

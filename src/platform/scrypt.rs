//! Password key derivation on Workers: workerd's native scrypt through `node:crypto` (about twice
//! as fast as the Rust implementation compiled to wasm), with the Rust one as the fallback where
//! `node:crypto` is unavailable.

use crate::crypto::password::{scrypt_key, PasswordError, PasswordKdf, KEY_LEN};
use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/js/scrypt.js")]
extern "C" {
    #[wasm_bindgen(catch, js_name = scryptNfkc)]
    fn scrypt_nfkc(password: &str, salt: &str) -> Result<js_sys::Uint8Array, JsValue>;
    #[wasm_bindgen(js_name = nfkc)]
    fn nfkc(text: &str) -> String;
}

pub struct NativeScrypt;

impl PasswordKdf for NativeScrypt {
    fn derive(&self, password: &str, salt: &str) -> Result<[u8; KEY_LEN], PasswordError> {
        match scrypt_nfkc(password, salt) {
            Ok(bytes) if bytes.length() as usize == KEY_LEN => {
                let mut key = [0u8; KEY_LEN];
                bytes.copy_to(&mut key);
                Ok(key)
            }
            _ => scrypt_key(nfkc(password).as_bytes(), salt.as_bytes()),
        }
    }
}

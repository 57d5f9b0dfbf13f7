//! HMAC-SHA256, and the signed values better-auth puts in cookies (`value.base64(hmac)`).

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length, so `new_from_slice` cannot fail here.
    let mut mac = <HmacSha256 as KeyInit>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    mac.update(message);
    mac.finalize().into_bytes().into()
}

/// `value.signature` with the signature in padded standard base64 (44 characters), exactly as
/// better-call's `signCookieValue` makes it.
pub fn sign_value(secret: &[u8], value: &str) -> String {
    format!(
        "{value}.{}",
        STANDARD.encode(hmac_sha256(secret, value.as_bytes()))
    )
}

/// The inverse of [`sign_value`]: splits at the last `.`, checks the signature in constant time
/// and returns the value. Signatures in URL-safe base64 are accepted too, as better-auth's bearer
/// plugin does.
pub fn verify_signed_value<'a>(secret: &[u8], signed: &'a str) -> Option<&'a str> {
    let (value, signature) = signed.rsplit_once('.')?;
    if signature.len() != 44 || !signature.ends_with('=') {
        return None;
    }
    let given = STANDARD
        .decode(signature)
        .or_else(|_| URL_SAFE_NO_PAD.decode(signature.trim_end_matches('=')))
        .ok()?;
    let mut mac = <HmacSha256 as KeyInit>::new_from_slice(secret).ok()?;
    mac.update(value.as_bytes());
    mac.verify_slice(&given).ok().map(|()| value)
}

/// RFC 4231 §4's HMAC-SHA-256 test cases 1–7 (key, data, output in hex; case 5's output is
/// truncated to 128 bits, so compare prefixes). Public so the wasm build checks them too.
pub fn rfc_4231_cases() -> [(Vec<u8>, Vec<u8>, &'static str); 7] {
    let case4_key: Vec<u8> = (1..=25).collect();
    [
        (vec![0x0b; 20], b"Hi There".to_vec(), "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
        (b"Jefe".to_vec(), b"what do ya want for nothing?".to_vec(), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
        (vec![0xaa; 20], vec![0xdd; 50], "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"),
        (case4_key, vec![0xcd; 50], "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"),
        (vec![0x0c; 20], b"Test With Truncation".to_vec(), "a3b6167473100ee06e0c796c2955552b"),
        (vec![0xaa; 131], b"Test Using Larger Than Block-Size Key - Hash Key First".to_vec(), "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
        (vec![0xaa; 131], b"This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.".to_vec(), "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::hex_encode;

    #[test]
    fn hmac_sha256_matches_rfc_4231_test_cases() {
        for (key, data, expected) in rfc_4231_cases() {
            assert!(hex_encode(&hmac_sha256(&key, &data)).starts_with(expected));
        }
    }

    const SECRET: &[u8] = b"better-auth-secret-that-is-long-enough-for-validation-test";
    const TOKEN: &str = "Ab3dEfGhIjKlMnOpQrStUvWxYz012345";

    #[test]
    fn signs_cookie_values_exactly_as_better_auth() {
        assert_eq!(
            sign_value(SECRET, TOKEN),
            "Ab3dEfGhIjKlMnOpQrStUvWxYz012345.Tz/qpI4HwWxGKiPwgzm5ev9Arcv71jN2egNFBl3ksnw="
        );
    }

    #[test]
    fn verifies_its_own_and_url_safe_signatures() {
        let signed = sign_value(SECRET, TOKEN);
        assert_eq!(verify_signed_value(SECRET, &signed), Some(TOKEN));
        let url_safe = signed.replace('/', "_").replace('+', "-");
        assert_eq!(verify_signed_value(SECRET, &url_safe), Some(TOKEN));
    }

    #[test]
    fn rejects_tampered_truncated_and_foreign_signatures() {
        let signed = sign_value(SECRET, TOKEN);
        let tampered_value = signed.replacen('A', "B", 1);
        assert_eq!(verify_signed_value(SECRET, &tampered_value), None);
        assert_eq!(
            verify_signed_value(SECRET, &signed[..signed.len() - 2]),
            None
        );
        assert_eq!(
            verify_signed_value(b"another-secret-another-secret-xx", &signed),
            None
        );
        assert_eq!(verify_signed_value(SECRET, TOKEN), None);
        assert_eq!(verify_signed_value(SECRET, ""), None);
    }
}

//! Identifiers and tokens from the platform CSPRNG (`crypto.getRandomValues` on Workers).

use thiserror::Error;

#[derive(Debug, Error)]
#[error("the random number generator failed: {0}")]
pub struct RandomError(String);

const ALPHANUMERIC: &[u8; 62] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

pub fn fill(buf: &mut [u8]) -> Result<(), RandomError> {
    getrandom::fill(buf).map_err(|e| RandomError(e.to_string()))
}

/// `len` characters of `[a-zA-Z0-9]`, uniformly distributed (rejection sampling, as better-auth's
/// `generateId` does): 32 characters carry about 190 bits.
pub fn alphanumeric(len: usize) -> Result<String, RandomError> {
    let mut out = String::with_capacity(len);
    let mut buf = [0u8; 64];
    while out.len() < len {
        fill(&mut buf)?;
        // 248 = 4 * 62: bytes at or above it would bias the first characters.
        for &b in buf.iter().filter(|&&b| b < 248) {
            out.push(ALPHANUMERIC[(b % 62) as usize] as char);
            if out.len() == len {
                break;
            }
        }
    }
    Ok(out)
}

/// 16 random bytes as 32 lower-case hex characters (better-auth's password salt).
pub fn hex16() -> Result<String, RandomError> {
    let mut salt = [0u8; 16];
    fill(&mut salt)?;
    Ok(super::hex_encode(&salt))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alphanumeric_ids_have_the_requested_length_and_alphabet() {
        let id = alphanumeric(32).unwrap();
        assert_eq!(id.len(), 32);
        assert!(id.bytes().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(id, alphanumeric(32).unwrap());
    }

    #[test]
    fn hex16_is_32_lower_hex_characters() {
        let salt = hex16().unwrap();
        assert_eq!(salt.len(), 32);
        assert!(salt
            .bytes()
            .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c)));
    }
}

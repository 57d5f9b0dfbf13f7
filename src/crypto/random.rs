//! Identifiers and tokens from the platform CSPRNG (`crypto.getRandomValues` on Workers).

use thiserror::Error;

#[derive(Debug, Error)]
#[error("the random number generator failed: {0}")]
pub struct RandomError(String);

const ALPHANUMERIC: &[u8; 62] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

pub fn fill(buf: &mut [u8]) -> Result<(), RandomError> {
    getrandom::fill(buf).map_err(|e| RandomError(e.to_string()))
}

const LETTERS: &[u8; 52] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

/// `len` characters drawn uniformly from `alphabet` (rejection sampling, as better-auth's
/// `generateRandomString` does).
fn from_alphabet(alphabet: &[u8], len: usize) -> Result<String, RandomError> {
    // Bytes at or above the largest multiple of the alphabet's size would bias the first letters.
    let unbiased_below = 256 - 256 % alphabet.len();
    let mut out = String::with_capacity(len);
    let mut buf = [0u8; 64];
    while out.len() < len {
        fill(&mut buf)?;
        for &b in buf.iter().filter(|&&b| usize::from(b) < unbiased_below) {
            out.push(alphabet[usize::from(b) % alphabet.len()] as char);
            if out.len() == len {
                break;
            }
        }
    }
    Ok(out)
}

/// `len` characters of `[a-zA-Z0-9]` (better-auth's `generateId`): 32 carry about 190 bits.
pub fn alphanumeric(len: usize) -> Result<String, RandomError> {
    from_alphabet(ALPHANUMERIC, len)
}

/// `len` decimal digits (one-time codes; leading zeros included).
pub fn digits(len: usize) -> Result<String, RandomError> {
    from_alphabet(b"0123456789", len)
}

/// `len` characters of `[a-zA-Z]` (better-auth's API keys): 64 carry about 365 bits.
pub fn letters(len: usize) -> Result<String, RandomError> {
    from_alphabet(LETTERS, len)
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
    fn letters_cover_the_whole_alphabet_and_nothing_else() {
        let drawn = letters(4096).unwrap();
        assert_eq!(drawn.len(), 4096);
        assert!(drawn.bytes().all(|c| c.is_ascii_alphabetic()));
        let distinct: std::collections::BTreeSet<u8> = drawn.bytes().collect();
        assert_eq!(distinct.len(), 52);
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

//! TOTP (RFC 6238) as better-auth's two-factor plugin computes it: HMAC-SHA-1, 6 digits, 30 s
//! steps, one step of skew either way, keyed with the UTF-8 bytes of the stored secret (which its
//! `otpauth://` URI carries in base32). The arithmetic is the `totp-rs` crate's; remembering the
//! last step used, so that a code works once, is the caller's.

use totp_rs::{Algorithm, Builder, Secret, Totp};

pub const DIGITS: u8 = 6;
pub const STEP_SECONDS: u64 = 30;

/// A TOTP generator for one secret.
pub struct Generator(Totp);

impl Generator {
    /// For a secret of any length (better-auth takes imported secrets below RFC 4226's 128 bits)
    /// and 6 to 8 digits.
    pub fn new(secret: &[u8], digits: u8) -> Option<Generator> {
        if secret.is_empty() || !(6..=8).contains(&digits) {
            return None;
        }
        let totp = Builder::new()
            .with_algorithm(Algorithm::SHA1)
            .with_digits(digits)
            .with_skew(1)
            .with_step_duration(STEP_SECONDS)
            .with_secret(Secret::from(secret.to_vec()))
            .build_noncompliant();
        Some(Generator(totp))
    }

    /// The code of the step `unix_seconds` falls in.
    pub fn code_at(&self, unix_seconds: u64) -> String {
        self.0.generate(unix_seconds).to_string()
    }

    /// The step a code belongs to, if it is the code of the step `unix_seconds` falls in or of
    /// one step either side.
    pub fn step_of(&self, code: &str, unix_seconds: u64) -> Option<u64> {
        self.0.check(code, unix_seconds)
    }
}

/// The secret in base32 without padding, as `otpauth://` URIs carry it.
pub fn base32(secret: &[u8]) -> String {
    Secret::from(secret.to_vec()).to_base32()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_6238_appendix_b_sha1_vectors() {
        let rfc = Generator::new(b"12345678901234567890", 8).unwrap();
        for (time, code) in [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ] {
            assert_eq!(rfc.code_at(time), code, "T = {time}");
        }
    }

    #[test]
    fn codes_match_better_auths_own() {
        // @better-auth/utils' createOTP(secret, {period: 30, digits: 6}).totp() at
        // 2026-01-01T00:00:00Z, and its otpauth URI's secret.
        let secret = b"AbCdEfGhIjKlMnOpQrStUvWxYz012345";
        let totp = Generator::new(secret, DIGITS).unwrap();
        assert_eq!(totp.code_at(1_767_225_600), "976640");
        assert_eq!(
            base32(secret),
            "IFREGZCFMZDWQSLKJNWE23SPOBIXEU3UKV3FO6CZPIYDCMRTGQ2Q"
        );
    }

    #[test]
    fn a_code_holds_for_one_step_either_side_and_no_more() {
        let totp = Generator::new(b"AbCdEfGhIjKlMnOpQrStUvWxYz012345", DIGITS).unwrap();
        let now = 1_767_225_600;
        let code = totp.code_at(now);
        assert_eq!(totp.step_of(&code, now), Some(now / STEP_SECONDS));
        assert!(totp.step_of(&code, now + STEP_SECONDS).is_some());
        assert!(totp.step_of(&code, now - STEP_SECONDS).is_some());
        assert!(totp.step_of(&code, now + 2 * STEP_SECONDS).is_none());
        assert!(totp.step_of("12345", now).is_none());
        let short = Generator::new(b"0123456789", DIGITS).unwrap();
        assert_eq!(
            short.step_of(&short.code_at(now), now),
            Some(now / STEP_SECONDS)
        );
        assert!(Generator::new(b"", DIGITS).is_none());
    }
}

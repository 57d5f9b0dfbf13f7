//! Backup codes as better-auth makes them: ten `xxxxx-xxxxx` codes of letters and digits, kept as
//! a JSON array encrypted with the secret; each works once.

use crate::crypto::{constant_time_eq, random, symmetric};
use crate::error::ApiError;
use crate::kernel::context::Ctx;

const COUNT: usize = 10;

/// New codes, and their stored form.
pub fn generate(ctx: &Ctx<'_>) -> Result<(Vec<String>, String), ApiError> {
    let codes = (0..COUNT)
        .map(|_| {
            let raw = random::alphanumeric(10)?;
            Ok(format!("{}-{}", &raw[..5], &raw[5..]))
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    let sealed = seal(ctx, &codes)?;
    Ok((codes, sealed))
}

pub fn seal(ctx: &Ctx<'_>, codes: &[String]) -> Result<String, ApiError> {
    let json = serde_json::to_string(codes).map_err(ApiError::internal_because)?;
    symmetric::encrypt(ctx.config.secret.expose(), &json).map_err(ApiError::internal_because)
}

/// The codes still unused; `None` when the stored form does not read as codes.
pub fn open(ctx: &Ctx<'_>, stored: &str) -> Result<Option<Vec<String>>, ApiError> {
    let json = symmetric::decrypt(ctx.config.secret.expose(), stored)
        .map_err(ApiError::internal_because)?;
    Ok(serde_json::from_str(&json).ok())
}

/// The codes left once `code` is spent, if it is one of them. Every code is compared, in
/// constant time.
pub fn spend(codes: &[String], code: &str) -> Option<Vec<String>> {
    let mut found = false;
    let mut left = Vec::with_capacity(codes.len());
    for candidate in codes {
        if constant_time_eq(candidate.as_bytes(), code.as_bytes()) {
            found = true;
        } else {
            left.push(candidate.clone());
        }
    }
    found.then_some(left)
}

#[cfg(test)]
mod tests {
    use super::spend;

    #[test]
    fn a_code_is_spent_once_and_the_others_stay() {
        let codes: Vec<String> = ["abcde-12345", "fghij-67890"].map(String::from).to_vec();
        let left = spend(&codes, "abcde-12345").unwrap();
        assert_eq!(left, vec!["fghij-67890".to_string()]);
        assert!(spend(&left, "abcde-12345").is_none());
        assert!(spend(&codes, "abcde-1234").is_none());
        assert!(spend(&codes, "").is_none());
    }
}

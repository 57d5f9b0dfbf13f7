//! The retry schedule: min(60 s, 2^attempts s) plus 0–500 ms of jitter, or the receiver's
//! `Retry-After` when that is later; dead after [`MAX_ATTEMPTS`].

use crate::time::{Millis, SECOND};

pub const MAX_DELAY: Millis = 60 * SECOND;
pub const MAX_JITTER: Millis = 500;
pub const MAX_ATTEMPTS: i64 = 25;

/// Delay before the next attempt, after `failures` failed attempts (1 for the first failure).
pub fn delay(failures: i64, jitter: Millis, retry_after: Option<Millis>) -> Millis {
    let exponential = if failures >= 6 {
        MAX_DELAY
    } else {
        (SECOND << failures.max(0)).min(MAX_DELAY)
    };
    let scheduled = exponential + jitter.clamp(0, MAX_JITTER);
    retry_after.map_or(scheduled, |r| r.max(scheduled))
}

/// 0 to [`MAX_JITTER`] ms, uniformly, so that retries after a shared outage spread out.
pub fn random_jitter() -> Result<Millis, crate::crypto::random::RandomError> {
    let mut b = [0u8; 2];
    crate::crypto::random::fill(&mut b)?;
    Ok(u16::from_le_bytes(b) as Millis % (MAX_JITTER + 1))
}

/// Parses `Retry-After` (delta seconds; HTTP dates are not used by receivers of this protocol).
pub fn parse_retry_after(value: &str) -> Option<Millis> {
    value
        .trim()
        .parse::<u32>()
        .ok()
        .map(|s| s as Millis * SECOND)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_from_two_seconds_up_to_a_minute() {
        let schedule: Vec<Millis> = (1..=8).map(|n| delay(n, 0, None)).collect();
        assert_eq!(
            schedule,
            [2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000, 60_000]
        );
        assert_eq!(delay(1_000, 0, None), 60_000);
    }

    #[test]
    fn jitter_is_added_and_bounded() {
        assert_eq!(delay(1, 250, None), 2_250);
        assert_eq!(delay(1, 9_999, None), 2_500);
        assert_eq!(delay(1, -5, None), 2_000);
    }

    #[test]
    fn retry_after_wins_when_it_is_later() {
        assert_eq!(delay(1, 0, Some(30_000)), 30_000);
        assert_eq!(delay(6, 100, Some(5_000)), 60_100);
        assert_eq!(parse_retry_after(" 120 "), Some(120_000));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2026 07:28:00 GMT"), None);
    }
}

//! What one use of a key does to its counters, decided from the row as read, with
//! better-auth's rules: `remaining` counts down and refills by `refillAmount` once
//! `refillInterval` has passed since the last refill; the rate limit allows `rateLimitMax` uses
//! while each comes within `rateLimitTimeWindow` of the one before. Pure arithmetic: the caller
//! writes the result only if the row still holds what was read.

use crate::time::Millis;

/// A key's counters as stored (times in unix milliseconds; intervals in milliseconds).
#[derive(Debug, Clone, PartialEq)]
pub struct Usage {
    pub remaining: Option<i64>,
    pub refill_amount: Option<i64>,
    pub refill_interval: Option<i64>,
    pub last_refill_at: Option<Millis>,
    pub created_at: Millis,
    pub rate_limit_enabled: bool,
    pub rate_limit_window: Option<i64>,
    pub rate_limit_max: Option<i64>,
    pub request_count: i64,
    pub last_request: Option<Millis>,
}

/// The counters after a use that is allowed.
#[derive(Debug, Clone, PartialEq)]
pub struct Claimed {
    pub remaining: Option<i64>,
    pub last_refill_at: Option<Millis>,
    pub request_count: i64,
    pub last_request: Option<Millis>,
}

/// Why a use is refused.
#[derive(Debug, Clone, PartialEq)]
pub enum Refusal {
    /// Nothing remains and nothing will refill it: the key is spent for good (and deleted).
    Spent,
    /// Nothing remains until the next refill.
    UsageExceeded,
    /// Too many uses within the window; the next may come after `try_again_in` milliseconds.
    RateLimited { try_again_in: i64 },
}

/// One use at `now`; `limits_on` is the deployment's `API_KEY_RATE_LIMIT_ENABLED`.
pub fn claim(usage: &Usage, limits_on: bool, now: Millis) -> Result<Claimed, Refusal> {
    let (remaining, last_refill_at) = count_down(usage, now)?;
    let (request_count, last_request) = rate_limit(usage, limits_on, now)?;
    Ok(Claimed {
        remaining,
        last_refill_at,
        request_count,
        last_request,
    })
}

fn count_down(usage: &Usage, now: Millis) -> Result<(Option<i64>, Option<Millis>), Refusal> {
    let Some(remaining) = usage.remaining else {
        return Ok((None, usage.last_refill_at));
    };
    if remaining <= 0 && usage.refill_amount.is_none() {
        return Err(Refusal::Spent);
    }
    if let (Some(interval), Some(amount)) = (usage.refill_interval, usage.refill_amount) {
        let last_refill = usage.last_refill_at.unwrap_or(usage.created_at);
        if interval > 0 && amount > 0 && now - last_refill > interval {
            return Ok((Some(amount - 1), Some(now)));
        }
    }
    if remaining > 0 {
        Ok((Some(remaining - 1), usage.last_refill_at))
    } else {
        Err(Refusal::UsageExceeded)
    }
}

fn rate_limit(
    usage: &Usage,
    limits_on: bool,
    now: Millis,
) -> Result<(i64, Option<Millis>), Refusal> {
    if !limits_on || !usage.rate_limit_enabled {
        return Ok((usage.request_count, Some(now)));
    }
    let (Some(window), Some(max)) = (usage.rate_limit_window, usage.rate_limit_max) else {
        return Ok((usage.request_count, usage.last_request));
    };
    let Some(last) = usage.last_request else {
        return Ok((1, Some(now)));
    };
    let since = now - last;
    if since > window {
        return Ok((1, Some(now)));
    }
    if usage.request_count >= max {
        return Err(Refusal::RateLimited {
            try_again_in: window - since,
        });
    }
    Ok((usage.request_count + 1, Some(now)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fresh() -> Usage {
        Usage {
            remaining: None,
            refill_amount: None,
            refill_interval: None,
            last_refill_at: None,
            created_at: 0,
            rate_limit_enabled: true,
            rate_limit_window: Some(1_000),
            rate_limit_max: Some(3),
            request_count: 0,
            last_request: None,
        }
    }

    #[test]
    fn the_first_use_starts_a_window() {
        let claimed = claim(&fresh(), true, 5_000).unwrap();
        assert_eq!(
            (claimed.request_count, claimed.last_request),
            (1, Some(5_000))
        );
        assert_eq!(claimed.remaining, None);
    }

    #[test]
    fn uses_within_the_window_count_up_to_the_max() {
        let usage = Usage {
            request_count: 2,
            last_request: Some(5_000),
            ..fresh()
        };
        assert_eq!(claim(&usage, true, 5_400).unwrap().request_count, 3);
        let full = Usage {
            request_count: 3,
            ..usage
        };
        assert_eq!(
            claim(&full, true, 5_400),
            Err(Refusal::RateLimited { try_again_in: 600 })
        );
        // Exactly one window after the last use still counts against it (better-auth's `>`).
        assert!(claim(&full, true, 6_000).is_err());
        assert_eq!(claim(&full, true, 6_001).unwrap().request_count, 1);
    }

    #[test]
    fn without_limits_a_use_only_records_its_time() {
        let full = Usage {
            request_count: 3,
            last_request: Some(5_000),
            ..fresh()
        };
        let off = claim(&full, false, 5_001).unwrap();
        assert_eq!((off.request_count, off.last_request), (3, Some(5_001)));
        let key_off = Usage {
            rate_limit_enabled: false,
            ..full.clone()
        };
        assert_eq!(claim(&key_off, true, 5_001).unwrap().request_count, 3);
        let no_window = Usage {
            rate_limit_window: None,
            ..full
        };
        let kept = claim(&no_window, true, 5_001).unwrap();
        assert_eq!(
            kept.last_request,
            Some(5_000),
            "nothing to count, nothing written"
        );
    }

    #[test]
    fn remaining_counts_down_and_a_spent_key_without_refill_is_over() {
        let usage = Usage {
            remaining: Some(1),
            ..fresh()
        };
        assert_eq!(claim(&usage, true, 1).unwrap().remaining, Some(0));
        let spent = Usage {
            remaining: Some(0),
            ..fresh()
        };
        assert_eq!(claim(&spent, true, 1), Err(Refusal::Spent));
    }

    #[test]
    fn a_refill_is_due_one_interval_after_the_last_refill_or_creation() {
        let usage = Usage {
            remaining: Some(0),
            refill_amount: Some(5),
            refill_interval: Some(60_000),
            created_at: 1_000,
            ..fresh()
        };
        assert_eq!(claim(&usage, true, 61_000), Err(Refusal::UsageExceeded));
        let refilled = claim(&usage, true, 61_001).unwrap();
        assert_eq!(refilled.remaining, Some(4));
        assert_eq!(refilled.last_refill_at, Some(61_001));
        let since_last_refill = Usage {
            last_refill_at: Some(61_001),
            ..usage
        };
        assert_eq!(
            claim(&since_last_refill, true, 100_000),
            Err(Refusal::UsageExceeded)
        );
    }

    #[test]
    fn a_refused_use_changes_nothing_even_when_a_quota_was_left() {
        let usage = Usage {
            remaining: Some(5),
            request_count: 3,
            last_request: Some(5_000),
            ..fresh()
        };
        assert!(matches!(
            claim(&usage, true, 5_100),
            Err(Refusal::RateLimited { .. })
        ));
    }
}

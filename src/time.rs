//! Wall-clock values as better-auth stores them: epoch milliseconds in, ISO-8601 text out.
//!
//! Time is always a parameter (`now`), never read from the system: `SystemTime::now()` panics on
//! wasm32, and tests step the clock.

/// Milliseconds since the Unix epoch.
pub type Millis = i64;

/// The clock, read while work is under way (each signed request reads it afresh), and waiting
/// (to give answers a floor in time).
#[async_trait::async_trait(?Send)]
pub trait Timer {
    fn now(&self) -> Millis;
    async fn sleep(&self, ms: Millis);
}

pub const SECOND: Millis = 1000;

/// `2025-01-01T00:00:00.000Z`, the exact form JavaScript's `Date.toISOString()` produces.
pub fn to_iso(ms: Millis) -> String {
    let days = ms.div_euclid(86_400_000);
    let rem = ms.rem_euclid(86_400_000);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3_600_000,
        rem / 60_000 % 60,
        rem / 1000 % 60,
        rem % 1000
    )
}

/// Parses the ISO-8601 UTC forms found in better-auth databases (`…T…Z`, with or without
/// fractional seconds, or a space instead of `T`). Returns `None` for anything else.
pub fn parse_iso(s: &str) -> Option<Millis> {
    let b = s.as_bytes();
    if b.len() < 19 || !(b[10] == b'T' || b[10] == b' ') {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let part = s.get(r)?;
        if !part.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        part.parse().ok()
    };
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if b[4] != b'-' || b[7] != b'-' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    let mut rest = &s[19..];
    let mut millis = 0;
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        let ms_digits = &frac[..digits.min(3)];
        millis = ms_digits.parse::<i64>().ok()? * 10_i64.pow(3 - ms_digits.len() as u32);
        rest = &frac[digits..];
    }
    if !(rest == "Z" || rest == "+00:00" || rest.is_empty()) {
        return None;
    }
    let days = days_from_civil(y, mo, d);
    Some(days * 86_400_000 + h * 3_600_000 + mi * 60_000 + sec * 1000 + millis)
}

// Howard Hinnant's days-from-civil algorithms (proleptic Gregorian calendar).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (
        if m <= 2 {
            yoe + era * 400 + 1
        } else {
            yoe + era * 400
        },
        m,
        d,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_javascript_to_iso_string() {
        assert_eq!(to_iso(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(to_iso(1_735_689_600_000), "2025-01-01T00:00:00.000Z");
        assert_eq!(to_iso(1_709_210_096_789), "2024-02-29T12:34:56.789Z");
    }

    #[test]
    fn parses_what_it_formats_across_centuries() {
        for ms in [0, 951_782_400_000, 4_102_444_799_999, 1_709_210_096_789] {
            assert_eq!(parse_iso(&to_iso(ms)), Some(ms));
        }
    }

    #[test]
    fn parses_other_better_auth_date_forms() {
        assert_eq!(parse_iso("2025-01-01 00:00:00"), Some(1_735_689_600_000));
        assert_eq!(parse_iso("2025-01-01T00:00:00.5Z"), Some(1_735_689_600_500));
        assert_eq!(
            parse_iso("2025-01-01T00:00:00+00:00"),
            Some(1_735_689_600_000)
        );
    }

    #[test]
    fn rejects_malformed_dates() {
        for bad in [
            "",
            "2025-13-01T00:00:00Z",
            "2025-01-01X00:00:00Z",
            "2025-01-01T00:00:00+02:00",
            "２０２５-01-01T00:00:00Z",
        ] {
            assert_eq!(parse_iso(bad), None, "{bad}");
        }
    }
}

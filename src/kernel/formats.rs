//! Rules for user input: e-mail addresses (zod's `z.email()` pattern), password length, names.

/// zod 4's e-mail rule: `^(?!\.)(?!.*\.\.)([A-Za-z0-9_'+\-\.]*)[A-Za-z0-9_+-]@([A-Za-z0-9][A-Za-z0-9\-]*\.)+[A-Za-z]{2,}$`.
pub fn is_valid_email(email: &str) -> bool {
    if email.len() > 254 {
        return false;
    }
    let Some((local, domain)) = email.rsplit_once('@') else {
        return false;
    };
    let local_ok = !local.is_empty()
        && !local.starts_with('.')
        && !email.contains("..")
        && local
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_'+-.".contains(&b))
        && local
            .bytes()
            .last()
            .is_some_and(|b| b.is_ascii_alphanumeric() || b"_+-".contains(&b));
    if !local_ok {
        return false;
    }
    let labels: Vec<&str> = domain.split('.').collect();
    let Some((tld, hosts)) = labels.split_last() else {
        return false;
    };
    !hosts.is_empty()
        && hosts.iter().all(|l| {
            l.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
        && tld.len() >= 2
        && tld.bytes().all(|b| b.is_ascii_alphabetic())
}

/// Password length as better-auth counts it: UTF-16 code units.
pub fn password_length(password: &str) -> usize {
    password.encode_utf16().count()
}

pub const MAX_NAME_LEN: usize = 256;
/// An image URL goes into every JWT and `set-auth-jwt` header: it stays short.
pub const MAX_IMAGE_LEN: usize = 2048;

/// Names are free text, but not unbounded and without control characters.
pub fn is_valid_name(name: &str) -> bool {
    name.chars().count() <= MAX_NAME_LEN && !name.chars().any(char::is_control)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_addresses() {
        for ok in [
            "a@b.co",
            "first.last+tag@sub.example.com",
            "o'neil@example.org",
            "x_y-z@ex-ample.io",
        ] {
            assert!(is_valid_email(ok), "{ok}");
        }
    }

    #[test]
    fn rejects_what_zod_rejects() {
        for bad in [
            "",
            "plain",
            "@example.com",
            "a@",
            "a@b",
            "a@b.c",
            ".a@b.co",
            "a..b@c.co",
            "a.@b.co",
            "a@-b.co",
            "a b@c.co",
            "a@b.c0",
            "a\0@b.co",
            "ü@b.co",
            "a@b..co",
        ] {
            assert!(!is_valid_email(bad), "{bad:?}");
        }
    }

    #[test]
    fn password_length_counts_utf16_units() {
        assert_eq!(password_length("😀😀😀😀"), 8);
        assert_eq!(password_length("ééééééé"), 7);
    }

    #[test]
    fn names_reject_control_characters_and_excess_length() {
        assert!(is_valid_name("Ada Lovelace"));
        assert!(!is_valid_name("a\0b"));
        assert!(!is_valid_name(&"x".repeat(MAX_NAME_LEN + 1)));
    }
}

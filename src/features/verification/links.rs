//! The links in messages (built from `BETTER_AUTH_URL`) and the redirects their endpoints answer
//! with. Callback URLs reach these functions only after the trusted-origin check
//! (`net::origin::is_allowed_redirect`).

use crate::kernel::cookies::encode_uri_component;
use crate::net::origin::Origin;

/// `{base}/verify-email?token=…&callbackURL=…` (`/` when no callback was given), as better-auth.
pub fn verify_email(base_url: &str, token: &str, callback: Option<&str>) -> String {
    format!(
        "{base_url}/verify-email?token={}&callbackURL={}",
        encode_uri_component(token),
        encode_uri_component(callback.filter(|c| !c.is_empty()).unwrap_or("/"))
    )
}

/// `{base}/reset-password/{token}?callbackURL=…` (empty when no `redirectTo` was given).
pub fn reset_password(base_url: &str, token: &str, redirect_to: Option<&str>) -> String {
    format!(
        "{base_url}/reset-password/{}?callbackURL={}",
        encode_uri_component(token),
        encode_uri_component(redirect_to.unwrap_or(""))
    )
}

/// A checked callback as an absolute URL: relative paths resolve against the service's origin.
pub fn absolute(base_origin: &Origin, callback: &str) -> String {
    if callback.starts_with('/') {
        format!("{base_origin}{callback}")
    } else {
        callback.to_string()
    }
}

/// Adds (or replaces) one query parameter, keeping any fragment last.
pub fn with_param(url: &str, name: &str, value: &str) -> String {
    let (rest, fragment) = match url.find('#') {
        Some(i) => url.split_at(i),
        None => (url, ""),
    };
    let (path, query) = match rest.split_once('?') {
        Some((p, q)) => (p, q),
        None => (rest, ""),
    };
    let mut pairs: Vec<String> = query
        .split('&')
        .filter(|p| !p.is_empty() && p.split('=').next() != Some(name))
        .map(str::to_string)
        .collect();
    pairs.push(format!("{name}={}", encode_uri_component(value)));
    format!("{path}?{}{fragment}", pairs.join("&"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "https://auth.example.com/api/auth";

    #[test]
    fn verification_links_encode_the_callback() {
        assert_eq!(
            verify_email(BASE, "tok123", Some("https://app.example.com/welcome?a=1&b=2")),
            "https://auth.example.com/api/auth/verify-email?token=tok123&callbackURL=https%3A%2F%2Fapp.example.com%2Fwelcome%3Fa%3D1%26b%3D2"
        );
        assert_eq!(
            verify_email(BASE, "tok123", None),
            "https://auth.example.com/api/auth/verify-email?token=tok123&callbackURL=%2F"
        );
    }

    #[test]
    fn reset_links_put_the_token_in_the_path() {
        assert_eq!(
            reset_password(BASE, "r3set", Some("/reset")),
            "https://auth.example.com/api/auth/reset-password/r3set?callbackURL=%2Freset"
        );
        assert_eq!(
            reset_password(BASE, "r3set", None),
            "https://auth.example.com/api/auth/reset-password/r3set?callbackURL="
        );
    }

    #[test]
    fn redirect_parameters_are_appended_before_the_fragment() {
        assert_eq!(
            with_param("https://app.test/reset", "token", "abc"),
            "https://app.test/reset?token=abc"
        );
        assert_eq!(
            with_param(
                "https://app.test/reset?lang=en#form",
                "error",
                "INVALID_TOKEN"
            ),
            "https://app.test/reset?lang=en&error=INVALID_TOKEN#form"
        );
        assert_eq!(
            with_param("https://app.test/r?error=OLD&x=1", "error", "INVALID_TOKEN"),
            "https://app.test/r?x=1&error=INVALID_TOKEN"
        );
        assert_eq!(with_param("/done", "token", "a b"), "/done?token=a%20b");
    }

    #[test]
    fn relative_callbacks_resolve_against_the_service_origin() {
        let origin = Origin::parse("https://auth.example.com").unwrap();
        assert_eq!(
            absolute(&origin, "/reset?x=1"),
            "https://auth.example.com/reset?x=1"
        );
        assert_eq!(
            absolute(&origin, "https://app.example.com/r"),
            "https://app.example.com/r"
        );
    }
}

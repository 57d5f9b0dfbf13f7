//! better-auth's cookies: names (with the `__Secure-` prefix on https), signed values, and
//! `Set-Cookie` lines in better-call's attribute order.

use crate::crypto::hmac::{sign_value, verify_signed_value};
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

pub const PREFIX: &str = "better-auth";
pub const SESSION_TOKEN: &str = "session_token";
pub const SESSION_DATA: &str = "session_data";
pub const DONT_REMEMBER: &str = "dont_remember";

/// What JavaScript's `encodeURIComponent` leaves alone.
const URI_COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'!')
    .remove(b'~')
    .remove(b'*')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')');

pub fn encode_uri_component(s: &str) -> String {
    utf8_percent_encode(s, URI_COMPONENT).to_string()
}

pub fn name(secure: bool, short: &str) -> String {
    format!("{}{PREFIX}.{short}", if secure { "__Secure-" } else { "" })
}

/// Cookie header pairs; the first occurrence of a name wins.
pub fn parse(header: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for part in header.split(';') {
        let Some((name, value)) = part.split_once('=') else {
            continue;
        };
        let name = name.trim_matches([' ', '\t']);
        let value = value.trim_matches([' ', '\t']);
        let value = value
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .unwrap_or(value);
        if name.is_empty() || out.iter().any(|(n, _)| n == name) {
            continue;
        }
        out.push((name.to_string(), value.to_string()));
    }
    out
}

/// The signed value of a cookie (URL-decoded), if its signature verifies.
pub fn verified_value(secret: &[u8], raw: &str) -> Option<String> {
    let decoded = if raw.contains('%') {
        percent_decode_str(raw).decode_utf8().ok()?.into_owned()
    } else {
        raw.to_string()
    };
    verify_signed_value(secret, &decoded).map(str::to_string)
}

pub fn signed(secret: &[u8], value: &str) -> String {
    sign_value(secret, value)
}

pub struct SetCookie<'a> {
    pub name: &'a str,
    pub value: &'a str,
    pub max_age: Option<i64>,
    pub secure: bool,
}

impl SetCookie<'_> {
    /// `name=value; Max-Age=N; Path=/; HttpOnly; Secure; SameSite=Lax`
    pub fn header(&self) -> String {
        let mut out = format!("{}={}", self.name, self.value);
        if let Some(age) = self.max_age {
            out.push_str(&format!("; Max-Age={age}"));
        }
        out.push_str("; Path=/; HttpOnly");
        if self.secure {
            out.push_str("; Secure");
        }
        out.push_str("; SameSite=Lax");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"better-auth-secret-that-is-long-enough-for-validation-test";

    #[test]
    fn session_cookie_value_is_url_encoded_like_better_auth() {
        let value = encode_uri_component(&signed(SECRET, "Ab3dEfGhIjKlMnOpQrStUvWxYz012345"));
        assert_eq!(
            value,
            "Ab3dEfGhIjKlMnOpQrStUvWxYz012345.Tz%2FqpI4HwWxGKiPwgzm5ev9Arcv71jN2egNFBl3ksnw%3D"
        );
        assert_eq!(
            verified_value(SECRET, &value).as_deref(),
            Some("Ab3dEfGhIjKlMnOpQrStUvWxYz012345")
        );
    }

    #[test]
    fn cookie_names_carry_the_secure_prefix_on_https() {
        assert_eq!(name(false, SESSION_TOKEN), "better-auth.session_token");
        assert_eq!(
            name(true, SESSION_TOKEN),
            "__Secure-better-auth.session_token"
        );
    }

    #[test]
    fn parsing_keeps_the_first_occurrence_and_strips_quotes() {
        let jar = parse(" a=1; b=\"two\"; a=3;;junk; c=");
        assert_eq!(
            jar,
            vec![
                ("a".into(), "1".into()),
                ("b".into(), "two".into()),
                ("c".into(), "".into())
            ]
        );
    }

    #[test]
    fn set_cookie_attributes_follow_better_call_order() {
        let c = SetCookie {
            name: "better-auth.session_token",
            value: "v",
            max_age: Some(604_800),
            secure: false,
        };
        assert_eq!(
            c.header(),
            "better-auth.session_token=v; Max-Age=604800; Path=/; HttpOnly; SameSite=Lax"
        );
        let s = SetCookie {
            name: "__Secure-x",
            value: "",
            max_age: Some(0),
            secure: true,
        };
        assert_eq!(
            s.header(),
            "__Secure-x=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Lax"
        );
    }
}

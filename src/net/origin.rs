//! Origins and redirect targets: parsing, trusted-origin patterns, and the safe-URL rule for
//! `callbackURL`-style values (relative paths, or absolute URLs on a trusted origin).
//!
//! Deliberately strict: anything with user-info, backslashes, control characters or an unusual
//! scheme is not an origin, so look-alikes such as `https://trusted@evil` never pass.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    scheme: &'static str,
    host: String,
    port: Option<u16>,
}

impl Origin {
    pub fn is_https(&self) -> bool {
        self.scheme == "https"
    }

    pub fn host(&self) -> &str {
        &self.host
    }

    /// `localhost`, or a loopback IP address (`127.0.0.0/8`, `[::1]`), decided by parsing the host:
    /// `127.0.0.1.evil.test` is a name like any other.
    pub fn is_loopback(&self) -> bool {
        if self.host == "localhost" {
            return true;
        }
        match self
            .host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
        {
            Some(v6) => v6
                .parse::<std::net::Ipv6Addr>()
                .is_ok_and(|ip| ip.is_loopback()),
            None => self
                .host
                .parse::<std::net::Ipv4Addr>()
                .is_ok_and(|ip| ip.is_loopback()),
        }
    }

    /// Parses an origin (`scheme://host[:port]`, an optional trailing `/` allowed).
    pub fn parse(s: &str) -> Option<Origin> {
        let (origin, path) = Origin::parse_url(s)?;
        (path.is_empty() || path == "/").then_some(origin)
    }

    /// Splits an absolute http(s) URL into its origin and the rest (path, query, fragment).
    pub fn parse_url(s: &str) -> Option<(Origin, &str)> {
        if s.bytes().any(|b| b <= b' ' || b == 0x7f || b == b'\\') {
            return None;
        }
        let (scheme, rest) = s.split_once("://")?;
        let scheme = match scheme.to_ascii_lowercase().as_str() {
            "http" => "http",
            "https" => "https",
            _ => return None,
        };
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, tail) = rest.split_at(end);
        let (host, port) = split_host_port(authority)?;
        let default_port = if scheme == "https" { 443 } else { 80 };
        Some((
            Origin {
                scheme,
                host,
                port: port.filter(|&p| p != default_port),
            },
            tail,
        ))
    }
}

fn split_host_port(authority: &str) -> Option<(String, Option<u16>)> {
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (addr, after) = v6.split_once(']')?;
        if addr.is_empty()
            || !addr
                .bytes()
                .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
        {
            return None;
        }
        (
            format!("[{}]", addr.to_ascii_lowercase()),
            after
                .strip_prefix(':')
                .map(Some)
                .unwrap_or((!after.is_empty()).then_some("")),
        )
    } else {
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        };
        let valid = !host.is_empty()
            && host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_');
        if !valid {
            return None;
        }
        (host.to_ascii_lowercase(), port)
    };
    let port = match port {
        None => None,
        Some(p) if !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()) => {
            Some(p.parse().ok()?)
        }
        Some(_) => return None,
    };
    Some((host, port))
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}", self.scheme, self.host)?;
        if let Some(port) = self.port {
            write!(f, ":{port}")?;
        }
        Ok(())
    }
}

/// An entry of the trusted-origin list: an exact origin, or a host pattern with `*` wildcards
/// (`https://*.example.com`; without a scheme it matches http and https).
#[derive(Debug, Clone, PartialEq)]
pub enum OriginPattern {
    Exact(Origin),
    Wildcard {
        scheme: Option<&'static str>,
        host: String,
        port: Option<u16>,
    },
}

impl OriginPattern {
    pub fn parse(s: &str) -> Option<OriginPattern> {
        if !s.contains('*') {
            return Origin::parse(s).map(OriginPattern::Exact);
        }
        // Parse with the wildcards replaced by a letter, then put the pattern back in the host.
        let with_scheme = if s.contains("://") {
            s.to_string()
        } else {
            format!("http://{s}")
        };
        let Origin { scheme, port, .. } = Origin::parse(&with_scheme.replace('*', "w"))?;
        let host_start = with_scheme.find("://")? + 3;
        let host_part = &with_scheme[host_start..];
        let host = host_part.split([':', '/']).next()?.to_ascii_lowercase();
        Some(OriginPattern::Wildcard {
            scheme: s.contains("://").then_some(scheme),
            host,
            port,
        })
    }

    /// A wildcard that would trust hosts nobody in particular controls: `*`, `*.com`, or
    /// `*example.com` (which matches `evilexample.com`). After its last `*`, a pattern must name a
    /// domain of at least two labels, starting at a label boundary.
    pub fn is_too_broad(&self) -> bool {
        let OriginPattern::Wildcard { host, .. } = self else {
            return false;
        };
        let suffix = host.rsplit('*').next().unwrap_or_default();
        match suffix.strip_prefix('.') {
            Some(domain) => domain.split('.').filter(|l| !l.is_empty()).count() < 2,
            None => true,
        }
    }

    pub fn matches(&self, origin: &Origin) -> bool {
        match self {
            OriginPattern::Exact(o) => o == origin,
            OriginPattern::Wildcard { scheme, host, port } => {
                scheme.is_none_or(|s| s == origin.scheme)
                    && *port == origin.port
                    && glob_match(host, &origin.host)
            }
        }
    }
}

/// `*` matches any run of characters, everything else matches itself (host patterns in trusted
/// origins, path patterns in rate-limit rules).
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    let mut pieces: Vec<&str> = parts.collect();
    let Some(last) = pieces.pop() else {
        return rest.is_empty();
    };
    for piece in pieces {
        match rest.find(piece) {
            Some(i) => rest = &rest[i + piece.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

/// A same-site relative path that cannot be turned into another origin by a browser.
pub fn is_safe_relative_path(s: &str) -> bool {
    let lower = s.to_ascii_lowercase();
    s.starts_with('/')
        && !s.starts_with("//")
        && !s.bytes().any(|b| b < b' ' || b == 0x7f || b == b'\\')
        && !lower.contains("%2f")
        && !lower.contains("%5c")
}

/// Whether a redirect target is acceptable: a safe relative path, or an absolute URL on a
/// trusted origin.
pub fn is_allowed_redirect(target: &str, is_trusted: impl Fn(&Origin) -> bool) -> bool {
    if target.starts_with('/') {
        return is_safe_relative_path(target);
    }
    match Origin::parse_url(target) {
        Some((origin, rest)) => {
            is_trusted(&origin) && (rest.is_empty() || rest.starts_with(['/', '?', '#']))
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trusted(o: &Origin) -> bool {
        ["https://app.example.com", "http://127.0.0.1:5173"]
            .iter()
            .any(|t| Origin::parse(t).as_ref() == Some(o))
    }

    #[test]
    fn origins_normalise_case_and_default_ports() {
        assert_eq!(
            Origin::parse("HTTPS://App.Example.com:443")
                .unwrap()
                .to_string(),
            "https://app.example.com"
        );
        assert_eq!(
            Origin::parse("http://127.0.0.1:8787/").unwrap().to_string(),
            "http://127.0.0.1:8787"
        );
        assert_eq!(
            Origin::parse("http://[::1]:8080").unwrap().to_string(),
            "http://[::1]:8080"
        );
    }

    #[test]
    fn non_origins_are_rejected() {
        for bad in [
            "null",
            "",
            "app.example.com",
            "ftp://x.test",
            "https://user@x.test",
            "https://x.test:99999",
            "https://x.test/path",
            "javascript:alert(1)",
            "https://x .test",
            "https:\\\\x.test",
        ] {
            assert_eq!(Origin::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn wildcard_patterns_match_subdomains_only() {
        let p = OriginPattern::parse("https://*.example.com").unwrap();
        assert!(p.matches(&Origin::parse("https://app.example.com").unwrap()));
        assert!(p.matches(&Origin::parse("https://a.b.example.com").unwrap()));
        assert!(!p.matches(&Origin::parse("https://example.com").unwrap()));
        assert!(!p.matches(&Origin::parse("http://app.example.com").unwrap()));
        assert!(!p.matches(&Origin::parse("https://app.example.com.evil.test").unwrap()));
        assert!(!p.matches(&Origin::parse("https://evilexample.com").unwrap()));
        let schemeless = OriginPattern::parse("*.example.com").unwrap();
        assert!(schemeless.matches(&Origin::parse("http://app.example.com").unwrap()));
    }

    #[test]
    fn wildcards_that_match_every_host_are_too_broad() {
        for broad in [
            "*",
            "https://*",
            "http://*:8080",
            "*.com",
            "https://*.com",
            "*example.com",
            "*.*",
            "https://app.*",
        ] {
            let p = OriginPattern::parse(broad);
            assert!(
                p.as_ref().is_none_or(OriginPattern::is_too_broad),
                "{broad}"
            );
        }
        for fine in [
            "https://*.example.com",
            "*.example.co.uk",
            "https://app-*.example.com",
            "https://app.example.com",
        ] {
            assert!(
                !OriginPattern::parse(fine).unwrap().is_too_broad(),
                "{fine}"
            );
        }
    }

    #[test]
    fn loopback_is_decided_by_parsing_the_host() {
        for lo in [
            "http://localhost:3000",
            "http://127.0.0.1",
            "http://127.8.9.10:1",
            "http://[::1]:8787",
        ] {
            assert!(Origin::parse(lo).unwrap().is_loopback(), "{lo}");
        }
        for remote in [
            "http://127.0.0.1.evil.test",
            "http://127.evil.test",
            "http://localhost.evil.test",
            "http://10.0.0.1",
            "http://[::2]",
        ] {
            assert!(!Origin::parse(remote).unwrap().is_loopback(), "{remote}");
        }
    }

    #[test]
    fn exact_patterns_do_not_match_lookalikes() {
        let p = OriginPattern::parse("https://app.example.com").unwrap();
        for other in [
            "https://app.example.com.evil.com",
            "http://app.example.com",
            "https://app.example.com:8443",
            "https://evilapp.example.com",
        ] {
            assert!(!p.matches(&Origin::parse(other).unwrap()), "{other}");
        }
    }

    #[test]
    fn redirect_targets_follow_the_trusted_origin_policy() {
        for good in [
            "/",
            "/dashboard?x=1&y=2",
            "https://app.example.com",
            "https://app.example.com/welcome#top",
            "http://127.0.0.1:5173/cb",
        ] {
            assert!(is_allowed_redirect(good, trusted), "{good}");
        }
        let attacks = [
            "//evil.com",
            "/\\evil.com",
            "\\\\evil.com",
            "https:evil.com",
            "https://app.example.com@evil.com",
            "https://evil.com/app.example.com",
            "javascript:alert(1)",
            "data:text/html,x",
            "%2F%2Fevil.com",
            "/%2F%2Fevil.com",
            "/%5Cevil.com",
            "JAVASCRIPT:alert(1)",
            "https://evil.com",
            "/path\nx",
            "",
            "https://app.example.com.evil.com/",
            "http://app.example.com",
            "evil.com",
        ];
        for bad in attacks {
            assert!(!is_allowed_redirect(bad, trusted), "{bad}");
        }
    }
}

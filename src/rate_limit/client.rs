//! Whom a request counts against: the client's IP address from `cf-connecting-ip` (the only
//! header Cloudflare sets and a client cannot forge), or from the headers `IP_ADDRESS_HEADERS`
//! names. IPv6 addresses count per /64 (one customer's block), IPv4-mapped ones as IPv4.

use std::net::{IpAddr, Ipv6Addr};

/// The bucket of requests that carry no usable address: they all share one, per path, so that a
/// missing header limits harder rather than not at all.
pub const NO_IP: &str = "no-trusted-ip";

/// The client key for the first of `headers` that holds an address. With a comma-separated chain
/// (`x-forwarded-for`), the last entry counts: the one the closest proxy appended, which the
/// client cannot choose.
pub fn client_key<'a>(headers: &[String], get: impl Fn(&str) -> Option<&'a str>) -> Option<String> {
    headers.iter().find_map(|name| {
        let value = get(name)?;
        let last = value.rsplit(',').next().unwrap_or(value).trim();
        normalize(last)
    })
}

/// An address as its bucket: IPv4 as is, IPv4-mapped IPv6 as IPv4, other IPv6 as its /64.
pub fn normalize(text: &str) -> Option<String> {
    let ip: IpAddr = text
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse()
        .ok()?;
    Some(match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{}/64", Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(headers: &[&str], pairs: &[(&'static str, &'static str)]) -> Option<String> {
        let headers: Vec<String> = headers.iter().map(|h| h.to_string()).collect();
        client_key(&headers, |name| {
            pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| *v)
        })
    }

    #[test]
    fn ipv4_counts_as_is_and_mapped_ipv6_as_ipv4() {
        assert_eq!(normalize("203.0.113.7").as_deref(), Some("203.0.113.7"));
        assert_eq!(
            normalize("::ffff:203.0.113.7").as_deref(),
            Some("203.0.113.7")
        );
    }

    #[test]
    fn ipv6_counts_per_64_block() {
        let a = normalize("2001:db8:1:2:aaaa::1").unwrap();
        assert_eq!(a, "2001:db8:1:2::/64");
        assert_eq!(
            normalize("2001:0db8:0001:0002:ffff:ffff:ffff:ffff").unwrap(),
            a
        );
        assert_ne!(normalize("2001:db8:1:3::1").unwrap(), a);
        assert_eq!(normalize("[2001:db8:1:2::9]").unwrap(), a);
    }

    #[test]
    fn garbage_is_no_address() {
        for bad in ["", "unknown", "1.2.3", "evil.test", "1.2.3.4:80"] {
            assert_eq!(normalize(bad), None, "{bad}");
        }
    }

    #[test]
    fn only_the_configured_headers_count_and_chains_use_their_last_entry() {
        let pairs = [
            ("cf-connecting-ip", "198.51.100.1"),
            ("x-forwarded-for", "1.1.1.1, 198.51.100.9"),
        ];
        assert_eq!(
            key(&["cf-connecting-ip"], &pairs).as_deref(),
            Some("198.51.100.1")
        );
        assert_eq!(
            key(&["x-forwarded-for"], &pairs).as_deref(),
            Some("198.51.100.9")
        );
        assert_eq!(
            key(&["cf-connecting-ip"], &[("x-forwarded-for", "1.1.1.1")]),
            None
        );
        assert_eq!(
            key(&["x-real-ip", "cf-connecting-ip"], &pairs).as_deref(),
            Some("198.51.100.1")
        );
    }
}

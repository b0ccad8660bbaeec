//! The shape of a v3 onion address, checked wherever one is read (configuration,
//! files arti writes), by one rule; and which `Host` headers a request may carry.

use std::net::IpAddr;

/// Whether `text` is a v3 onion service host name: 56 lower-case base32 characters
/// followed by `.onion`.
pub fn is_v3_onion_host(text: &str) -> bool {
    text.strip_suffix(".onion").is_some_and(|host| {
        host.len() == 56 && host.bytes().all(|b| b.is_ascii_lowercase() || (b'2'..=b'7').contains(&b))
    })
}

/// Whether a request's `Host` header names this interface: its onion address (port 80
/// or none), a loopback name or address (any port), or one of the non-loopback
/// addresses the administrator exposed it on. Anything else is a request a browser
/// was tricked into sending to a name that now resolves here (DNS rebinding).
pub fn is_expected_host(host: &str, onion: Option<&str>, exposed: &[IpAddr]) -> bool {
    let host = host.trim().to_ascii_lowercase();
    let (name, port) = split_port(&host);
    if port.is_some_and(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit())) {
        return false;
    }
    if onion.is_some_and(|o| name == o.to_ascii_lowercase()) && port.is_none_or(|p| p == "80") {
        return true;
    }
    if name == "localhost" {
        return true;
    }
    let literal = name.strip_prefix('[').and_then(|n| n.strip_suffix(']')).unwrap_or(name);
    literal.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback() || exposed.contains(&ip))
}

/// `name:port` into its parts; bracketed IPv6 literals keep their brackets.
fn split_port(host: &str) -> (&str, Option<&str>) {
    if host.starts_with('[') {
        return match host.find(']') {
            Some(end) if host[end + 1..].starts_with(':') => (&host[..=end], Some(&host[end + 2..])),
            Some(end) if end + 1 == host.len() => (host, None),
            _ => (host, Some("")),
        };
    }
    match host.rsplit_once(':') {
        Some((name, port)) => (name, Some(port)),
        None => (host, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_our_names_are_expected_hosts() {
        let onion = format!("{}.onion", "b".repeat(56));
        let ours = |h: &str| is_expected_host(h, Some(&onion), &[]);
        for host in ["127.0.0.1", "127.0.0.1:8080", "localhost:8081", "LOCALHOST", "[::1]:8080", "[::1]", "127.1.2.3"] {
            assert!(ours(host), "{host}");
        }
        assert!(ours(&onion) && ours(&format!("{onion}:80")) && ours(&onion.to_ascii_uppercase()));
        for host in [
            "attacker.example",
            "attacker.example:8080",
            &format!("{onion}:8080"),
            &format!("x{onion}"),
            &format!("{}.onion", "c".repeat(56)),
            "192.168.1.5:8080",
            "127.0.0.1:",
            "127.0.0.1:80x",
            "[::1",
            "",
        ] {
            assert!(!ours(host), "{host:?}");
        }
        assert!(!is_expected_host(&onion, None, &[]), "no onion known yet");
        let exposed: IpAddr = "192.168.1.5".parse().unwrap();
        assert!(is_expected_host("192.168.1.5:8080", None, &[exposed]));
    }

    #[test]
    fn only_v3_host_names_pass() {
        assert!(is_v3_onion_host(&format!("{}.onion", "a2".repeat(28))));
        assert!(!is_v3_onion_host(&format!("{}.onion", "a".repeat(16))), "v2 is gone");
        assert!(!is_v3_onion_host(&format!("{}.onion", "A".repeat(56))));
        assert!(!is_v3_onion_host(&format!("{}.onion", "1".repeat(56))));
        assert!(!is_v3_onion_host(&format!("http://{}.onion", "a".repeat(56))));
        assert!(!is_v3_onion_host(&"a".repeat(56)));
    }
}

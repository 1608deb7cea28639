//! Which API host a token may go to: EEN names it (`httpsBaseUrl`), and a poisoned answer
//! must not be able to send the account's bearer token anywhere else.

use std::net::IpAddr;

use url::{Host, Url};

use crate::een::Error;

/// The base URL (`scheme://host:port/`) of the API host EEN named, if a token may go there:
/// a host inside the auth host's domain (`auth.example.com` allows `example.com` and its
/// subdomains), or, for a loopback auth host (a local simulator), a loopback host. The scheme
/// follows the auth URL's: `http://` only when the auth host itself is plain HTTP.
pub(crate) fn api_base(auth_url: &Url, hostname: &str, port: u16) -> Result<Url, Error> {
    let refused = || Error::Decode("EEN named an API host outside its domain".into());
    let scheme = if auth_url.scheme() == "http" {
        "http"
    } else {
        "https"
    };
    // Parsed as a URL authority, so a name smuggling a path, user info or port is refused.
    if hostname.is_empty() || hostname.contains(['/', '@', ':', '?', '#', '\\', ' ']) {
        return Err(refused());
    }
    let url = Url::parse(&format!("{scheme}://{hostname}:{port}/")).map_err(|_| refused())?;
    let allowed = match (auth_url.host(), url.host()) {
        (Some(auth), Some(api)) if is_loopback(&auth) => is_loopback(&api),
        (Some(Host::Domain(auth)), Some(Host::Domain(api))) => in_domain(auth, api),
        _ => false,
    };
    if allowed { Ok(url) } else { Err(refused()) }
}

fn is_loopback(host: &Host<&str>) -> bool {
    match host {
        Host::Domain(name) => name.eq_ignore_ascii_case("localhost"),
        Host::Ipv4(ip) => IpAddr::V4(*ip).is_loopback(),
        Host::Ipv6(ip) => IpAddr::V6(*ip).is_loopback(),
    }
}

/// Whether `api` is the auth host's domain or inside it. The domain is the auth host without
/// its first label (`auth.eagleeyenetworks.com` → `eagleeyenetworks.com`); a two-label auth
/// host is its own domain.
fn in_domain(auth: &str, api: &str) -> bool {
    let auth = auth.to_ascii_lowercase();
    let api = api.to_ascii_lowercase();
    let domain = match auth.split_once('.') {
        Some((_, rest)) if rest.contains('.') => rest,
        _ => auth.as_str(),
    };
    api == domain
        || api
            .strip_suffix(domain)
            .is_some_and(|sub| sub.len() > 1 && sub.ends_with('.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn tokens_go_only_to_hosts_in_the_auth_hosts_domain() {
        let auth = url("https://auth.eagleeyenetworks.com");
        let ok = api_base(&auth, "api.c001.eagleeyenetworks.com", 443).unwrap();
        assert_eq!(ok.as_str(), "https://api.c001.eagleeyenetworks.com/");
        assert_eq!(
            api_base(&auth, "API.C013.EagleEyeNetworks.com", 8443)
                .unwrap()
                .as_str(),
            "https://api.c013.eagleeyenetworks.com:8443/"
        );
        for poisoned in [
            "evil.example",
            "eagleeyenetworks.com.evil.example",
            "evileagleeyenetworks.com",
            "api.c001.eagleeyenetworks.com/x",
            "user@api.c001.eagleeyenetworks.com",
            "api.c001.eagleeyenetworks.com:1",
            "127.0.0.1",
            "",
        ] {
            assert!(api_base(&auth, poisoned, 443).is_err(), "{poisoned:?}");
        }
    }

    #[test]
    fn a_plain_http_loopback_auth_host_allows_loopback_over_http_only() {
        let auth = url("http://127.0.0.1:9000");
        assert_eq!(
            api_base(&auth, "127.0.0.1", 9001).unwrap().as_str(),
            "http://127.0.0.1:9001/"
        );
        assert!(api_base(&auth, "localhost", 9001).is_ok());
        assert!(api_base(&auth, "api.eagleeyenetworks.com", 443).is_err());
        assert!(api_base(&auth, "10.0.0.1", 443).is_err());
        // A simulator under a made-up domain over http: still the domain rule, over http.
        let auth = url("http://auth.een-demo.invalid:9000");
        assert_eq!(
            api_base(&auth, "api.c000.een-demo.invalid", 9000)
                .unwrap()
                .as_str(),
            "http://api.c000.een-demo.invalid:9000/"
        );
    }
}

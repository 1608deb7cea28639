//! Reverse proxies the gallery trusts (`AUTH_TRUSTED_PROXIES`): only a request from one of
//! them may name its user in a header (`AUTH=proxy`) or its client in `X-Forwarded-For`.
//! From anywhere else those headers are ignored, whatever they say.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use axum::http::HeaderMap;
use ipnet::IpNet;

/// Address blocks of trusted reverse proxies.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

/// A list entry that is neither an address nor a CIDR block.
#[derive(Debug, thiserror::Error)]
#[error("not an IP address or CIDR block: {0:?}")]
pub struct BadProxy(String);

impl FromStr for TrustedProxies {
    type Err = BadProxy;

    /// A comma- or space-separated list of addresses (`10.0.0.5`, `::1`) and blocks
    /// (`10.0.0.0/8`, `fd00::/8`).
    fn from_str(s: &str) -> Result<Self, BadProxy> {
        s.split([',', ' '])
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
            .map(|entry| {
                entry
                    .parse::<IpNet>()
                    .or_else(|_| entry.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| BadProxy(entry.to_owned()))
            })
            .collect::<Result<_, _>>()
            .map(TrustedProxies)
    }
}

impl fmt::Display for TrustedProxies {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list: Vec<String> = self.0.iter().map(ToString::to_string).collect();
        f.write_str(&list.join(","))
    }
}

impl TrustedProxies {
    /// Whether none is trusted.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `address` is a trusted proxy.
    pub fn trusts(&self, address: IpAddr) -> bool {
        let address = address.to_canonical();
        self.0.iter().any(|net| net.contains(&address))
    }

    /// The client's address: the connection's peer, or, when the peer is a trusted proxy,
    /// the last address in `X-Forwarded-For` that is not a trusted proxy (proxies append
    /// the address they saw, so only the entries written by trusted ones are believed).
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let mut client = peer.to_canonical();
        if !self.trusts(client) {
            return client;
        }
        let hops = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .collect::<Vec<_>>();
        for hop in hops.into_iter().rev() {
            match hop.parse::<IpAddr>() {
                Ok(address) => {
                    client = address.to_canonical();
                    if !self.trusts(client) {
                        break;
                    }
                }
                // A garbled entry: nothing before it can be believed.
                Err(_) => break,
            }
        }
        client
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn addresses_and_blocks_parse_and_garbage_does_not() {
        let trusted: TrustedProxies = "10.0.0.0/8, 127.0.0.1 ::1,fd00::/8".parse().unwrap();
        assert!(trusted.trusts(ip("10.1.2.3")));
        assert!(trusted.trusts(ip("127.0.0.1")));
        assert!(trusted.trusts(ip("::ffff:127.0.0.1")), "v4-mapped is v4");
        assert!(trusted.trusts(ip("fd12::1")));
        assert!(!trusted.trusts(ip("127.0.0.2")));
        assert!(!trusted.trusts(ip("192.0.2.1")));
        assert!("".parse::<TrustedProxies>().unwrap().is_empty());
        assert!("10.0.0.0/33".parse::<TrustedProxies>().is_err());
        assert!("localhost".parse::<TrustedProxies>().is_err());
    }

    #[test]
    fn forwarded_for_is_believed_only_as_far_as_trusted_proxies_wrote_it() {
        let trusted: TrustedProxies = "10.0.0.0/8".parse().unwrap();
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-forwarded-for",
            HeaderValue::from_static("6.6.6.6, 192.0.2.9, 10.0.0.2"),
        );
        assert_eq!(trusted.client(ip("10.0.0.1"), &headers), ip("192.0.2.9"));
        assert_eq!(
            trusted.client(ip("198.51.100.4"), &headers),
            ip("198.51.100.4"),
            "an untrusted peer's header is ignored"
        );
        assert_eq!(
            trusted.client(ip("10.0.0.1"), &HeaderMap::new()),
            ip("10.0.0.1")
        );
        headers.insert(
            "x-forwarded-for",
            HeaderValue::from_static("junk, 10.0.0.3"),
        );
        assert_eq!(trusted.client(ip("10.0.0.1"), &headers), ip("10.0.0.3"));
    }
}

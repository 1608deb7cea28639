//! HTTP to EEN: one connection pool, the cap on requests in flight, body limits, and
//! redirects followed only within EEN's domain.

use reqwest::header::{COOKIE, HeaderValue, LOCATION};
use reqwest::{RequestBuilder, StatusCode};
use url::Url;

use super::ClientConfig;
use crate::een::Error;
pub(super) use crate::een::http::Reply;
use crate::een::http::{Pool, PoolSettings};

/// Asset requests may be redirected to another archiver (spec §4.5, 301).
const MAX_REDIRECTS: usize = 3;

/// The HTTP side of the client. Shared by every clone of the client.
pub(super) struct Transport {
    /// The pool and its cap on requests in flight.
    pub(super) pool: Pool,
    /// The login host, which decides which redirect targets are EEN's.
    base_url: Url,
}

impl Transport {
    /// The pool and limits `config` asks for.
    pub(super) fn new(config: &ClientConfig) -> Result<Self, Error> {
        let pool = Pool::new(&PoolSettings {
            connect_timeout: config.connect_timeout,
            request_timeout: config.request_timeout,
            user_agent: &config.user_agent,
            resolve: &config.resolve,
            max_in_flight: config.max_in_flight,
        })?;
        Ok(Self {
            pool,
            base_url: config.base_url.clone(),
        })
    }

    /// GET `url` with the session cookie, following redirects within EEN's domain.
    pub(super) async fn get(&self, mut url: Url, cookie: &HeaderValue) -> Result<Reply, Error> {
        for _ in 0..=MAX_REDIRECTS {
            let request = self
                .pool
                .http
                .get(url.clone())
                .header(COOKIE, cookie.clone());
            let reply = self.send(request).await?;
            if !reply.status.is_redirection() || reply.status == StatusCode::NOT_MODIFIED {
                return Ok(reply);
            }
            let status = reply.status.as_u16();
            let next = reply
                .headers
                .get(LOCATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|location| url.join(location).ok());
            match next {
                Some(next) if self.may_follow(&next, &url) => {
                    tracing::debug!(status, host = next.host_str(), "following EEN redirect");
                    url = next;
                }
                _ => {
                    tracing::warn!(status, "not following a redirect outside EEN");
                    return Err(Error::Upstream(status));
                }
            }
        }
        Err(Error::Decode("too many redirects".into()))
    }

    /// Whether a redirect target is one of EEN's hosts, so the session cookie may go there.
    pub(super) fn may_follow(&self, next: &Url, from: &Url) -> bool {
        let base = &self.base_url;
        let scheme_ok = match base.scheme() {
            "https" => next.scheme() == "https",
            _ => matches!(next.scheme(), "http" | "https"),
        };
        let Some(host) = next.host_str() else {
            return false;
        };
        let same_host = Some(host) == from.host_str() || Some(host) == base.host_str();
        let in_domain = base
            .host_str()
            .and_then(|h| h.strip_prefix("login."))
            .and_then(|domain| host.strip_suffix(domain))
            .is_some_and(|sub| sub.len() > 1 && sub.ends_with('.'));
        scheme_ok && (same_host || in_domain)
    }

    /// Sends one request, holding a slot of the global in-flight cap until its body is read.
    pub(super) async fn send(&self, request: RequestBuilder) -> Result<Reply, Error> {
        self.pool.send(request).await
    }
}

/// `base` + relative `path` + query.
pub(super) fn endpoint(base: &Url, path: &str, query: &[(&str, &str)]) -> Result<Url, Error> {
    let mut url = base
        .join(path)
        .map_err(|_| Error::Config("the EEN base URL cannot take a path"))?;
    if !query.is_empty() {
        url.query_pairs_mut().extend_pairs(query);
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn endpoints_join_paths_and_queries() {
        let base = url("http://login.een.test:9000/");
        assert_eq!(
            endpoint(&base, "g/device/list", &[]).unwrap().as_str(),
            "http://login.een.test:9000/g/device/list"
        );
        let u = endpoint(
            &base,
            "asset/list/image",
            &[
                ("id", "1000c4ae"),
                ("start_timestamp", "now"),
                ("count", "-20"),
            ],
        )
        .unwrap();
        assert_eq!(
            u.as_str(),
            "http://login.een.test:9000/asset/list/image?id=1000c4ae&start_timestamp=now&count=-20"
        );
    }

    #[test]
    fn redirects_are_followed_only_within_een() {
        let config = ClientConfig::new(url("https://login.eagleeyenetworks.com"), "u", "p");
        let transport = Transport::new(&config).unwrap();
        let from = url("https://c000.eagleeyenetworks.com/asset/asset/image.jpeg");
        let ok = [
            "https://c001.eagleeyenetworks.com/asset/asset/image.jpeg",
            "https://login.eagleeyenetworks.com/x",
            "https://c000.eagleeyenetworks.com:8443/x",
        ];
        for to in ok {
            assert!(transport.may_follow(&url(to), &from), "{to}");
        }
        let refused = [
            "http://c001.eagleeyenetworks.com/x",
            "https://eagleeyenetworks.com.evil.test/x",
            "https://evileagleeyenetworks.com/x",
            "https://example.com/x",
        ];
        for to in refused {
            assert!(!transport.may_follow(&url(to), &from), "{to}");
        }
    }
}

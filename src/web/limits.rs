//! The pages' request budgets (`RATE_LIMIT`, shared through Redis with `REDIS_URL`): the sign-in
//! counts per client address and per key tried, so that neither one address trying many keys nor
//! many addresses trying one key gets far; an evidence link's pages count per link. A refusal is
//! a page of its own: 429 with `Retry-After`.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use ipnet::IpNet;
use sha2::{Digest, Sha256};

use super::{WebState, pages};
use crate::domain::Id;

/// The client's address: the connection's, or, from a trusted proxy, the nearest address in
/// `X-Forwarded-For` that is not one of the trusted proxies (a client can write the header,
/// but not what the proxies append to it).
pub fn client_address(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let forwarded: Vec<IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|a| a.trim().parse().ok())
        .collect();
    forwarded
        .iter()
        .rev()
        .find(|ip| !is_trusted(ip))
        .or(forwarded.first())
        .copied()
        .unwrap_or(peer)
}

/// The address a request came from (`None` when the server was not told: served without
/// connection information).
pub struct ClientAddress(pub Option<IpAddr>);

impl FromRequestParts<WebState> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &WebState,
    ) -> Result<ClientAddress, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(address)| address.ip());
        Ok(ClientAddress(peer.map(|peer| {
            client_address(peer, &parts.headers, &state.trusted_proxies)
        })))
    }
}

/// 429, with the time to wait in words and in `Retry-After`.
fn too_many(wait: Duration, title: &str, what: &str) -> Response {
    let seconds = wait.as_secs().max(1);
    let mut response = pages::error_page(
        StatusCode::TOO_MANY_REQUESTS,
        title,
        &format!("{what} Please try again in {seconds} seconds."),
    );
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    response
}

/// Counts a sign-in against its address's budget and the key's it tried.
pub async fn sign_in(state: &WebState, address: Option<IpAddr>, key: &str) -> Result<(), Response> {
    let Some(limiter) = &state.limiter else {
        return Ok(());
    };
    let refused = |limited: crate::rate_limit::Limited| {
        too_many(
            limited.retry_after,
            "Too many sign-in attempts",
            "There were too many sign-in attempts just now.",
        )
    };
    if let Some(address) = address {
        limiter
            .check(&format!("signin-address:{address}"))
            .await
            .map_err(refused)?;
    }
    // The key tried is counted by a digest: no secret is kept, in the process or in Redis.
    let digest = hex::encode(&Sha256::digest(key.trim().as_bytes())[..16]);
    limiter
        .check(&format!("signin-key:{digest}"))
        .await
        .map_err(refused)
}

/// Counts a request of an evidence link's pages against the link's budget.
pub async fn link(state: &WebState, link: &Id) -> Result<(), Response> {
    let Some(limiter) = &state.limiter else {
        return Ok(());
    };
    limiter
        .check(&format!("link:{link}"))
        .await
        .map_err(|limited| {
            too_many(
                limited.retry_after,
                "Too many requests",
                "This link was used too often just now.",
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_client_is_the_connection_unless_a_trusted_proxy_says_otherwise() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        let headers = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert("x-forwarded-for", value.parse().unwrap());
            headers
        };
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        // Not from a proxy: the header is the client's own words, ignored.
        assert_eq!(
            client_address(ip("203.0.113.9"), &headers("198.51.100.1"), &trusted),
            ip("203.0.113.9")
        );
        // From a trusted proxy: the nearest untrusted address, whatever the client prepended.
        assert_eq!(
            client_address(
                ip("10.0.0.2"),
                &headers("1.2.3.4, 198.51.100.7, 10.0.0.3"),
                &trusted
            ),
            ip("198.51.100.7")
        );
        // Nothing usable: the proxy itself.
        assert_eq!(
            client_address(ip("10.0.0.2"), &HeaderMap::new(), &trusted),
            ip("10.0.0.2")
        );
        assert_eq!(
            client_address(ip("10.0.0.2"), &headers("10.0.0.5"), &trusted),
            ip("10.0.0.5")
        );
    }
}

//! The browser edge, under `/web`: server-rendered pages for answering a dispute, through an
//! evidence link (`/web/evidence/{secret}`: that one dispute, no key) or the account dashboard
//! (`/web/disputes`, signed in with a secret key exchanged for a session). Every asset is
//! embedded in the binary; every page works without JavaScript for reading and posting, and
//! `app.js` adds drag and drop and a progress bar per file. Every change goes through the same
//! core calls as the Omise handlers, so the status guard, the history and the events hold.

mod access;
mod actions;
mod error;
mod limits;
mod packet;
mod pages;
mod previews;
mod words;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::TimeDelta;

use crate::config::Settings;
use crate::core::Core;
use crate::http::{TimeLimit, time_limit};

/// What the pages need.
#[derive(Clone)]
pub struct WebState {
    pub core: Core,
    /// How long a dashboard session may stay unused.
    pub session_idle: TimeDelta,
    /// The server is reached over https (`PUBLIC_BASE_URL`): session cookies are `Secure`.
    pub https: bool,
    /// `PUBLIC_BASE_URL`'s origin (`scheme://host[:port]`), which forms may be posted from.
    pub origin: Arc<str>,
    /// Request budgets (`RATE_LIMIT`): the sign-in per address and per key, pages per link.
    pub limiter: Option<Arc<crate::rate_limit::RateLimiter>>,
    /// Proxies whose `X-Forwarded-For` names the client (`TRUSTED_PROXIES`).
    pub trusted_proxies: Arc<[ipnet::IpNet]>,
}

impl WebState {
    pub fn new(
        core: Core,
        settings: &Settings,
        limiter: Option<Arc<crate::rate_limit::RateLimiter>>,
    ) -> WebState {
        WebState {
            limiter,
            trusted_proxies: settings.trusted_proxies.clone().into(),
            core,
            session_idle: TimeDelta::seconds(settings.web_session_idle.into()),
            https: settings.public_base_url().starts_with("https://"),
            origin: url::Url::parse(&settings.public_base_url())
                .map(|u| u.origin().ascii_serialization())
                .unwrap_or_default()
                .into(),
        }
    }
}

pub use crate::core::evidence_links::evidence_url;

/// The policy of every page: only this server's own scripts, styles, images and frames; no
/// inline script or style; forms post only here; no page frames another site or is framed.
const PAGE_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
     frame-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// The pages' routes, to nest under `/web`. Uploads and files stream as long as they take; the
/// rest has `REQUEST_TIMEOUT`.
pub fn router(state: WebState, request_timeout: Duration) -> Router {
    let limit = TimeLimit {
        limit: request_timeout,
        expired: |_| {
            pages::error_page(
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                "Try again",
                "The server took too long to answer. Please try again.",
            )
        },
    };
    let mut quick = Router::new()
        .route("/", get(actions::home))
        .route("/assets/app.css", get(assets_css))
        .route("/assets/app.js", get(assets_js))
        .route("/login", get(actions::login_form).post(actions::login))
        .route("/logout", post(actions::logout))
        .route("/disputes", get(actions::dashboard));
    let mut files = Router::new();
    for prefix in ["/evidence/{key}", "/disputes/{key}"] {
        quick = quick
            .route(prefix, get(actions::page))
            .route(
                &format!("{prefix}/documents/{{document}}/delete"),
                post(actions::delete),
            )
            .route(&format!("{prefix}/submit"), post(actions::submit))
            .route(&format!("{prefix}/accept"), post(actions::accept));
        files = files
            .route(&format!("{prefix}/documents"), post(actions::upload))
            .route(
                &format!("{prefix}/documents/{{document}}/file"),
                get(actions::file),
            )
            .route(
                &format!("{prefix}/documents/{{document}}/pages/{{page}}/preview"),
                get(previews::preview),
            )
            .route(&format!("{prefix}/packet"), get(packet::download));
    }
    let quick = quick.layer(middleware::from_fn_with_state(limit, time_limit));
    Router::new()
        .merge(quick)
        .merge(files)
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(state.clone(), same_origin))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(|_| {
            pages::error_page(
                axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "The server could not answer. Please try again later.",
            )
        }))
        .layer(middleware::from_fn(security_headers))
        .with_state(state)
}

async fn not_found() -> Response {
    pages::error_page(
        axum::http::StatusCode::NOT_FOUND,
        "Not found",
        "There is no page here.",
    )
}

async fn method_not_allowed() -> Response {
    pages::error_page(
        axum::http::StatusCode::METHOD_NOT_ALLOWED,
        "Not allowed",
        "This page cannot be used that way.",
    )
}

/// Refuses a form posted from another site: a browser names the page a POST comes from in
/// `Origin`, which must be this server (as the request reached it, or `PUBLIC_BASE_URL`), and
/// says in `Sec-Fetch-Site` whether it came from another site. This also keeps other sites from
/// signing a browser in (no session exists yet to hold a token) and backs up the CSRF tokens.
/// Requests with neither header (not from a browser) pass. Pages are served with
/// `Referrer-Policy: same-origin`, under which browsers send their own origin on these posts
/// (with `no-referrer` they would send `null`).
async fn same_origin(
    axum::extract::State(state): axum::extract::State<WebState>,
    request: Request,
    next: Next,
) -> Response {
    if request.method() == axum::http::Method::POST {
        let site = request
            .headers()
            .get("sec-fetch-site")
            .and_then(|v| v.to_str().ok());
        if matches!(site, Some("cross-site" | "same-site")) {
            return pages::error_page(
                axum::http::StatusCode::FORBIDDEN,
                "Form refused",
                "This form was sent from another site. Open the page on this server and try again.",
            );
        }
        if let Some(origin) = request.headers().get(header::ORIGIN) {
            let origin = origin.to_str().unwrap_or_default();
            let host = request
                .headers()
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .unwrap_or_default();
            let ours = origin == &*state.origin
                || (!host.is_empty()
                    && (origin == format!("http://{host}") || origin == format!("https://{host}")));
            if !ours {
                return pages::error_page(
                    axum::http::StatusCode::FORBIDDEN,
                    "Form refused",
                    "This form was sent from another site. Open the page on this server and try again.",
                );
            }
        }
    }
    next.run(request).await
}

/// The headers every answer under `/web` carries, unless the handler set its own (a file).
async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let defaults = [
        (header::CONTENT_SECURITY_POLICY, PAGE_POLICY),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "same-origin"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::CACHE_CONTROL, "no-store"),
    ];
    for (name, value) in defaults {
        if !headers.contains_key(&name) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    }
    response
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}

async fn assets_css() -> Response {
    asset("text/css; charset=utf-8", include_str!("assets/app.css"))
}

async fn assets_js() -> Response {
    asset(
        "text/javascript; charset=utf-8",
        include_str!("assets/app.js"),
    )
}

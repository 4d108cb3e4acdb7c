//! Evidence links (beyond Omise): a URL on this server that opens one dispute's evidence page
//! for whoever holds it, until it expires or is revoked, without the account's key.

use axum::extract::State;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::auth::Caller;
use super::input::Input;
use super::openapi::{DisputePath, Error};
use super::render::{Path, WireTime, json};
use super::{ApiError, ApiResult, OmiseState, PathParams, path_id};
use crate::domain::evidence_link::{MAX_LIFETIME, lifetime};
use crate::domain::{EvidenceLink, IdKind};
use crate::http::lenient;

/// How long the link should live.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct CreateEvidenceLink {
    /// Seconds the link lives: 1 to 2592000 (30 days); default 604800 (7 days).
    #[schema(minimum = 1, maximum = 2592000)]
    #[serde(default, deserialize_with = "lenient::int")]
    expires_in: Option<i64>,
}

/// An evidence link. `url` carries the link's secret and is shown only when the link is made.
#[derive(Serialize, ToSchema)]
pub struct EvidenceLinkJson<'a> {
    /// Always `evidence_link`.
    object: &'static str,
    id: &'a str,
    livemode: bool,
    #[schema(value_type = String)]
    location: Path<'a>,
    dispute: &'a str,
    /// The page's URL, only in the answer that made the link (null afterwards: it is kept
    /// only as a hash).
    #[schema(required)]
    url: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    expires_at: WireTime,
    revoked: bool,
    #[schema(value_type = Option<String>, format = DateTime, required)]
    revoked_at: Option<WireTime>,
    #[schema(value_type = String, format = DateTime)]
    created_at: WireTime,
}

fn render<'a>(link: &'a EvidenceLink, url: Option<String>) -> EvidenceLinkJson<'a> {
    EvidenceLinkJson {
        object: "evidence_link",
        id: link.id.as_str(),
        livemode: link.mode.is_live(),
        location: Path::of(&[
            "/disputes/",
            link.dispute.as_str(),
            "/evidence_links/",
            link.id.as_str(),
        ]),
        dispute: link.dispute.as_str(),
        url,
        expires_at: WireTime(link.expires_at),
        revoked: link.revoked_at.is_some(),
        revoked_at: link.revoked_at.map(WireTime),
        created_at: WireTime(link.created_at),
    }
}

/// The evidence link a path names.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
pub struct LinkPath {
    /// An evidence link id (evlk_test_… or evlk_…)
    link: String,
}

#[utoipa::path(post, operation_id = "createEvidenceLink", path = "/disputes/{id}/evidence_links", tag = "evidence_links", params(DisputePath),
    request_body(content((CreateEvidenceLink = "application/json"), (CreateEvidenceLink = "application/x-www-form-urlencoded"))),
    responses((status = 200, description = "The new link, with its url (shown this once)", body = EvidenceLinkJson)))]
/// Beyond Omise: a link that opens this dispute's evidence page in a browser, without the key,
/// for `expires_in` seconds (default 7 days, at most 30). Whoever holds it sees this dispute
/// only, and acts as the key that made it; it is recorded in the dispute's history.
pub async fn create(
    State(state): State<OmiseState>,
    caller: Caller,
    PathParams(id): PathParams<String>,
    Input(body): Input<CreateEvidenceLink>,
) -> ApiResult<Response> {
    let id = path_id(IdKind::Dispute, &id, &caller)?;
    let lifetime = lifetime(body.expires_in).map_err(ApiError::bad_request)?;
    debug_assert!(lifetime <= MAX_LIFETIME);
    let key = caller
        .actor
        .id()
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("a merchant caller without a key")))?;
    let (link, token) = state
        .core
        .create_evidence_link(&caller.scope, &id, lifetime, key)
        .await?
        .ok_or_else(|| ApiError::dispute_not_found(id.as_str()))?;
    let url = crate::core::evidence_links::evidence_url(&state.base_url, &token);
    Ok(json(&render(&link, Some(url))))
}

#[utoipa::path(delete, operation_id = "revokeEvidenceLink", path = "/disputes/{id}/evidence_links/{link}", tag = "evidence_links", params(DisputePath, LinkPath),
    responses((status = 200, description = "The link, revoked (revoking it again changes nothing)", body = EvidenceLinkJson),
        (status = 404, description = "No such link on this dispute", body = Error)))]
/// Beyond Omise: revokes a link at once; its page then says so.
pub async fn revoke(
    State(state): State<OmiseState>,
    caller: Caller,
    PathParams((dispute, link)): PathParams<(String, String)>,
) -> ApiResult<Response> {
    let dispute = path_id(IdKind::Dispute, &dispute, &caller)?;
    let link_id = path_id(IdKind::EvidenceLink, &link, &caller)?;
    let link = state
        .core
        .revoke_evidence_link(&caller.scope, &dispute, &link_id, &caller.actor)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("evidence link {link} was not found")))?;
    Ok(json(&render(&link, None)))
}

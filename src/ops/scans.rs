//! Malware scanning, the operator's side: a rescan of stored pages after a signature update (a
//! batch per call, resumed with the `before` and `next` the last call gave), and the list of
//! quarantined pages. The CLI (`dispute-docs scan`, `dispute-docs quarantine`) calls the same
//! functions.

use axum::extract::{RawQuery, State};
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{Body, OpsError, OpsResult, OpsState, parse_id};
use crate::core::Core;
use crate::core::scans::{RescanBatch, RescanError};
use crate::domain::IdKind;
use crate::http::json;
use crate::store::{Cursor, StoredPage};
use crate::wire::omise::openapi::Error;

/// The most pages one call rescans.
pub const MAX_BATCH: i64 = 1000;

impl From<RescanError> for OpsError {
    fn from(e: RescanError) -> OpsError {
        match e {
            RescanError::NoScanner => OpsError::NotConfigured(e.to_string()),
            RescanError::Scanner(cause) => OpsError::Unavailable(cause.into()),
            RescanError::Store(e) => e.into(),
            RescanError::Blob(e) => OpsError::Internal(e.into()),
        }
    }
}

/// A cursor as the operator writes it: `docu_…/2`.
pub fn parse_cursor(text: &str) -> OpsResult<Cursor> {
    let (document, position) = text.split_once('/').ok_or_else(|| {
        OpsError::bad_request("after must be a document id and a position: docu_…/2")
    })?;
    Ok(Cursor {
        document: parse_id(IdKind::Document, document)?,
        position: position
            .parse()
            .map_err(|_| OpsError::bad_request("after's position must be a number"))?,
    })
}

pub fn cursor_text(cursor: &Cursor) -> String {
    format!("{}/{}", cursor.document, cursor.position)
}

/// A quarantined page.
#[derive(Serialize, ToSchema)]
pub struct QuarantinedJson {
    /// quarantined_page
    object: &'static str,
    dispute: String,
    document: String,
    account: String,
    livemode: bool,
    position: i64,
    filename: String,
    content_type: String,
    size: i64,
    sha256: String,
    /// The signature clamd named
    signature: String,
    quarantined_at: String,
    /// The engine and signature database that found it
    engine: Option<String>,
}

impl QuarantinedJson {
    pub fn of(stored: &StoredPage) -> QuarantinedJson {
        let page = &stored.page;
        let quarantine = page.quarantine.as_ref();
        QuarantinedJson {
            object: "quarantined_page",
            dispute: stored.dispute.to_string(),
            document: page.document.to_string(),
            account: stored.account.to_string(),
            livemode: stored.mode.is_live(),
            position: page.position,
            filename: page.filename.clone(),
            content_type: page.content_type.clone(),
            size: page.size,
            sha256: page.sha256.clone(),
            signature: quarantine.map(|q| q.signature.clone()).unwrap_or_default(),
            quarantined_at: quarantine.map(|q| q.at.to_rfc3339()).unwrap_or_default(),
            engine: page.scan.as_ref().map(|s| s.engine.clone()),
        }
    }
}

/// What a rescan call did, and how to go on.
#[derive(Serialize, ToSchema)]
pub struct RescanJson {
    /// rescan
    object: &'static str,
    /// Pages last scanned before this time (or never) are rescanned: pass it again to go on
    before: String,
    /// Pages clamd looked at
    scanned: u64,
    /// Pages this call quarantined
    quarantined: Vec<QuarantinedJson>,
    /// Pages over clamd's limits, skipped
    too_big: u64,
    /// Pages whose file is gone, skipped
    missing: u64,
    /// Pages still to rescan after `next`
    remaining: i64,
    /// Pass as `after` to go on; null when nothing was left
    next: Option<String>,
}

impl RescanJson {
    pub fn of(before: DateTime<Utc>, batch: &RescanBatch) -> RescanJson {
        RescanJson {
            object: "rescan",
            before: before.to_rfc3339(),
            scanned: batch.scanned,
            quarantined: batch.quarantined.iter().map(QuarantinedJson::of).collect(),
            too_big: batch.too_big,
            missing: batch.missing,
            remaining: batch.remaining,
            next: batch.next.as_ref().map(cursor_text),
        }
    }
}

/// Where a rescan call starts.
#[derive(Deserialize, ToSchema)]
pub(super) struct RescanBody {
    /// Rescan pages last scanned before this RFC 3339 time, or never (default, or empty: now)
    #[schema(format = DateTime)]
    before: Option<String>,
    /// Go on after this page (`next` of the last call): `docu_…/2`; empty or absent: the first
    #[schema(pattern = r"^(docu_(test_)?[0-9a-z]{1,64}/[0-9]{1,9})?$")]
    after: Option<String>,
    /// At most this many pages (default 100, at most 1000)
    #[schema(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
}

#[utoipa::path(post, operation_id = "rescan", path = "/scan", tag = "ops", security(("ops_token" = [])),
    request_body(content = RescanBody, content_type = "application/json"),
    responses((status = 200, description = "One batch rescanned by clamd; what it now finds is quarantined. Call again with `before` and `after` = `next` until `remaining` is 0", body = RescanJson),
        (status = 400, description = "Bad input", body = Error),
        (status = 409, description = "SCAN_URL is not set: no scanner to rescan with (not_configured)", body = Error),
        (status = 401, description = "No valid operator token", body = Error),
        (status = 503, description = "clamd gave no verdict: call again later with the same before and after", body = Error)))]
pub(super) async fn http_rescan(
    State(state): State<OpsState>,
    Body(body): Body<RescanBody>,
) -> OpsResult<Response> {
    let before = match body.before.as_deref() {
        None | Some("") => state.core.clock.now(),
        Some(text) => DateTime::parse_from_rfc3339(text)
            .map_err(|_| OpsError::bad_request("before must be an RFC 3339 time"))?
            .with_timezone(&Utc),
    };
    let after = match body.after.as_deref() {
        None | Some("") => None,
        Some(text) => Some(parse_cursor(text)?),
    };
    let limit = body.limit.unwrap_or(100);
    if !(1..=MAX_BATCH).contains(&limit) {
        return Err(OpsError::bad_request("limit must be between 1 and 1000"));
    }
    let batch = state
        .core
        .rescan_batch(before, after.as_ref(), limit)
        .await?;
    Ok(json(&RescanJson::of(before, &batch)))
}

#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct QuarantineQuery {
    /// At most this many, latest first (default 100, at most 1000)
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
    /// Skip this many
    #[param(minimum = 0)]
    offset: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct QuarantineList {
    object: &'static str,
    pub data: Vec<QuarantinedJson>,
    pub total: i64,
}

/// Quarantined pages, the latest first.
pub async fn quarantined(core: &Core, limit: i64, offset: i64) -> OpsResult<QuarantineList> {
    let (pages, total) = core.quarantined_pages(limit, offset).await?;
    Ok(QuarantineList {
        object: "list",
        data: pages.iter().map(QuarantinedJson::of).collect(),
        total,
    })
}

#[utoipa::path(get, operation_id = "listQuarantined", path = "/quarantine", tag = "ops",
    security(("ops_token" = [])), params(QuarantineQuery),
    responses((status = 200, description = "Pages a rescan found malware in, the latest first: no longer served, previewed or put in a packet", body = QuarantineList),
        (status = 400, description = "Bad input", body = Error), (status = 401, description = "No valid operator token", body = Error)))]
pub(super) async fn http_quarantine(
    State(state): State<OpsState>,
    RawQuery(query): RawQuery,
) -> OpsResult<Response> {
    let (mut limit, mut offset) = (100, 0);
    for (name, value) in url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        let number = || {
            value
                .parse::<i64>()
                .map_err(|_| OpsError::bad_request(format!("{name} must be an integer")))
        };
        match name.as_ref() {
            "limit" if !value.is_empty() => limit = number()?,
            "offset" if !value.is_empty() => offset = number()?,
            _ => {}
        }
    }
    if !(1..=1000).contains(&limit) || offset < 0 {
        return Err(OpsError::bad_request(
            "limit must be between 1 and 1000, offset at least 0",
        ));
    }
    Ok(json(&quarantined(&state.core, limit, offset).await?))
}

/// How far a whole rescan got.
#[derive(Debug, Default)]
pub struct RescanRun {
    /// Pages looked at: scanned, too big or missing.
    pub done: u64,
    /// Pages to do when it began.
    pub total: i64,
    pub scanned: u64,
    pub quarantined: u64,
    pub too_big: u64,
    pub missing: u64,
    /// The last page done: where to go on after a failure.
    pub next: Option<Cursor>,
}

/// Rescans every page not scanned since `before`, from `after`, `batch` pages at a time (so at
/// most one batch's rows in memory), telling `progress` after each batch. A failure comes back
/// with how far the run got, to be resumed with the same `before` and `after` = `next`.
pub async fn rescan_all(
    core: &Core,
    before: DateTime<Utc>,
    after: Option<Cursor>,
    batch: i64,
    mut progress: impl FnMut(&RescanBatch, &RescanRun),
) -> Result<RescanRun, (RescanError, RescanRun)> {
    let mut run = RescanRun {
        next: after,
        ..RescanRun::default()
    };
    run.total = match core.count_to_rescan(before, run.next.as_ref()).await {
        Ok(total) => total,
        Err(e) => return Err((e.into(), run)),
    };
    loop {
        let done = match core.rescan_batch(before, run.next.as_ref(), batch).await {
            Ok(done) => done,
            Err(e) => return Err((e, run)),
        };
        run.done += done.scanned + done.too_big + done.missing;
        run.scanned += done.scanned;
        run.quarantined += done.quarantined.len() as u64;
        run.too_big += done.too_big;
        run.missing += done.missing;
        let finished = done.next.is_none() || done.remaining == 0;
        if done.next.is_some() {
            run.next.clone_from(&done.next);
        }
        progress(&done, &run);
        if finished {
            return Ok(run);
        }
    }
}

/// `dispute-docs scan`: quarantined pages on stdout, progress on stderr (one line rewritten in
/// place on a terminal, a line a batch otherwise).
pub async fn rescan_from_cli(
    core: &Core,
    before: Option<String>,
    after: Option<String>,
    batch: i64,
) -> anyhow::Result<()> {
    use std::io::IsTerminal;
    let before = match before {
        Some(text) => chrono::DateTime::parse_from_rfc3339(&text)
            .map_err(|_| anyhow::anyhow!("--before must be an RFC 3339 time"))?
            .with_timezone(&chrono::Utc),
        None => core.clock.now(),
    };
    let after = after
        .map(|a| parse_cursor(&a).map_err(|e| anyhow::anyhow!("--after: {e}")))
        .transpose()?;
    let terminal = std::io::stderr().is_terminal();
    let run = rescan_all(core, before, after, batch, |done, run| {
        for page in &done.quarantined {
            let page = QuarantinedJson::of(page);
            println!("{}", serde_json::to_string(&page).expect("JSON"));
        }
        let line = format!(
            "rescanned {} of {} pages, {} quarantined",
            run.done, run.total, run.quarantined
        );
        if terminal {
            eprint!("\r{line}");
        } else {
            eprintln!("{line}");
        }
    })
    .await;
    if terminal {
        eprintln!();
    }
    let before = before.to_rfc3339();
    match run {
        Ok(run) => eprintln!(
            "done: {} scanned, {} quarantined, {} too big for clamd, {} missing (before {before})",
            run.scanned, run.quarantined, run.too_big, run.missing
        ),
        Err((e, run)) => {
            let after = run.next.as_ref().map(cursor_text);
            let resume = after.map(|a| format!(" --after {a}")).unwrap_or_default();
            anyhow::bail!("{e}\nresume with: dispute-docs scan --before {before}{resume}");
        }
    }
    Ok(())
}

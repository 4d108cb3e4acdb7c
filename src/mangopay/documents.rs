//! Dispute documents (MANGOPAY.md §4 #10–#16): lists, view, create, add base64 pages, submit,
//! and consult links that a browser can open without the token.

use std::borrow::Cow;

use axum::extract::{FromRequestParts, OriginalUri, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use bytes::Bytes;
use chrono::TimeDelta;
use futures::StreamExt;
use serde::Deserialize;
use serde_json::Value;

use super::auth::Client;
use super::base64_text::{LENIENT, decoded_chunks, decoded_len};
use super::disputes::{list_url, tag};
use super::error::{MpError, MpResult};
use super::lists::{ListInput, respond};
use super::render::{self, ConsultJson, DocumentJson};
use super::{Body, MangopayState, MpPath, vocab};
use crate::core::documents::Upload;
use crate::core::scans::Arrival;
use crate::domain::{Document, DocumentAction, DocumentKind, Id, IdKind};
use crate::http::json;
use crate::store::DocumentFilter;

/// The most a page request may carry: a little over 10 MB of base64.
const MAX_PAGE_BODY: usize = 11 * 1024 * 1024;
/// Past this, a body is no longer read even to drain it.
const MAX_DRAIN: usize = 64 * 1024 * 1024;
/// How long a consult link lives.
const CONSULT_TTL: TimeDelta = TimeDelta::minutes(10);

/// The `Type` filter: OTHER also finds the kinds Mangopay shows as OTHER, and documents of none.
fn type_filter(input: &ListInput) -> MpResult<(Vec<DocumentKind>, bool)> {
    let kinds = input.filter("type", "Type", vocab::parse_kind)?;
    let mut shown: Vec<DocumentKind> = Vec::new();
    let mut unkinded = false;
    for kind in kinds {
        shown.extend(
            DocumentKind::ALL
                .into_iter()
                .filter(|k| vocab::kind(Some(*k)) == vocab::kind(Some(kind))),
        );
        unkinded |= vocab::kind(None) == vocab::kind(Some(kind));
    }
    Ok((shown, unkinded))
}

async fn list(
    state: &MangopayState,
    client: &Client,
    dispute: Option<&Id>,
    uri: &OriginalUri,
) -> MpResult<Response> {
    let input = ListInput::parse(uri.0.query())?;
    let statuses = input.filter("status", "Status", vocab::parse_document_status)?;
    let (kinds, include_unkinded) = type_filter(&input)?;
    let filter = DocumentFilter {
        statuses,
        kinds,
        include_unkinded,
    };
    let query = input.query(state.core.now_for(&client.scope).await?);
    let page = state
        .core
        .search_documents(&client.scope, dispute, &filter, &query)
        .await?;
    let items: Vec<DocumentJson> = page.items.iter().map(render::document).collect();
    Ok(respond(&items, page.total, &input, &list_url(state, uri)))
}

async fn dispute_id(state: &MangopayState, client: &Client, raw: &str) -> MpResult<Id> {
    let not_found = || MpError::not_found("Dispute", raw);
    let id = Id::parse(IdKind::Dispute, raw).map_err(|_| not_found())?;
    state
        .core
        .dispute_status(&client.scope, &id)
        .await?
        .ok_or_else(not_found)?;
    Ok(id)
}

/// A document of a dispute, in one query when both are there; otherwise which is missing.
async fn find_in(
    state: &MangopayState,
    client: &Client,
    dispute: &str,
    document: &str,
) -> MpResult<(Id, Document)> {
    if let (Ok(dispute_id), Ok(id)) = (
        Id::parse(IdKind::Dispute, dispute),
        Id::parse(IdKind::Document, document),
    ) {
        let found = state.core.document_by_id(Some(&client.scope), &id).await?;
        if let Some(doc) = found.filter(|d| d.dispute == dispute_id) {
            return Ok((dispute_id, doc));
        }
    }
    dispute_id(state, client, dispute).await?;
    Err(MpError::not_found("DisputeDocument", document))
}

async fn find(state: &MangopayState, client: &Client, raw: &str) -> MpResult<Document> {
    let not_found = || MpError::not_found("DisputeDocument", raw);
    let id = Id::parse(IdKind::Document, raw).map_err(|_| not_found())?;
    state
        .core
        .document_by_id(Some(&client.scope), &id)
        .await?
        .ok_or_else(not_found)
}

#[utoipa::path(get, operation_id = "listDisputeDocuments", path = "/{ClientId}/disputes/{DisputeId}/documents", tag = "documents",
    params(("ClientId" = String, Path), ("DisputeId" = String, Path), super::openapi::ListParams),
    responses((status = 200, description = "A page of the dispute's documents", body = [DocumentJson]),
        (status = 404, description = "No such dispute", body = super::openapi::Error)))]
pub async fn list_of_dispute(
    State(state): State<MangopayState>,
    client: Client,
    MpPath((_client_id, dispute)): MpPath<(String, String)>,
    uri: OriginalUri,
) -> MpResult<Response> {
    let dispute = dispute_id(&state, &client, &dispute).await?;
    list(&state, &client, Some(&dispute), &uri).await
}

#[utoipa::path(get, operation_id = "listAllDisputeDocuments", path = "/{ClientId}/dispute-documents", tag = "documents",
    params(("ClientId" = String, Path), super::openapi::ListParams),
    responses((status = 200, description = "A page of every dispute's documents", body = [DocumentJson])))]
pub async fn list_all(
    State(state): State<MangopayState>,
    client: Client,
    uri: OriginalUri,
) -> MpResult<Response> {
    list(&state, &client, None, &uri).await
}

#[utoipa::path(get, operation_id = "viewDisputeDocument", path = "/{ClientId}/dispute-documents/{DocumentId}", tag = "documents",
    params(("ClientId" = String, Path), ("DocumentId" = String, Path)),
    responses((status = 200, description = "The document", body = DocumentJson),
        (status = 404, description = "No such document", body = super::openapi::Error)))]
pub async fn view(
    State(state): State<MangopayState>,
    client: Client,
    MpPath((_client_id, id)): MpPath<(String, String)>,
) -> MpResult<Response> {
    let doc = find(&state, &client, &id).await?;
    Ok(json(&render::document(&doc)))
}

#[utoipa::path(post, operation_id = "createDisputeDocument", path = "/{ClientId}/disputes/{DisputeId}/documents", tag = "documents",
    params(("ClientId" = String, Path), ("DisputeId" = String, Path)),
    request_body(content = super::openapi::NewDocumentBody, content_type = "application/json"),
    responses((status = 200, description = "The new document, CREATED", body = DocumentJson),
        (status = 400, description = "Type missing or wrong, Tag too long, or the dispute not awaiting the client", body = super::openapi::Error),
        (status = 404, description = "No such dispute", body = super::openapi::Error)))]
pub async fn create(
    State(state): State<MangopayState>,
    client: Client,
    MpPath((_client_id, dispute)): MpPath<(String, String)>,
    Body(body): Body,
) -> MpResult<Response> {
    let dispute = dispute_id(&state, &client, &dispute).await?;
    let kind = match body.get("Type") {
        None | Some(Value::Null) => {
            return Err(MpError::param("Type", "The Type field is required."));
        }
        Some(Value::String(t)) => vocab::parse_kind(t)
            .ok_or_else(|| MpError::param("Type", format!("{t} is not a valid Type")))?,
        Some(_) => return Err(MpError::param("Type", "Type must be a string")),
    };
    let tag = tag(&body)?.flatten();
    let doc = state
        .core
        .create_document(
            Some(&client.scope),
            &dispute,
            None,
            Some(kind),
            tag,
            None,
            &client.actor,
        )
        .await
        .map_err(|e| MpError::from_upload(e, dispute.as_str(), ""))?;
    Ok(json(&render::document(&doc)))
}

#[utoipa::path(put, operation_id = "submitDisputeDocument", path = "/{ClientId}/disputes/{DisputeId}/documents/{DocumentId}", tag = "documents",
    params(("ClientId" = String, Path), ("DisputeId" = String, Path), ("DocumentId" = String, Path)),
    request_body(content = super::openapi::SubmitDocumentBody, content_type = "application/json"),
    responses((status = 200, description = "The document, VALIDATION_ASKED", body = DocumentJson),
        (status = 400, description = "Status not VALIDATION_ASKED, the document not CREATED, or without pages", body = super::openapi::Error),
        (status = 404, description = "No such dispute or document", body = super::openapi::Error)))]
/// Asks for the document's validation: `Status` must be `VALIDATION_ASKED`.
pub async fn submit(
    State(state): State<MangopayState>,
    client: Client,
    MpPath((_client_id, dispute, document)): MpPath<(String, String, String)>,
    Body(body): Body,
) -> MpResult<Response> {
    let dispute = dispute_id(&state, &client, &dispute).await?;
    match body.get("Status").and_then(Value::as_str) {
        Some("VALIDATION_ASKED") => {}
        _ => {
            return Err(MpError::param("Status", "Status must be VALIDATION_ASKED"));
        }
    }
    let tag = tag(&body)?;
    let doc = find(&state, &client, &document).await?;
    if doc.dispute != dispute {
        return Err(MpError::not_found("DisputeDocument", &document));
    }
    let doc = state
        .core
        .document_transition(
            Some(&client.scope),
            &dispute,
            &doc.id,
            DocumentAction::Submit,
            None,
            &client.actor,
        )
        .await
        .map_err(|r| MpError::from_refusal(r, dispute.as_str(), Some(&document)))?;
    // The Tag goes with a submit that happened, never without it.
    let doc = match tag {
        Some(tag) => state
            .core
            .set_document_tag(
                &client.scope,
                &dispute,
                &doc.id,
                tag.as_deref(),
                &client.actor,
            )
            .await
            .map_err(|r| MpError::from_refusal(r, dispute.as_str(), Some(&document)))?,
        None => doc,
    };
    Ok(json(&render::document(&doc)))
}

#[derive(Deserialize)]
struct PageBody<'a> {
    #[serde(borrow, rename = "File")]
    file: Option<Cow<'a, str>>,
}

/// The body, at most `MAX_PAGE_BODY`; a larger one is read to its end (up to `MAX_DRAIN`) so
/// that the client, still sending, gets the 413.
async fn page_body(body: axum::body::Body) -> MpResult<Bytes> {
    let mut body = body.into_data_stream();
    let mut kept = Vec::new();
    let mut seen = 0usize;
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| MpError::param("File", e.to_string()))?;
        seen += chunk.len();
        if seen > MAX_DRAIN {
            break;
        }
        if seen <= MAX_PAGE_BODY {
            kept.extend_from_slice(&chunk);
        }
    }
    if seen > MAX_PAGE_BODY {
        return Err(MpError::too_large());
    }
    Ok(Bytes::from(kept))
}

/// Reads a body to its end (up to `MAX_DRAIN`) and drops it, so that a client still sending
/// gets the answer rather than a reset connection.
async fn drain(body: axum::body::Body) {
    let mut body = body.into_data_stream();
    let mut seen = 0usize;
    while let Some(Ok(chunk)) = body.next().await {
        seen += chunk.len();
        if seen > MAX_DRAIN {
            break;
        }
    }
}

#[utoipa::path(post, operation_id = "createDisputeDocumentPage", path = "/{ClientId}/disputes/{DisputeId}/documents/{DocumentId}/pages", tag = "documents",
    params(("ClientId" = String, Path), ("DisputeId" = String, Path), ("DocumentId" = String, Path)),
    request_body(content = super::openapi::PageBody, content_type = "application/json"),
    responses((status = 204, description = "The page was added"),
        (status = 400, description = "Bad base64, under 1 KB, the document not CREATED, malware found in it, or a file a card network would refuse (errors.File says why: malware by its name; a PDF password-protected, damaged, without pages, over MAX_PDF_PAGES pages or with JavaScript, a Launch action or embedded files; an image whose size cannot be read or over 30 million pixels)", body = super::openapi::Error),
        (status = 404, description = "No such dispute or document", body = super::openapi::Error),
        (status = 413, description = "Over 7 MB decoded, or more than clamd scans", body = super::openapi::Error),
        (status = 415, description = "Not a PDF, JPEG, GIF or PNG", body = super::openapi::Error),
        (status = 503, description = "clamd (SCAN_URL) or the database is unavailable: nothing was stored; retry after Retry-After", body = super::openapi::Error)))]
/// Adds a page: `File` in standard base64, decoded straight into the blob store.
pub async fn add_page(
    State(state): State<MangopayState>,
    MpPath((_client_id, dispute, document)): MpPath<(String, String, String)>,
    request: Request,
) -> MpResult<Response> {
    let (mut parts, body) = request.into_parts();
    // Who and what, before the body; a refusal still reads the body, so that it is answered.
    let checked = async {
        let client = Client::from_request_parts(&mut parts, &state).await?;
        let (dispute, doc) = find_in(&state, &client, &dispute, &document).await?;
        Ok((client, dispute, doc))
    }
    .await;
    let (client, dispute, doc) = match checked {
        Ok(checked) => checked,
        Err(e) => {
            drain(body).await;
            return Err(e);
        }
    };
    let bytes = page_body(body).await?;
    let body: PageBody = serde_json::from_slice(&bytes)
        .map_err(|e| MpError::param("File", format!("the body is not a JSON object: {e}")))?;
    let file = body
        .file
        .ok_or_else(|| MpError::param("File", "The File field is required."))?;
    let size = decoded_len(&file).ok_or_else(|| {
        MpError::param(
            "File",
            "The input is not a valid Base-64 string as it contains a non-base 64 character",
        )
    })?;
    let rules = &vocab::FILE_RULES;
    if size < rules.min_size {
        return Err(MpError::param(
            "File",
            "The file is too small to be readable",
        ));
    }
    if size > rules.max_size {
        return Err(MpError::too_large());
    }
    let chunks = futures::stream::iter(decoded_chunks(&file));
    let filename = format!("{}.{}", doc.id, extension(&file));
    let arrival = Arrival {
        scope: Some(&client.scope),
        dispute: &dispute,
        document: Some(&doc.id),
        filename: &filename,
        actor: &client.actor,
    };
    let stored = state
        .core
        .receive_file(arrival, rules, chunks)
        .await
        .map_err(|e| MpError::from_upload(e, dispute.as_str(), &document))?;
    let upload = Upload {
        file: stored,
        filename,
    };
    state
        .core
        .add_page(
            Some(&client.scope),
            &dispute,
            &doc.id,
            upload,
            &client.actor,
        )
        .await
        .map_err(|e| MpError::from_upload(e, dispute.as_str(), &document))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// A file name extension for a page, from its first base64 characters.
fn extension(base64: &str) -> &'static str {
    let head: String = base64
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .take(8)
        .collect();
    let bytes = LENIENT.decode(head.as_bytes()).unwrap_or_default();
    match crate::domain::FileType::sniff(&bytes) {
        Some(crate::domain::FileType::Png) => "png",
        Some(crate::domain::FileType::Jpeg) => "jpg",
        Some(crate::domain::FileType::Gif) => "gif",
        _ => "pdf",
    }
}

#[utoipa::path(post, operation_id = "consultDisputeDocument", path = "/{ClientId}/dispute-documents/{DocumentId}/consult", tag = "documents",
    params(("ClientId" = String, Path), ("DocumentId" = String, Path)),
    responses((status = 200, description = "One link per page, in order, for 10 minutes", body = [ConsultJson]),
        (status = 404, description = "No such document", body = super::openapi::Error)))]
pub async fn consult(
    State(state): State<MangopayState>,
    client: Client,
    MpPath((_client_id, id)): MpPath<(String, String)>,
) -> MpResult<Response> {
    let doc = find(&state, &client, &id).await?;
    let pages = state.core.pages(&doc.id).await?;
    let expires = (state.core.now_for(&client.scope).await? + CONSULT_TTL).timestamp();
    let links: Vec<ConsultJson> = pages
        .iter()
        .map(|p| {
            let subject = format!("{}/{}", doc.id, p.position);
            let token = state.core.signer.sign_until(&subject, expires);
            ConsultJson {
                url: format!(
                    "{}/v2.01/consult/{}/{}/{token}",
                    state.base_url, doc.id, p.position
                ),
                expiration_date: expires,
            }
        })
        .collect();
    Ok(json(&links))
}

#[utoipa::path(get, operation_id = "fetchConsultedPage", path = "/consult/{DocumentId}/{Position}/{Token}", tag = "documents", security(()),
    params(("DocumentId" = String, Path), ("Position" = i64, Path), ("Token" = String, Path)),
    responses((status = 200, description = "The page's bytes, its SHA-256 as the ETag, Accept-Ranges: bytes", content(("application/pdf"), ("image/png"), ("image/jpeg"), ("image/gif"))),
        (status = 206, description = "The one byte range a Range header asked for (Content-Range), unless an If-Range names another ETag", content(("application/pdf"), ("image/png"), ("image/jpeg"), ("image/gif"))),
        (status = 416, description = "A Range outside the page (Content-Range: bytes */size)"),
        (status = 404, description = "Unknown, expired or tampered", body = super::openapi::Error)))]
/// A consulted page's bytes, for anyone holding an unexpired link; a `Range` of one byte range
/// (with `If-Range`) gets that part.
pub async fn page(
    State(state): State<MangopayState>,
    MpPath((document, position, token)): MpPath<(String, i64, String)>,
    request: axum::http::HeaderMap,
) -> MpResult<Response> {
    let core = &state.core;
    let id = Id::parse(IdKind::Document, &document).map_err(|_| MpError::no_route())?;
    let subject = format!("{id}/{position}");
    if !core
        .signer
        .verify_subject(&subject, &token, core.clock.now())
    {
        return Err(MpError::no_route());
    }
    // A test clock only runs ahead of the real one: test mode checks again on its own.
    if id.marked_mode() == crate::domain::Mode::Test {
        let doc = core
            .document_by_id(None, &id)
            .await?
            .ok_or_else(MpError::no_route)?;
        let now = core.now_in(&doc.account, doc.mode).await?;
        if !core.signer.verify_subject(&subject, &token, now) {
            return Err(MpError::no_route());
        }
    }
    let pages = core.pages(&id).await?;
    let page = pages
        .into_iter()
        .find(|p| p.position == position)
        .ok_or_else(MpError::no_route)?;
    crate::http::file_download(&core.blobs, &page, &request)
        .await
        .map_err(|e| MpError::internal(e.into()))?
        .ok_or_else(MpError::no_route)
}

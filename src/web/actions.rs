//! The pages' handlers. Each change calls the same core function as the Omise handler that does
//! it (`omise::documents::upload` / `destroy`, `omise::disputes::update` / `accept`), with the
//! viewer's scope and the key it acts for, and a refusal reads as the API's reason.

use axum::body::Body;
use axum::extract::{FromRequest, Query, Request, State};
use axum::http::header::{ACCEPT, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use http_body_util::Limited;
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Deserialize;
use serde_json::json;

use super::WebState;
use super::access::{self, SignedIn, Viewer, check_csrf, dispute_not_found, over_https};
use super::error::WebError;
use super::pages::{self, Notice};
use super::words;
use crate::core::UploadError;
use crate::core::disputes::Fields;
use crate::core::documents::Upload;
use crate::domain::list::MAX_LIMIT;
use crate::domain::{Action, DisputeStatus, DocumentKind, Id, IdKind, ListQuery, Order};
use crate::store::DisputeFilter;
use crate::wire::omise::keys::SecretKey;
use crate::wire::omise::vocab;

/// The most one upload request may carry (several files of 10 MB each).
const MAX_UPLOAD_BODY: usize = 64 * 1024 * 1024;

fn failure(e: impl Into<WebError>) -> Response {
    e.into().failure_page()
}

/// The dispute page, with `notices` above it, answered with `status`.
async fn render(
    state: &WebState,
    viewer: &Viewer,
    notices: &[Notice],
    status: StatusCode,
) -> Response {
    let core = &state.core;
    // Test mode's pages show its test clock's time.
    let now = match core.now_for(&viewer.scope).await {
        Ok(now) => now,
        Err(e) => return failure(e),
    };
    let dispute = match core.dispute(Some(&viewer.scope), &viewer.dispute).await {
        Ok(Some(d)) => d,
        Ok(None) => return dispute_not_found(),
        Err(e) => return failure(e),
    };
    let query = ListQuery {
        limit: MAX_LIMIT,
        order: Order::Chronological,
        ..ListQuery::first_page(now)
    };
    let documents = match core
        .list_documents(&viewer.scope, &viewer.dispute, &query)
        .await
    {
        Ok(Some(page)) => page.items,
        Ok(None) => return dispute_not_found(),
        Err(e) => return failure(e),
    };
    let packet = super::packet::readiness(state, viewer).await;
    let markup = pages::dispute_page(viewer, &dispute, &documents, packet.as_ref(), notices, now);
    pages::page(status, markup)
}

pub async fn page(State(state): State<WebState>, viewer: Viewer) -> Response {
    render(&state, &viewer, &[], StatusCode::OK).await
}

/// After a change: back to the page (303, so that reloading does not post again).
fn back(viewer: &Viewer) -> Response {
    Redirect::to(&viewer.base).into_response()
}

/// A refusal on the page (or as JSON for the page's script), in the page's words and with the
/// code the API gives it.
async fn refused(state: &WebState, viewer: &Viewer, e: WebError, json_wanted: bool) -> Response {
    let WebError::Refused {
        status,
        code,
        sentence,
    } = e
    else {
        return failure(e);
    };
    let mut response = if json_wanted {
        let body = json!({"object": "error", "code": code, "message": sentence});
        (status, axum::Json(body)).into_response()
    } else {
        let text = format!("{sentence} ({code})");
        render(state, viewer, &[Notice::error(text)], status).await
    };
    // The scanner is away: worth a retry in a moment.
    if status == StatusCode::SERVICE_UNAVAILABLE {
        response.headers_mut().insert(
            axum::http::header::RETRY_AFTER,
            axum::http::HeaderValue::from(1),
        );
    }
    response
}

fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"))
}

/// Uploads every file of the form as a document of its own (the Omise upload's calls, once
/// per file). The dispute's status is checked before any byte is stored, as the API does; the
/// guarded insert decides for good. A session's form carries its CSRF token as the first field.
pub async fn upload(State(state): State<WebState>, viewer: Viewer, request: Request) -> Response {
    let json_wanted = wants_json(request.headers());
    let core = &state.core;
    match core.dispute_status(&viewer.scope, &viewer.dispute).await {
        Ok(None) => return dispute_not_found(),
        Ok(Some(DisputeStatus::AwaitingEvidence)) => {}
        Ok(Some(_)) => {
            let e = WebError::dispute_not_open();
            return refused(&state, &viewer, e, json_wanted).await;
        }
        Err(e) => return failure(e),
    }
    let Some(boundary) = request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| multer::parse_boundary(v).ok())
    else {
        let e = WebError::bad_request("the form must be sent as multipart/form-data");
        return refused(&state, &viewer, e, json_wanted).await;
    };
    let body = Body::new(Limited::new(request.into_body(), MAX_UPLOAD_BODY));
    let mut multipart = multer::Multipart::new(body.into_data_stream(), boundary);
    let outcome = read_uploads(&state, &viewer, &mut multipart).await;
    // Read what is left, so that a browser still sending gets the answer.
    while let Ok(Some(mut field)) = multipart.next_field().await {
        while let Ok(Some(_)) = field.chunk().await {}
    }
    match outcome {
        Ok(Uploaded { count: 0, .. }) => {
            let e = WebError::bad_request("choose at least one file");
            refused(&state, &viewer, e, json_wanted).await
        }
        Ok(Uploaded { last, .. }) if json_wanted => (
            StatusCode::OK,
            axum::Json(json!({"object": "document", "id": last})),
        )
            .into_response(),
        Ok(_) => back(&viewer),
        Err(UploadFailure::Csrf) => access::CsrfRefused.into_response(),
        Err(UploadFailure::Api(e)) => refused(&state, &viewer, e, json_wanted).await,
    }
}

struct Uploaded {
    count: usize,
    last: Option<String>,
}

enum UploadFailure {
    Csrf,
    Api(WebError),
}

async fn read_uploads(
    state: &WebState,
    viewer: &Viewer,
    multipart: &mut multer::Multipart<'_>,
) -> Result<Uploaded, UploadFailure> {
    let core = &state.core;
    let body_error = |e: multer::Error| {
        UploadFailure::Api(WebError::from_upload(
            UploadError::Body(e.to_string()),
            viewer.dispute.as_str(),
        ))
    };
    let mut uploaded = Uploaded {
        count: 0,
        last: None,
    };
    let mut kind: Option<DocumentKind> = None;
    let mut first = true;
    while let Some(mut field) = multipart.next_field().await.map_err(body_error)? {
        let name = field.name().unwrap_or_default().to_owned();
        if first && viewer.csrf.is_some() {
            let given = if name == "csrf" {
                Some(small_text(&mut field).await.map_err(body_error)?)
            } else {
                None
            };
            viewer
                .check_csrf(given.as_deref())
                .map_err(|_| UploadFailure::Csrf)?;
            first = false;
            continue;
        }
        first = false;
        match name.as_str() {
            "kind" => {
                let text = small_text(&mut field).await.map_err(body_error)?;
                kind = match text.trim() {
                    "" => None,
                    k => Some(words::parse_kind(k).ok_or_else(|| {
                        UploadFailure::Api(WebError::bad_request("unknown kind of document"))
                    })?),
                };
            }
            "file" => {
                let filename = crate::http::multipart_filename(&field).unwrap_or_default();
                if filename.is_empty() {
                    // A file input left empty still sends its field.
                    while let Ok(Some(_)) = field.chunk().await {}
                    continue;
                }
                let filename: String = filename
                    .chars()
                    .take(crate::domain::document::MAX_FILENAME_CHARS)
                    .collect();
                let file = core
                    .receive_file(viewer.arrival(&filename), &vocab::FILE_RULES, &mut field)
                    .await
                    .map_err(|e| {
                        UploadFailure::Api(WebError::from_upload(e, viewer.dispute.as_str()))
                    })?;
                let upload = Upload { file, filename };
                let created = core
                    .create_document(
                        Some(&viewer.scope),
                        &viewer.dispute,
                        None,
                        kind,
                        None,
                        Some(upload),
                        &viewer.actor,
                    )
                    .await;
                match created {
                    Ok(doc) => {
                        uploaded.count += 1;
                        uploaded.last = Some(doc.id.to_string());
                    }
                    Err(e) => {
                        // A refused document's blob went with it (create_document).
                        return Err(UploadFailure::Api(WebError::from_upload(
                            e,
                            viewer.dispute.as_str(),
                        )));
                    }
                }
            }
            _ => while let Ok(Some(_)) = field.chunk().await {},
        }
    }
    Ok(uploaded)
}

async fn small_text(field: &mut multer::Field<'_>) -> Result<String, multer::Error> {
    let mut text = Vec::new();
    while let Some(chunk) = field.chunk().await? {
        text.extend_from_slice(&chunk);
        if text.len() > 1024 {
            break;
        }
    }
    Ok(String::from_utf8_lossy(&text).into_owned())
}

/// A posted form (`application/x-www-form-urlencoded`); anything else is answered with a page.
pub struct Form<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> FromRequest<S> for Form<T> {
    type Rejection = Response;

    async fn from_request(request: Request, state: &S) -> Result<Form<T>, Response> {
        match axum::extract::Form::<T>::from_request(request, state).await {
            Ok(axum::extract::Form(value)) => Ok(Form(value)),
            Err(rejection) => Err(pages::error_page(
                StatusCode::BAD_REQUEST,
                "Form not understood",
                &format!("The form could not be read: {}", rejection.body_text()),
            )),
        }
    }
}

/// A form with only its CSRF token.
#[derive(Debug, Deserialize)]
pub struct Plain {
    csrf: Option<String>,
}

pub async fn delete(
    State(state): State<WebState>,
    viewer: Viewer,
    axum::extract::Path(params): axum::extract::Path<Vec<(String, String)>>,
    Form(form): Form<Answer>,
) -> Response {
    if let Err(refused) = viewer.check_csrf(form.csrf.as_deref()) {
        return refused.into_response();
    }
    if form.confirm.as_deref() != Some("yes") {
        let e = WebError::bad_request("tick the box to confirm that the document goes");
        return refused(&state, &viewer, e, false).await;
    }
    let raw = params
        .iter()
        .find(|(name, _)| name == "document")
        .map(|(_, v)| v.as_str())
        .unwrap_or_default();
    let Ok(document) = Id::parse(IdKind::Document, raw) else {
        let e = WebError::document_not_found(raw);
        return refused(&state, &viewer, e, false).await;
    };
    match state
        .core
        .delete_document(&viewer.scope, &viewer.dispute, &document, &viewer.actor)
        .await
    {
        Ok(_) => back(&viewer),
        Err(r) => {
            let e = WebError::from_refusal(r, viewer.dispute.as_str(), Some(document.as_str()));
            refused(&state, &viewer, e, false).await
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct Answer {
    csrf: Option<String>,
    message: Option<String>,
    confirm: Option<String>,
}

/// Submits the explanation: the Omise update's transition.
pub async fn submit(
    State(state): State<WebState>,
    viewer: Viewer,
    Form(form): Form<Answer>,
) -> Response {
    if let Err(refused) = viewer.check_csrf(form.csrf.as_deref()) {
        return refused.into_response();
    }
    let message = form.message.unwrap_or_default();
    if message.trim().is_empty() {
        let e = WebError::bad_request("message is required");
        return refused(&state, &viewer, e, false).await;
    }
    if form.confirm.as_deref() != Some("yes") {
        let e = WebError::bad_request("tick the box to confirm the submission");
        return refused(&state, &viewer, e, false).await;
    }
    let fields = Fields {
        message: Some(message),
        ..Fields::default()
    };
    transition(&state, &viewer, Action::Submit, fields).await
}

/// Accepts the dispute: the Omise accept's transition.
pub async fn accept(
    State(state): State<WebState>,
    viewer: Viewer,
    Form(form): Form<Answer>,
) -> Response {
    if let Err(refused) = viewer.check_csrf(form.csrf.as_deref()) {
        return refused.into_response();
    }
    if form.confirm.as_deref() != Some("yes") {
        let e = WebError::bad_request("tick the box to confirm that you accept the dispute");
        return refused(&state, &viewer, e, false).await;
    }
    let fields = Fields {
        message: Some(vocab::ACCEPT_MESSAGE.to_owned()),
        ..Fields::default()
    };
    transition(&state, &viewer, Action::Concede, fields).await
}

async fn transition(state: &WebState, viewer: &Viewer, action: Action, fields: Fields) -> Response {
    match state
        .core
        .transition(
            Some(&viewer.scope),
            &viewer.dispute,
            action,
            fields,
            &viewer.actor,
        )
        .await
    {
        Ok(_) => back(viewer),
        Err(r) => {
            let e = WebError::from_refusal(r, viewer.dispute.as_str(), None);
            refused(state, viewer, e, false).await
        }
    }
}

/// A document's bytes, for the page's previews: inline, never sniffed, under a policy that
/// lets nothing in them run, and framed only by this server's pages.
pub async fn file(
    State(state): State<WebState>,
    viewer: Viewer,
    axum::extract::Path(params): axum::extract::Path<Vec<(String, String)>>,
    request: axum::http::HeaderMap,
) -> Response {
    let raw = params
        .iter()
        .find(|(name, _)| name == "document")
        .map(|(_, v)| v.as_str())
        .unwrap_or_default();
    let core = &state.core;
    let Ok(document) = Id::parse(IdKind::Document, raw) else {
        return file_not_found();
    };
    let doc = match core
        .document(Some(&viewer.scope), &viewer.dispute, &document)
        .await
    {
        Ok(Some(doc)) => doc,
        Ok(None) => return file_not_found(),
        Err(e) => return failure(e),
    };
    let Some(file) = doc.first_page else {
        return file_not_found();
    };
    let mut response = match crate::http::file_download(&core.blobs, &file, &request).await {
        Ok(Some(response)) => response,
        Ok(None) => return file_not_found(),
        Err(e) => return failure(WebError::Internal(e.into())),
    };
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; frame-ancestors 'self'"),
    );
    headers.insert(
        header::X_FRAME_OPTIONS,
        HeaderValue::from_static("SAMEORIGIN"),
    );
    let inline = format!(
        "inline; filename*=UTF-8''{}",
        utf8_percent_encode(&file.filename, NON_ALPHANUMERIC)
    );
    if let Ok(v) = HeaderValue::from_str(&inline) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    response
}

fn file_not_found() -> Response {
    pages::error_page(
        StatusCode::NOT_FOUND,
        "File not found",
        "There is no such file on this dispute.",
    )
}

/// `/web`: the dashboard when signed in, else the sign-in page.
pub async fn home(signed_in: Result<SignedIn, Response>) -> Response {
    match signed_in {
        Ok(_) => Redirect::to("/web/disputes").into_response(),
        Err(_) => access::to_login(),
    }
}

pub async fn login_form() -> Response {
    pages::page(StatusCode::OK, pages::login_page(None))
}

#[derive(Debug, Deserialize)]
pub struct Login {
    key: Option<String>,
}

/// Exchanges a secret key for a session: the key is checked as the API checks it, then
/// forgotten; the browser gets only the session's random secret, in an HttpOnly cookie.
pub async fn login(
    State(state): State<WebState>,
    headers: HeaderMap,
    address: super::limits::ClientAddress,
    Form(form): Form<Login>,
) -> Response {
    let tried = form.key.as_deref().unwrap_or_default();
    if let Err(limited) = super::limits::sign_in(&state, address.0, tried).await {
        return limited;
    }
    let refused = || {
        pages::page(
            StatusCode::UNAUTHORIZED,
            pages::login_page(Some(
                "That key was not accepted. Use a secret key of the account (skey_…).",
            )),
        )
    };
    let Some(key) = form
        .key
        .as_deref()
        .and_then(|k| SecretKey::parse(k.trim()).ok())
    else {
        return refused();
    };
    let record = match state.core.find_key(&key.hash()).await {
        Ok(Some(record)) => record,
        Ok(None) => return refused(),
        Err(e) => return failure(e),
    };
    if !key.accepted_by(&record) {
        return refused();
    }
    let (token, _csrf) = match state.core.open_session(&record, state.session_idle).await {
        Ok(opened) => opened,
        Err(e) => return failure(e),
    };
    let mut response = Redirect::to("/web/disputes").into_response();
    access::set_cookie(&mut response, &token, over_https(&state, &headers));
    response
}

pub async fn logout(
    State(state): State<WebState>,
    headers: HeaderMap,
    signed_in: Result<SignedIn, Response>,
    Form(form): Form<Plain>,
) -> Response {
    let secure = over_https(&state, &headers);
    let Ok(signed_in) = signed_in else {
        let mut response = access::to_login();
        access::clear_cookie(&mut response, secure);
        return response;
    };
    if let Err(refused) = check_csrf(&signed_in.session.csrf_token, form.csrf.as_deref()) {
        return refused.into_response();
    }
    if let Err(e) = state.core.end_session(&signed_in.token).await {
        return failure(e);
    }
    let mut response = access::to_login();
    access::clear_cookie(&mut response, secure);
    response
}

#[derive(Debug, Deserialize)]
pub struct Tab {
    status: Option<String>,
}

/// The account's disputes by status, the deadline's countdown beside each.
pub async fn dashboard(
    State(state): State<WebState>,
    signed_in: SignedIn,
    Query(tab): Query<Tab>,
) -> Response {
    let tab = tab.status.unwrap_or_else(|| "open".to_owned());
    let statuses: &[DisputeStatus] = match tab.as_str() {
        "open" => &[DisputeStatus::AwaitingEvidence],
        "pending" => &[DisputeStatus::UnderReview],
        "closed" => &[DisputeStatus::Won, DisputeStatus::Lost],
        "all" => &[],
        _ => return Redirect::to("/web/disputes").into_response(),
    };
    let core = &state.core;
    let now = match core.now_for(&signed_in.scope()).await {
        Ok(now) => now,
        Err(e) => return failure(e),
    };
    let query = ListQuery {
        limit: MAX_LIMIT,
        order: Order::ReverseChronological,
        ..ListQuery::first_page(now)
    };
    let page = match core
        .list_disputes(
            &signed_in.scope(),
            &DisputeFilter::statuses(statuses),
            &query,
        )
        .await
    {
        Ok(page) => page,
        Err(e) => return failure(e),
    };
    let markup = pages::dashboard_page(
        &signed_in.session.csrf_token,
        &tab,
        &page.items,
        page.total,
        now,
    );
    pages::page(StatusCode::OK, markup)
}

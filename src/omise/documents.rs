//! Document endpoints: upload (streamed), list, retrieve, delete, and the signed download.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::Response;
use base64::Engine;
use http_body_util::Limited;
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};

use super::auth::Caller;
use super::input::{Input, ListParams};
use super::openapi::{DisputePath, DocumentPath, Error};
use super::render::{DocumentJson, ListJson, Path, json};
use super::{ApiError, ApiResult, OmiseState, PathParams, path_id, vocab};
use crate::core::documents::Upload;
use crate::core::files::discard;
use crate::core::scans::Arrival;
use crate::core::{StoredFile, UploadError};
use crate::domain::{DisputeStatus, DocumentKind, Id, IdKind};

/// The most a whole upload request may carry, multipart framing and ignored fields included.
/// Past it the body is no longer read, even to drain it.
const MAX_UPLOAD_BODY: usize = 64 * 1024 * 1024;

pub use crate::domain::document::MAX_FILENAME_CHARS;

/// A document upload.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // Read field by field from the multipart stream; this is its shape.
pub struct UploadDocument {
    /// PNG, JPEG or PDF (told from the bytes), at most 10,485,760 bytes, that a card network
    /// accepts: a PDF that is not password-protected or damaged, has pages but at most
    /// `MAX_PDF_PAGES` (50), and carries no JavaScript, Launch action or embedded file; an
    /// image whose size reads and is at most 30 million pixels.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    #[schema(schema_with = super::openapi::kind_schema)]
    kind: Option<String>,
}

#[utoipa::path(get, operation_id = "listDocuments", path = "/disputes/{id}/documents", tag = "documents", params(DisputePath, ListParams),
    responses((status = 200, description = "The dispute's documents, paged", body = ListJson<DocumentJson>)))]
pub async fn list(
    State(state): State<OmiseState>,
    caller: Caller,
    PathParams(id): PathParams<String>,
    Input(params): Input<ListParams>,
) -> ApiResult<Response> {
    let id = path_id(IdKind::Dispute, &id, &caller)?;
    let render = state.renderer(caller.version, caller.now);
    let query = params.query(render.now)?;
    let page = state
        .core
        .list_documents(&caller.scope, &id, &query)
        .await?
        .ok_or_else(|| ApiError::dispute_not_found(id.as_str()))?;
    let items = page
        .items
        .iter()
        .map(|d| render.document(d, false))
        .collect();
    Ok(json(&render.list(
        items,
        page.total,
        &query,
        Path::of(&["/disputes/", id.as_str(), "/documents"]),
    )))
}

fn ids(caller: &Caller, dispute: &str, document: &str) -> ApiResult<(Id, Id)> {
    Ok((
        path_id(IdKind::Dispute, dispute, caller)?,
        path_id(IdKind::Document, document, caller)?,
    ))
}

#[utoipa::path(get, operation_id = "retrieveDocument", path = "/disputes/{id}/documents/{document}", tag = "documents", params(DisputePath, DocumentPath),
    responses((status = 200, description = "The document", body = DocumentJson)))]
pub async fn retrieve(
    State(state): State<OmiseState>,
    caller: Caller,
    PathParams((dispute, document)): PathParams<(String, String)>,
) -> ApiResult<Response> {
    let (dispute, document) = ids(&caller, &dispute, &document)?;
    let doc = state
        .core
        .document(Some(&caller.scope), &dispute, &document)
        .await?
        .ok_or_else(|| ApiError::document_not_found(document.as_str()))?;
    Ok(json(
        &state
            .renderer(caller.version, caller.now)
            .document(&doc, false),
    ))
}

#[utoipa::path(delete, operation_id = "destroyDocument", path = "/disputes/{id}/documents/{document}", tag = "documents", params(DisputePath, DocumentPath),
    responses((status = 200, description = "The deleted document (deleted: true); its file is gone", body = DocumentJson),
        (status = 422, description = "The dispute is not open (dispute_not_open), or the document was submitted (document_already_submitted)", body = Error)))]
pub async fn destroy(
    State(state): State<OmiseState>,
    caller: Caller,
    PathParams((dispute, document)): PathParams<(String, String)>,
) -> ApiResult<Response> {
    let (dispute, document) = ids(&caller, &dispute, &document)?;
    let doc = state
        .core
        .delete_document(&caller.scope, &dispute, &document, &caller.actor)
        .await
        .map_err(|r| ApiError::from_refusal(r, dispute.as_str(), Some(document.as_str())))?;
    Ok(json(
        &state
            .renderer(caller.version, caller.now)
            .document(&doc, true),
    ))
}

#[utoipa::path(post, operation_id = "uploadDocument", path = "/disputes/{id}/documents", tag = "documents", params(DisputePath),
    request_body(content = UploadDocument, content_type = "multipart/form-data"),
    responses((status = 200, description = "The new document", body = DocumentJson),
        (status = 400, description = "Not PNG, JPEG or PDF, or one a card network would refuse, or clamd found malware in it, the message saying why (invalid_file_type), or a malformed upload (bad_request)", body = Error),
        (status = 413, description = "Larger than 10,485,760 bytes, or than clamd scans (file_too_large)", body = Error),
        (status = 422, description = "The dispute is not open (dispute_not_open)", body = Error),
        (status = 503, description = "The database or, with SCAN_URL, clamd is unavailable: nothing was stored; retry after Retry-After (service_unavailable)", body = Error)))]
/// `multipart/form-data` with `file` (required) and `kind` (optional), streamed into the blob
/// store as it arrives.
pub async fn upload(
    State(state): State<OmiseState>,
    caller: Caller,
    PathParams(id): PathParams<String>,
    request: Request,
) -> ApiResult<Response> {
    let id = path_id(IdKind::Dispute, &id, &caller)?;
    let core = &state.core;
    // Refuse before any byte is stored; the guarded insert decides for good.
    match core.dispute_status(&caller.scope, &id).await? {
        None => return Err(ApiError::dispute_not_found(id.as_str())),
        Some(DisputeStatus::AwaitingEvidence) => {}
        Some(_) => {
            return Err(ApiError::DisputeNotOpen(format!(
                "dispute {id} is not open"
            )));
        }
    }
    let boundary = request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| multer::parse_boundary(v).ok())
        .ok_or_else(|| {
            ApiError::bad_request("the body must be multipart/form-data with a file field")
        })?;
    let body = Body::new(Limited::new(request.into_body(), MAX_UPLOAD_BODY));
    let mut multipart = multer::Multipart::new(body.into_data_stream(), boundary);

    let fields = match read_fields(&state, &caller, &id, &mut multipart).await {
        Ok(fields) => fields,
        Err(e) => {
            if matches!(
                e,
                FieldError::Upload(
                    UploadError::TooLarge
                        | UploadError::InvalidFileType
                        | UploadError::Malware(_)
                        | UploadError::TooLargeToScan
                        | UploadError::ScannerUnavailable(_)
                )
            ) || matches!(e, FieldError::Refused(_))
            {
                // Read the rest so that the client, still sending, gets this answer.
                while let Ok(Some(mut field)) = multipart.next_field().await {
                    while let Ok(Some(_)) = field.chunk().await {}
                }
            }
            return Err(e.into_api(id.as_str()));
        }
    };
    let Some(file) = fields.file else {
        return Err(ApiError::bad_request("file is required"));
    };
    let upload = Upload {
        file,
        filename: fields.filename.unwrap_or_else(|| "document".to_owned()),
    };
    let doc = core
        .create_document(
            Some(&caller.scope),
            &id,
            None,
            fields.kind,
            None,
            Some(upload),
            &caller.actor,
        )
        .await
        .map_err(|e| ApiError::from_upload(e, id.as_str()))?;
    Ok(json(
        &state
            .renderer(caller.version, caller.now)
            .document(&doc, false),
    ))
}

/// The fields of an upload that matter.
#[derive(Default)]
struct Fields {
    file: Option<StoredFile>,
    filename: Option<String>,
    kind: Option<DocumentKind>,
}

/// Why reading an upload's fields failed.
enum FieldError {
    Upload(UploadError),
    /// A field other than the file is wrong: refused as soon as it is read.
    Refused(ApiError),
}

impl FieldError {
    fn into_api(self, dispute: &str) -> ApiError {
        match self {
            FieldError::Upload(e) => ApiError::from_upload(e, dispute),
            FieldError::Refused(e) => e,
        }
    }
}

impl From<UploadError> for FieldError {
    fn from(e: UploadError) -> FieldError {
        FieldError::Upload(e)
    }
}

/// Reads every field: the first `file` into the blob store, `kind` as text (checked as soon as
/// it arrives, so a bad kind sent first refuses the upload before its file streams), the rest
/// skipped. A stored file is removed again if a later field fails.
async fn read_fields(
    state: &OmiseState,
    caller: &Caller,
    dispute: &Id,
    multipart: &mut multer::Multipart<'_>,
) -> Result<Fields, FieldError> {
    let mut fields = Fields::default();
    let outcome: Result<(), FieldError> = async {
        while let Some(mut field) = multipart
            .next_field()
            .await
            .map_err(|e| UploadError::Body(e.to_string()))?
        {
            match field.name() {
                Some("file") if fields.file.is_none() => {
                    let filename = crate::http::multipart_filename(&field)
                        .unwrap_or_else(|| "document".to_owned());
                    if filename.chars().count() > MAX_FILENAME_CHARS {
                        return Err(FieldError::Refused(ApiError::bad_request(format!(
                            "filename is too long (at most {MAX_FILENAME_CHARS} characters)"
                        ))));
                    }
                    let arrival = Arrival {
                        scope: Some(&caller.scope),
                        dispute,
                        document: None,
                        filename: &filename,
                        actor: &caller.actor,
                    };
                    let core = &state.core;
                    let file = core.receive_file(arrival, &vocab::FILE_RULES, &mut field);
                    fields.file = Some(file.await?);
                    fields.filename = Some(filename);
                }
                Some("kind") => {
                    let text = small_text(&mut field).await?;
                    fields.kind = parse_kind(&text).map_err(FieldError::Refused)?;
                }
                _ => {}
            }
        }
        Ok(())
    }
    .await;
    match outcome {
        Ok(()) => Ok(fields),
        Err(e) => {
            if let Some(f) = fields.file {
                discard(&state.core.blobs, &f.blob_key).await;
            }
            Err(e)
        }
    }
}

/// A short text field, refused past 256 bytes.
async fn small_text(field: &mut multer::Field<'_>) -> Result<String, UploadError> {
    let mut text = Vec::new();
    while let Some(chunk) = field
        .chunk()
        .await
        .map_err(|e| UploadError::Body(e.to_string()))?
    {
        text.extend_from_slice(&chunk);
        if text.len() > 256 {
            return Err(UploadError::Body("a text field is too long".into()));
        }
    }
    String::from_utf8(text).map_err(|_| UploadError::Body("a text field is not UTF-8".into()))
}

fn parse_kind(kind: &str) -> ApiResult<Option<DocumentKind>> {
    match kind.trim() {
        "" => Ok(None),
        k => vocab::parse_kind(k).map(Some).ok_or_else(|| {
            ApiError::bad_request(
                "kind must be one of cardholder_details, details_of_purchase, proof_of_receipt, proof_of_acceptance",
            )
        }),
    }
}

#[utoipa::path(get, operation_id = "downloadDocument", path = "/disputes/{id}/documents/{document}/downloads/{token}", tag = "documents", security(()),
    params(DisputePath, DocumentPath, ("token" = String, Path, description = "The signed token from download_uri")),
    responses((status = 200, description = "The file, with Content-Disposition: attachment, its SHA-256 in Repr-Digest and as the ETag, and Accept-Ranges: bytes",
            content(("application/pdf"), ("image/png"), ("image/jpeg"))),
        (status = 206, description = "The one byte range a Range header asked for (Content-Range), unless an If-Range names another ETag",
            content(("application/pdf"), ("image/png"), ("image/jpeg"))),
        (status = 416, description = "A Range outside the file (Content-Range: bytes */size)"),
        (status = 404, description = "Unknown, deleted, expired or tampered", body = Error)))]
/// The file itself, for anyone holding an unexpired signed link; no key needed. A `Range` of
/// one byte range (with `If-Range` to resume safely) gets that part.
pub async fn download(
    State(state): State<OmiseState>,
    PathParams((dispute, document, token)): PathParams<(String, String, String)>,
    request: HeaderMap,
) -> ApiResult<Response> {
    let gone = || ApiError::NotFound("the download link is invalid or has expired".into());
    let (Ok(dispute), Ok(document)) = (
        Id::parse(IdKind::Dispute, &dispute),
        Id::parse(IdKind::Document, &document),
    ) else {
        return Err(gone());
    };
    let core = &state.core;
    if !core.signer.verify(&document, &token, core.clock.now()) {
        return Err(gone());
    }
    let doc = core
        .document(None, &dispute, &document)
        .await?
        .ok_or_else(gone)?;
    // A test clock only runs ahead of the real one, so a link the real clock refused was
    // expired on it too; test mode checks again on its own clock.
    if doc.mode == crate::domain::Mode::Test
        && !core.signer.verify(
            &document,
            &token,
            core.now_in(&doc.account, doc.mode).await?,
        )
    {
        return Err(gone());
    }
    let file = doc.first_page.ok_or_else(gone)?;
    let mut response = crate::http::file_download(&core.blobs, &file, &request)
        .await
        .map_err(|e| ApiError::Internal(e.into()))?
        .ok_or_else(gone)?;
    let headers = response.headers_mut();
    set(
        headers,
        CONTENT_DISPOSITION,
        &content_disposition(&file.filename),
    );
    let digest = hex::decode(&file.sha256).map_err(|e| ApiError::Internal(e.into()))?;
    let digest = base64::engine::general_purpose::STANDARD.encode(digest);
    set(headers, "repr-digest", &format!("sha-256=:{digest}:"));
    Ok(response)
}

fn set(headers: &mut HeaderMap, name: impl axum::http::header::IntoHeaderName, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        headers.insert(name, v);
    }
}

/// `attachment` with an ASCII fallback name that cannot break out of the header or name a
/// path, and the original (control characters removed) in RFC 5987 form.
pub fn content_disposition(filename: &str) -> String {
    let base = filename.rsplit(['/', '\\']).next().unwrap_or_default();
    let ascii: String = base
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ' ') {
                c
            } else {
                '_'
            }
        })
        .take(150)
        .collect();
    let ascii = ascii.trim_start_matches(['.', ' ']).trim_end();
    let ascii = if ascii.is_empty() { "document" } else { ascii };
    let clean: String = base
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_FILENAME_CHARS)
        .collect();
    let clean = if clean.trim().is_empty() {
        ascii.to_owned()
    } else {
        clean
    };
    format!(
        "attachment; filename=\"{ascii}\"; filename*=UTF-8''{}",
        utf8_percent_encode(&clean, NON_ALPHANUMERIC)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_disposition_is_always_a_safe_attachment() {
        for name in [
            "../../etc/passwd",
            "a\"b\r\nSet-Cookie: x=1.png",
            "évidence 証拠.pdf",
            "..",
            "",
            &"x".repeat(1000),
        ] {
            let value = content_disposition(name);
            assert!(value.starts_with("attachment; filename=\""), "{value}");
            assert!(HeaderValue::from_str(&value).is_ok(), "{value}");
            assert!(
                !value.contains('/') && !value.contains('\\') && !value.contains('\r'),
                "{value}"
            );
            let fallback = value.split('"').nth(1).unwrap();
            assert!(
                !fallback.is_empty() && !fallback.starts_with('.'),
                "{value}"
            );
        }
    }
}

//! The committed OpenAPI 3.1 document (`openapi.json`, served at `/openapi.json`): the Omise
//! dialect's routes, the operator's under `/ops/`, and the document itself, each generated from
//! the handlers' own annotations and request and response structs (so it cannot drift from
//! them), plus what annotations cannot say, said from the code that decides it.

use axum::http::HeaderValue;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use utoipa::Modify;
use utoipa::openapi::path::Operation;
use utoipa::openapi::path::{ParameterBuilder, ParameterIn};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr, ResponseBuilder};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::domain::IdKind;
use crate::omise::ApiError;
use crate::omise::disputes::{OpenDispute, UpdateDispute};
use crate::omise::documents::UploadDocument;
use crate::omise::openapi::{Error, VERSIONS, string_enum};

/// Errors every operation can answer with, by the kind of path; the others are annotated per
/// operation. Merchant operations also all take `Omise-Version`.
struct CommonErrors;

const MERCHANT_ERRORS: [(&str, &str); 6] = [
    (
        "400",
        "A malformed parameter, body or id, or an unknown Omise-Version",
    ),
    ("401", "No valid secret key"),
    ("404", "Not found, or not the caller's"),
    (
        "429",
        "The key's per-minute budget is spent (RATE_LIMIT); see Retry-After",
    ),
    ("500", "An internal error"),
    ("503", "The database is unavailable"),
];

fn error_response(description: &str) -> utoipa::openapi::Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(RefOr::Ref(Ref::from_schema_name("Error"))))
                .build(),
        )
        .build()
}

fn version_header() -> utoipa::openapi::path::Parameter {
    ParameterBuilder::new()
        .name("Omise-Version")
        .parameter_in(ParameterIn::Header)
        .description(Some(
            "The response shape: 2019-05-29 (default) or 2017-11-02 and older",
        ))
        .schema(Some(string_enum(VERSIONS, "an Omise API version")))
        .build()
}

impl Modify for CommonErrors {
    fn modify(&self, openapi: &mut OpenApi) {
        for (path, item) in openapi.paths.paths.iter_mut() {
            let merchant = path.starts_with("/disputes") && !path.contains("/downloads/")
                || path.starts_with("/charges")
                || path.starts_with("/events")
                || path.starts_with("/test/")
                || path == "/search";
            let health = ["/healthz", "/readyz", "/openapi.json"].contains(&path.as_str());
            let errors: &[(&str, &str)] = match (merchant, health) {
                (true, _) => &MERCHANT_ERRORS,
                (false, true) => &MERCHANT_ERRORS[4..5],
                (false, false) => &MERCHANT_ERRORS[4..],
            };
            let operations: [&mut Option<Operation>; 4] = [
                &mut item.get,
                &mut item.post,
                &mut item.patch,
                &mut item.delete,
            ];
            for operation in operations.into_iter().flatten() {
                for (status, description) in errors {
                    operation
                        .responses
                        .responses
                        .entry((*status).to_owned())
                        .or_insert_with(|| error_response(description).into());
                }
                if merchant {
                    operation
                        .parameters
                        .get_or_insert_with(Vec::new)
                        .push(version_header().into());
                }
            }
        }
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "secret_key",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Basic)),
        );
        components.add_security_scheme(
            "ops_token",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "dispute-docs",
        description = "An Omise-compatible dispute documents API. Merchant operations authenticate with HTTP Basic: \
                       the secret key as the user, an empty password. Responses take the 2019-05-29 shape unless \
                       `Omise-Version: 2017-11-02` asks for the older one (`created`, lower-case currency, `transaction`).",
    ),
    security(("secret_key" = [])),
    components(schemas(Error, UpdateDispute, OpenDispute, UploadDocument)),
    tags(
        (name = "disputes", description = "The merchant's disputes"),
        (name = "documents", description = "Evidence documents on a dispute"),
        (name = "search", description = "Omise's Search API, scope dispute"),
        (name = "evidence_links", description = "Beyond Omise: links that open one dispute's evidence page in a browser, without the key"),
        (name = "ops", description = "The operator's side: accounts, keys, the bank's decisions (bearer token)"),
        (name = "health", description = "Liveness and readiness"),
    )
)]
pub struct ApiDoc;

/// The whole document: the annotated routes merged into `ApiDoc`, with the conventions
/// every operation shares, then made as strict as the server is.
pub fn document() -> Value {
    let mut base = <ApiDoc as utoipa::OpenApi>::openapi();
    let (_, omise) = crate::omise::routes().split_for_parts();
    base.merge(omise);
    let (_, own) = OpenApiRouter::<()>::new()
        .routes(routes!(openapi_json))
        .split_for_parts();
    base.merge(own);
    let (_, ops) = crate::ops::routes().split_for_parts();
    base.merge(ops);
    CommonErrors.modify(&mut base);
    let mut doc = serde_json::to_value(&base).expect("the OpenAPI document serializes");
    tighten(&mut doc);
    doc
}

/// The document as served and as committed in `openapi.json`.
pub fn document_json() -> String {
    let mut text =
        serde_json::to_string_pretty(&document()).expect("the OpenAPI document serializes");
    text.push('\n');
    text
}

/// What annotations cannot say, said from the code that decides it: id patterns from
/// `IdKind::pattern`, the error codes from `ApiError::CODES`, each object's `object` value,
/// the file types an upload takes, optional bodies, and the headers downloads and refusals carry.
fn tighten(doc: &mut Value) {
    for (path, item) in doc["paths"].as_object_mut().into_iter().flatten() {
        for (method, op) in item.as_object_mut().into_iter().flatten() {
            if !path.starts_with("/ops/") && ["post", "patch", "delete"].contains(&method.as_str())
            {
                idempotent(op);
            }
            // Read with get_mut: indexing a missing key would insert a null.
            let params = op.get_mut("parameters").and_then(Value::as_array_mut);
            for param in params.into_iter().flatten() {
                if param["in"] != "path" {
                    continue;
                }
                let pattern = match param["name"].as_str() {
                    Some("document") => IdKind::Document.pattern(),
                    Some("link") => IdKind::EvidenceLink.pattern(),
                    Some("token") => "^[0-9]+\\.[A-Za-z0-9_-]+$".to_owned(),
                    _ if path.starts_with("/charges/") => IdKind::Charge.pattern(),
                    _ if path.starts_with("/events/") => IdKind::Event.pattern(),
                    Some("id") if path.contains("/webhooks/") => IdKind::Endpoint.pattern(),
                    Some("id") if path.starts_with("/ops/deliveries/") => continue,
                    _ if path.starts_with("/ops/accounts/") => IdKind::Account.pattern(),
                    _ if path.starts_with("/ops/keys/") => IdKind::Key.pattern(),
                    _ => IdKind::Dispute.pattern(),
                };
                param["schema"]["pattern"] = pattern.into();
            }
            if let Some(refused) = op.get_mut("responses").and_then(|r| r.get_mut("401")) {
                let challenge = if path.starts_with("/ops/") {
                    "^Bearer "
                } else {
                    "^Basic "
                };
                refused["headers"] = json!({"WWW-Authenticate": {"required": true, "schema": {"type": "string", "pattern": challenge}}});
            }
            if [
                "issueKey",
                "reopenDispute",
                "openTestDispute",
                "resetTestData",
                "createEvidenceLink",
            ]
            .contains(
                &op.get("operationId")
                    .and_then(Value::as_str)
                    .unwrap_or_default(),
            ) {
                op["requestBody"]["required"] = false.into();
            }
        }
    }
    let upload = &mut doc["paths"]["/disputes/{id}/documents"]["post"]["requestBody"]["content"]["multipart/form-data"];
    upload["encoding"] = json!({"file": {"contentType": "application/pdf, image/png, image/jpeg"}});
    doc["paths"]["/disputes/{id}/documents/{document}/downloads/{token}"]["get"]["responses"]["200"]
        ["headers"] = json!({
        "Content-Length": {"required": true, "schema": {"type": "integer", "minimum": 0}},
        "Content-Disposition": {"required": true, "schema": {"type": "string", "pattern": "^attachment(;|$)"}},
        "X-Content-Type-Options": {"required": true, "schema": {"type": "string", "enum": ["nosniff"]}},
        "Repr-Digest": {"required": true, "schema": {"type": "string", "pattern": "^sha-256=:[A-Za-z0-9+/]{43}=:$"}},
    });
    let schemas = &mut doc["components"]["schemas"];
    for (name, object) in [
        ("DisputeJson", "dispute"),
        ("DocumentJson", "document"),
        ("TransactionJson", "transaction"),
        ("ListJson_DisputeJson", "list"),
        ("ListJson_DocumentJson", "list"),
        ("Error", "error"),
        ("AccountJson", "account"),
        ("KeyJson", "key"),
        ("RevokedKeyJson", "key"),
        ("Health", "health"),
        ("EvidenceLinkJson", "evidence_link"),
        ("SearchJson", "search"),
    ] {
        schemas[name]["properties"]["object"]["const"] = object.into();
    }
    let error = &mut schemas["Error"]["properties"];
    let mut codes = ApiError::CODES.to_vec();
    // the operator's own codes, beside the merchant's
    codes.push(crate::ops::OpsError::NotSubmitted(String::new()).code());
    codes.push(crate::ops::OpsError::NotConfigured(String::new()).code());
    error["code"]["enum"] = json!(codes);
    error["location"]["pattern"] = "^https://www\\.omise\\.co/api-errors#[a-z-]+$".into();
    let open = &mut schemas["OpsOpenDispute"]["properties"];
    open["account"]["pattern"] = IdKind::Account.pattern().into();
    open["charge"]["pattern"] = IdKind::Charge.pattern().into();
}

/// A merchant's POST, PATCH or DELETE takes an `Idempotency-Key` (`omise::idempotency`), and
/// may then answer 409 or 422 for it.
fn idempotent(op: &mut Value) {
    let key = json!({
        "name": "Idempotency-Key", "in": "header", "required": false,
        "description": "Makes a retry safe: the first answer to this key is replayed to the same request for 24 hours (beyond Omise).",
        "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"},
    });
    match op.get_mut("parameters").and_then(Value::as_array_mut) {
        Some(params) => params.push(key),
        None => op["parameters"] = json!([key]),
    }
    let error = json!({"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}});
    let responses = &mut op["responses"];
    responses["409"] = json!({"description": "A request with this Idempotency-Key is still running (idempotency_key_in_use)", "content": error});
    if responses.get("422").is_none() {
        responses["422"] = json!({"description": "This Idempotency-Key was used with another request (idempotency_key_reused)", "content": error});
    }
}

/// This API's OpenAPI 3.1 document.
#[utoipa::path(get, operation_id = "openapi", path = "/openapi.json", tag = "health", security(()),
    responses((status = 200, description = "The OpenAPI document", content_type = "application/json")))]
pub async fn openapi_json() -> Response {
    static DOCUMENT: std::sync::LazyLock<bytes::Bytes> =
        std::sync::LazyLock::new(|| document_json().into());
    let mut response = DOCUMENT.clone().into_response();
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    response
}

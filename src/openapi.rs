//! The OpenAPI 3.1 document, generated from the handlers' own annotations and the response
//! structs (so it cannot drift from them), plus what only the document needs: request-body
//! shapes that handlers read through `Params`, enums built from the domain's own value lists,
//! and the error responses every merchant operation can give.

use serde_json::{Value, json};
use utoipa::openapi::path::Operation;
use utoipa::openapi::path::{ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{Object, ObjectBuilder, SchemaType, Type};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr, ResponseBuilder};
use utoipa::{IntoParams, Modify, ToSchema};

use crate::domain::dispute::REASONS;
use crate::domain::{DisputeStatus, DocumentKind, IdKind, Order};
use crate::omise::ApiError;

fn string_enum<'a>(values: impl IntoIterator<Item = &'a str>, description: &str) -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(values.into_iter().map(Value::from)))
        .description(Some(description))
        .build()
}

pub fn status_schema() -> Object {
    string_enum(
        DisputeStatus::ALL.iter().map(|s| s.as_str()),
        "open, pending, won or lost",
    )
}

pub fn kind_schema() -> Object {
    string_enum(
        DocumentKind::ALL.iter().map(|k| k.as_str()),
        "what the document proves",
    )
}

pub fn optional_kind_schema() -> Object {
    nullable_enum(
        DocumentKind::ALL.iter().map(|k| k.as_str()),
        "what the document proves, if said",
    )
}

fn nullable_enum<'a>(values: impl IntoIterator<Item = &'a str>, description: &str) -> Object {
    let mut values: Vec<Value> = values.into_iter().map(Value::from).collect();
    values.push(Value::Null);
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .enum_values(Some(values))
        .description(Some(description))
        .build()
}

pub fn nullable_reason_schema() -> Object {
    nullable_enum(
        REASONS.iter().map(|r| r.code()),
        "the card network's dispute reason",
    )
}

pub fn outcome_schema() -> Object {
    string_enum(["won", "lost"], "the bank's decision")
}

pub fn mode_schema() -> Object {
    nullable_enum(["test", "live"], "test (default) or live")
}

pub fn version_schema() -> Object {
    nullable_enum(
        VERSIONS,
        "the account's default Omise-Version (default 2019-05-29)",
    )
}

pub fn reason_schema() -> Object {
    string_enum(
        REASONS.iter().map(|r| r.code()),
        "the card network's dispute reason",
    )
}

const ORDERS: [Order; 2] = [Order::Chronological, Order::ReverseChronological];

pub fn order_schema() -> Object {
    string_enum(ORDERS.map(Order::as_str), "record order")
}

pub fn nullable_order_schema() -> Object {
    nullable_enum(
        ORDERS.map(Order::as_str),
        "record order (null in 2017-11-02 embedded lists)",
    )
}

/// The Omise-Version values accepted.
pub const VERSIONS: [&str; 4] = ["2019-05-29", "2017-11-02", "2015-11-17", "2014-07-27"];

/// An Omise error object.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct Error {
    /// Always `error`.
    object: String,
    /// `https://www.omise.co/api-errors#<code>`.
    location: String,
    /// What went wrong, in a word (the statuses of SPEC §4).
    code: String,
    /// A short, safe explanation.
    message: String,
}

/// The dispute a merchant path names.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
pub struct DisputePath {
    /// A dispute id (dspt_test_… or dspt_…)
    id: String,
}

/// The document a merchant path names.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
pub struct DocumentPath {
    /// A document id (docu_test_… or docu_…)
    document: String,
}

/// The paging parameters every list takes.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct ListParams {
    /// How many records to skip (default 0).
    #[param(minimum = 0)]
    offset: Option<i64>,
    /// How many records to return (default 20).
    #[param(minimum = 1, maximum = 100)]
    limit: Option<i64>,
    /// The earliest creation time (default 1970-01-01T00:00:00Z).
    #[param(format = DateTime)]
    from: Option<String>,
    /// The latest creation time (default: now).
    #[param(format = DateTime)]
    to: Option<String>,
    /// chronological (default) or reverse_chronological.
    #[param(schema_with = order_schema)]
    order: Option<String>,
}

/// The merchant's explanation. Sent as JSON or as a form (`metadata[key]=value`).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct UpdateDispute {
    /// Required, not empty.
    #[schema(min_length = 1)]
    message: String,
    /// Replaces the dispute's metadata (at most 16 KiB as JSON).
    #[schema(value_type = Option<Object>)]
    metadata: Option<Value>,
}

/// Test mode: the dispute to open on the charge.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct OpenDispute {
    /// In the currency's smallest unit (default 100000).
    #[schema(minimum = 1)]
    amount: Option<i64>,
    /// ISO 4217 (default THB).
    #[schema(pattern = "^[A-Za-z]{3}$")]
    currency: Option<String>,
    /// Default goods_or_services_not_provided.
    #[schema(schema_with = nullable_reason_schema)]
    reason_code: Option<String>,
}

/// A document upload.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct UploadDocument {
    /// PNG, JPEG or PDF (told from the bytes), at most 10,485,760 bytes.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    #[schema(schema_with = kind_schema)]
    kind: Option<String>,
}

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
                || path.starts_with("/charges");
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
        (name = "ops", description = "The operator's side: accounts, keys, the bank's decisions (bearer token)"),
        (name = "health", description = "Liveness and readiness"),
    )
)]
pub struct ApiDoc;

/// The whole document: the annotated routes merged into `ApiDoc`, with the conventions
/// every operation shares, then made as strict as the server is.
pub fn document() -> Value {
    let (_, doc) = crate::app::routes().split_for_parts();
    let mut base = <ApiDoc as utoipa::OpenApi>::openapi();
    base.merge(doc);
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
        for (_, op) in item.as_object_mut().into_iter().flatten() {
            // Read with get_mut: indexing a missing key would insert a null.
            let params = op.get_mut("parameters").and_then(Value::as_array_mut);
            for param in params.into_iter().flatten() {
                if param["in"] != "path" {
                    continue;
                }
                let pattern = match param["name"].as_str() {
                    Some("document") => IdKind::Document.pattern(),
                    Some("token") => "^[0-9]+\\.[A-Za-z0-9_-]+$".to_owned(),
                    _ if path.starts_with("/charges/") => IdKind::Charge.pattern(),
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
            if ["issueKey", "reopenDispute", "openTestDispute"].contains(
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
    ] {
        schemas[name]["properties"]["object"]["const"] = object.into();
    }
    let error = &mut schemas["Error"]["properties"];
    error["code"]["enum"] = json!(ApiError::CODES);
    error["location"]["pattern"] = "^https://www\\.omise\\.co/api-errors#[a-z-]+$".into();
    let open = &mut schemas["OpsOpenDispute"]["properties"];
    open["account"]["pattern"] = IdKind::Account.pattern().into();
    open["charge"]["pattern"] = IdKind::Charge.pattern().into();
}

//! The Mangopay dialect's OpenAPI document (`openapi-mangopay.json`, served at
//! `/v2.01/openapi.json`): its routes' own annotations, and the shapes below that handlers read
//! field by field (the SDKs send more than these; unknown fields are ignored).

use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{IntoParams, Modify, OpenApi, ToSchema};

/// Mangopay's error body; `errors` is always there.
#[derive(ToSchema)]
#[allow(dead_code)]
#[schema(as = Error)]
pub struct Error {
    #[schema(rename = "Message")]
    message: String,
    /// param_error, ressource_not_found, invalid_credentials, …
    #[schema(rename = "Type")]
    kind: String,
    #[schema(rename = "Id")]
    id: String,
    #[schema(rename = "Date")]
    date: i64,
    /// Field -> reason, or null.
    #[schema(value_type = Option<Object>, required)]
    errors: Option<serde_json::Value>,
}

/// Paging, sorting and filters (names in any letter case).
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code, non_snake_case)]
pub struct ListParams {
    /// Page number, from 1 (default 1).
    #[param(minimum = 1)]
    page: Option<i64>,
    /// Records per page (default 10; more than 100 is read as 100).
    #[param(minimum = 1)]
    per_page: Option<i64>,
    /// CreationDate:ASC or CreationDate:DESC (default); the direction in any letter case.
    #[param(pattern = "^CreationDate:([Aa][Ss][Cc]|[Dd][Ee][Ss][Cc])$")]
    Sort: Option<String>,
    /// Only records created before this Unix time.
    BeforeDate: Option<i64>,
    /// Only records created after this Unix time.
    AfterDate: Option<i64>,
    /// Status values, comma-separated or repeated.
    Status: Option<String>,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct TagBody {
    /// At most 255 characters; null clears it.
    #[schema(rename = "Tag", max_length = 255)]
    tag: Option<String>,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct Money {
    #[schema(rename = "Currency")]
    currency: String,
    #[schema(rename = "Amount", minimum = 1)]
    amount: i64,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ContestBody {
    /// Required the first time a contestable dispute is submitted.
    #[schema(rename = "ContestedFunds")]
    contested_funds: Option<Money>,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct NewDocumentBody {
    #[schema(
        rename = "Type",
        pattern = "^(DELIVERY_PROOF|INVOICE|REFUND_PROOF|USER_CORRESPONDANCE|USER_ACCEPTANCE_PROOF|PRODUCT_REPLACEMENT_PROOF|OTHER)$"
    )]
    kind: String,
    #[schema(rename = "Tag", max_length = 255)]
    tag: Option<String>,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct SubmitDocumentBody {
    #[schema(rename = "Status", pattern = "^VALIDATION_ASKED$")]
    status: String,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct PageBody {
    /// The page in standard base64: a PDF, JPEG, GIF or PNG of 1 KB to 7 MB.
    #[schema(rename = "File")]
    file: String,
}

struct Security;

/// The errors every operation can answer with, by kind of operation, and the bodies that may be
/// left out (an empty body is an empty object).
fn common_errors(openapi: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::{ContentBuilder, Ref, RefOr, Required, ResponseBuilder};
    let error = |description: &str| {
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(RefOr::Ref(Ref::from_schema_name("Error"))))
                    .build(),
            )
            .build()
    };
    for (path, item) in openapi.paths.paths.iter_mut() {
        let public = path == "/oauth/token" || path.starts_with("/consult/");
        for op in [&mut item.get, &mut item.post, &mut item.put]
            .into_iter()
            .flatten()
        {
            let mut errors = vec![
                ("500", "An internal error"),
                ("503", "The database is unavailable"),
            ];
            if !public {
                errors.push(("400", "A malformed parameter, body or state (param_error)"));
                errors.push((
                    "401",
                    "No valid bearer token for this ClientId (invalid_credentials)",
                ));
                errors.push((
                    "404",
                    "Not found, or not the caller's (ressource_not_found)",
                ));
            }
            for (status, description) in errors {
                op.responses
                    .responses
                    .entry(status.to_owned())
                    .or_insert_with(|| error(description).into());
            }
            // Bodies whose fields are all optional may be left out; a document's Type and a
            // submit's Status may not (nor a page's File, nor a hook's EventType and Url).
            let needed = [
                "createHook",
                "createDisputeDocument",
                "submitDisputeDocument",
                "createDisputeDocumentPage",
            ];
            let needs_body = op
                .operation_id
                .as_deref()
                .is_some_and(|id| needed.contains(&id));
            if let Some(RefOr::T(body)) = &mut op.request_body {
                if !needs_body {
                    body.required = Some(Required::False);
                }
            }
        }
    }
}

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
        components.add_security_scheme(
            "client_credentials",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Basic)),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "dispute-docs: the Mangopay dialect",
        description = "Mangopay's dispute and dispute-document API (v2.01), served under /v2.01. Get a bearer \
                       token from /oauth/token with HTTP Basic ClientId:ApiKey, then call /{ClientId}/….",
    ),
    servers((url = "/v2.01")),
    security(("bearer" = [])),
    modifiers(&Security),
    tags(
        (name = "auth", description = "OAuth2 client credentials"),
        (name = "disputes", description = "Disputes"),
        (name = "documents", description = "Dispute documents and their pages"),
        (name = "idempotency", description = "Answers kept for Idempotency-Key"),
    )
)]
struct ApiDoc;

/// The whole document.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    let (_, routes) = super::routes().split_for_parts();
    doc.merge(routes);
    common_errors(&mut doc);
    doc
}

/// The document as served and as committed in `openapi-mangopay.json`.
pub fn document_json() -> String {
    let mut text = document()
        .to_pretty_json()
        .expect("the OpenAPI document serializes");
    text.push('\n');
    text
}

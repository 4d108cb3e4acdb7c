//! Beyond Omise: test mode for merchants' own integration tests. `POST /test/reset` removes the
//! calling account's test-mode disputes (with their documents, blobs, history, events and
//! deliveries) and its test idempotency records, and with `{"reseed": true}` loads the demo
//! fixture's test disputes of that account again. Live keys get 404, as for any unknown path.

use axum::extract::State;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::Caller;
use super::input::Input;
use super::render::json;
use super::{ApiError, ApiResult, OmiseState};
use crate::domain::Mode;
use crate::http::lenient;

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct ResetParams {
    /// Load the demo fixture's test disputes of this account again afterwards.
    #[schema(value_type = Option<bool>)]
    #[serde(default, deserialize_with = "lenient::boolean")]
    reseed: Option<bool>,
}

#[derive(Serialize, ToSchema)]
pub struct ResetJson {
    object: &'static str,
    livemode: bool,
    /// Test disputes removed.
    deleted: usize,
    /// Demo test disputes loaded again.
    reseeded: usize,
}

#[utoipa::path(post, operation_id = "resetTestData", path = "/test/reset", tag = "test",
    request_body(content((ResetParams = "application/json"), (ResetParams = "application/x-www-form-urlencoded")), description = "Optional"),
    responses((status = 200, description = "The account's test data is gone (and the demo's back, if asked)", body = ResetJson)))]
pub async fn reset(
    State(state): State<OmiseState>,
    caller: Caller,
    Input(params): Input<ResetParams>,
) -> ApiResult<Response> {
    if caller.scope.mode != Mode::Test {
        return Err(ApiError::NotFound(
            "the requested resource was not found".into(),
        ));
    }
    let account = &caller.scope.account;
    let deleted = state.core.reset_test_data(account).await?;
    let reseeded = if params.reseed.unwrap_or(false) {
        crate::seed::reseed_demo_test_disputes(&state.core, account)
            .await
            .map_err(ApiError::Internal)?
    } else {
        0
    };
    Ok(json(&ResetJson {
        object: "test_reset",
        livemode: false,
        deleted,
        reseeded,
    }))
}

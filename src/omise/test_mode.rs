//! Beyond Omise: test mode for merchants' own integration tests, with test keys only (live keys
//! get 404, as for any unknown path).
//!
//! - `GET /test/clock` reads the account's test clock; `POST /test/clock/advance {"seconds"}`
//!   moves it forward and fires the reminders and deadlines that fall due on the way, in order,
//!   before answering.
//! - `POST /test/reset` removes the calling account's test-mode disputes (with their documents,
//!   blobs, history, events and deliveries) and its test idempotency records, and puts its test
//!   clock back on the real time; with `{"reseed": true}` it loads the demo fixture's test
//!   disputes of that account again.

use axum::extract::State;
use axum::response::Response;
use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
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
    test_only(&caller)?;
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

/// Test mode's endpoints do not exist for live keys.
fn test_only(caller: &Caller) -> ApiResult<()> {
    if caller.scope.mode != Mode::Test {
        return Err(ApiError::NotFound(
            "the requested resource was not found".into(),
        ));
    }
    Ok(())
}

/// The longest single advance: ten years.
const MAX_ADVANCE_SECONDS: i64 = 10 * 365 * 24 * 3600;

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct AdvanceParams {
    /// How far to move the clock forward, in seconds (1 to 315360000).
    #[schema(value_type = i64, required = true, minimum = 1, maximum = 315360000)]
    #[serde(default, deserialize_with = "lenient::int")]
    seconds: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct ClockJson {
    object: &'static str,
    livemode: bool,
    /// The account's test-mode time.
    now: String,
    /// How far it runs ahead of the real time, in seconds.
    offset: i64,
    /// Disputes a reminder or a deadline changed during this advance (advances only).
    #[serde(skip_serializing_if = "Option::is_none")]
    changed: Option<usize>,
}

fn clock_json(now: DateTime<Utc>, offset: TimeDelta, changed: Option<usize>) -> Response {
    json(&ClockJson {
        object: "test_clock",
        livemode: false,
        now: now.to_rfc3339_opts(SecondsFormat::Secs, true),
        offset: offset.num_seconds(),
        changed,
    })
}

#[utoipa::path(get, operation_id = "retrieveTestClock", path = "/test/clock", tag = "test",
    responses((status = 200, description = "The account's test-mode time", body = ClockJson)))]
pub async fn clock(State(state): State<OmiseState>, caller: Caller) -> ApiResult<Response> {
    test_only(&caller)?;
    let (now, offset) = state
        .core
        .test_clock(&caller.scope.account)
        .await?
        .ok_or_else(|| ApiError::NotFound("the requested resource was not found".into()))?;
    Ok(clock_json(now, offset, None))
}

#[utoipa::path(post, operation_id = "advanceTestClock", path = "/test/clock/advance", tag = "test",
    request_body(content((AdvanceParams = "application/json"), (AdvanceParams = "application/x-www-form-urlencoded"))),
    responses((status = 200, description = "The clock moved; what fell due on the way has happened", body = ClockJson),
        (status = 400, description = "seconds is missing or out of range", body = super::openapi::Error)))]
pub async fn advance(
    State(state): State<OmiseState>,
    caller: Caller,
    Input(params): Input<AdvanceParams>,
) -> ApiResult<Response> {
    test_only(&caller)?;
    let seconds = params
        .seconds
        .ok_or_else(|| ApiError::bad_request("seconds is required"))?;
    if !(1..=MAX_ADVANCE_SECONDS).contains(&seconds) {
        return Err(ApiError::bad_request(format!(
            "seconds must be between 1 and {MAX_ADVANCE_SECONDS}"
        )));
    }
    let advanced = state
        .core
        .advance_test_clock(&caller.scope.account, TimeDelta::seconds(seconds))
        .await?
        .ok_or_else(|| ApiError::NotFound("the requested resource was not found".into()))?;
    Ok(clock_json(
        advanced.now,
        advanced.offset,
        Some(advanced.changed),
    ))
}

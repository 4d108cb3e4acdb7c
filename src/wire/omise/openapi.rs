//! The Omise dialect's part of the OpenAPI document: value lists built from its vocabulary, the
//! error object, and the path parameters every merchant path shares.

use serde_json::Value;
use utoipa::openapi::schema::{Object, ObjectBuilder, SchemaType, Type};
use utoipa::{IntoParams, ToSchema};

use super::vocab;
use crate::domain::Order;

pub fn string_enum<'a>(values: impl IntoIterator<Item = &'a str>, description: &str) -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(values.into_iter().map(Value::from)))
        .description(Some(description))
        .build()
}

pub fn status_schema() -> Object {
    string_enum(vocab::STATUSES, "open, pending, won or lost")
}

pub fn kind_schema() -> Object {
    string_enum(vocab::KINDS.map(|(k, _)| k), "what the document proves")
}

pub fn optional_kind_schema() -> Object {
    nullable_enum(
        vocab::KINDS.map(|(k, _)| k),
        "what the document proves, if said",
    )
}

pub fn nullable_enum<'a>(values: impl IntoIterator<Item = &'a str>, description: &str) -> Object {
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
        vocab::REASONS.iter().map(|(code, _, _)| *code),
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
        vocab::REASONS.iter().map(|(code, _, _)| *code),
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

//! The terms of a dispute opened on a charge, in Omise's words: what test mode's
//! `POST /charges/{id}/disputes` takes, and what the operator's open takes too.

use serde::Deserialize;
use utoipa::ToSchema;

use super::vocab;
use crate::domain::dispute::{NewDispute, parse_currency};
use crate::domain::{DisputeKind, Id, Mode, Reason};
use crate::http::lenient;

/// Test mode: the dispute to open on the charge.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct OpenDispute {
    /// In the currency's smallest unit (default 100000).
    #[schema(minimum = 1)]
    #[serde(default, deserialize_with = "lenient::int")]
    pub amount: Option<i64>,
    /// ISO 4217 (default THB).
    #[schema(pattern = "^[A-Za-z]{3}$")]
    #[serde(default, deserialize_with = "lenient::text")]
    pub currency: Option<String>,
    /// Default goods_or_services_not_provided.
    #[schema(schema_with = super::openapi::nullable_reason_schema)]
    #[serde(default, deserialize_with = "lenient::text")]
    pub reason_code: Option<String>,
}

impl OpenDispute {
    /// The dispute to open. Defaults: 100000 (THB 1,000.00), THB, goods_or_services_not_provided.
    pub fn new_dispute(&self, account: Id, mode: Mode, charge: Id) -> Result<NewDispute, String> {
        let amount = self.amount.unwrap_or(100_000);
        if amount <= 0 {
            return Err("amount must be a positive integer".into());
        }
        let currency = match &self.currency {
            None => "THB".to_owned(),
            Some(c) => parse_currency(c)
                .ok_or_else(|| "currency must be a 3-letter ISO 4217 code".to_owned())?,
        };
        let reason = match &self.reason_code {
            None => Reason::DEFAULT,
            Some(r) => vocab::parse_reason(r).ok_or_else(|| format!("unknown reason_code {r}"))?,
        };
        Ok(NewDispute {
            id: None,
            account,
            mode,
            charge,
            amount,
            currency,
            reason,
            kind: DisputeKind::Chargeback,
            evidence_due_at: None,
        })
    }
}

//! Disputes and their life: `open` (the merchant gathers evidence) -> `pending` (submitted,
//! the bank decides) -> `won` | `lost`. The transitions are one total function, `Action::apply`;
//! the stores apply its edges atomically.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::{Id, Mode};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DisputeStatus {
    Open,
    Pending,
    Won,
    Lost,
}

impl DisputeStatus {
    pub const ALL: [DisputeStatus; 4] = [Self::Open, Self::Pending, Self::Won, Self::Lost];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Pending => "pending",
            Self::Won => "won",
            Self::Lost => "lost",
        }
    }

    pub fn is_closed(self) -> bool {
        matches!(self, Self::Won | Self::Lost)
    }
}

impl FromStr for DisputeStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| format!("unknown dispute status {s}"))
    }
}

/// Everything that can happen to a dispute after it opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// The merchant submits its explanation (PATCH /disputes/{id}).
    Submit,
    /// The merchant accepts the dispute and loses it (PATCH /disputes/{id}/accept).
    Accept,
    /// The bank decides for the merchant.
    Win,
    /// The bank decides for the cardholder.
    Lose,
    /// The bank asks for more evidence: a pending dispute opens again.
    Reopen,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    /// A merchant action on a dispute that is no longer open.
    #[error("dispute is not open")]
    NotOpen,
    /// An operator decision on a dispute that is not pending.
    #[error("dispute is not pending")]
    NotPending,
}

impl Action {
    /// The one state this action starts from, and the state it leads to.
    pub fn edge(self) -> (DisputeStatus, DisputeStatus) {
        use DisputeStatus::*;
        match self {
            Action::Submit => (Open, Pending),
            Action::Accept => (Open, Lost),
            Action::Win => (Pending, Won),
            Action::Lose => (Pending, Lost),
            Action::Reopen => (Pending, Open),
        }
    }

    /// The status after this action, or why the action is refused in `from`.
    pub fn apply(self, from: DisputeStatus) -> Result<DisputeStatus, TransitionError> {
        let (source, target) = self.edge();
        if from == source {
            Ok(target)
        } else {
            Err(self.refusal())
        }
    }

    /// Why this action is refused whenever the dispute is not in its source status.
    pub fn refusal(self) -> TransitionError {
        match self.edge().0 {
            DisputeStatus::Open => TransitionError::NotOpen,
            _ => TransitionError::NotPending,
        }
    }

    /// Leaving `open` submits the evidence gathered so far to the bank.
    pub fn submits_documents(self) -> bool {
        self.edge().0 == DisputeStatus::Open
    }

    /// The message the action writes, when it writes a fixed one.
    pub fn fixed_message(self) -> Option<&'static str> {
        (self == Action::Accept).then_some("Merchant accepts the dispute")
    }
}

/// The card networks' dispute reasons, as the official clients know them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReasonCode(&'static str, &'static str);

pub const REASONS: [ReasonCode; 16] = [
    ReasonCode(
        "cancelled_recurring_transaction",
        "Cancelled Recurring Transaction",
    ),
    ReasonCode("credit_not_processed", "Credit Not Processed"),
    ReasonCode("duplicate_processing", "Duplicate Processing"),
    ReasonCode("expired_card", "Expired Card"),
    ReasonCode(
        "goods_or_services_not_provided",
        "Merchandise/Services Not Received",
    ),
    ReasonCode("incorrect_currency", "Incorrect Currency"),
    ReasonCode(
        "incorrect_transaction_amount",
        "Incorrect Transaction Amount",
    ),
    ReasonCode("late_presentment", "Late Presentment"),
    ReasonCode("non_matching_account_number", "Non-Matching Account Number"),
    ReasonCode(
        "not_as_described_or_defective_merchandise",
        "Not as Described or Defective Merchandise",
    ),
    ReasonCode("not_available", "Not Available"),
    ReasonCode("not_recorded", "Not Recorded"),
    ReasonCode("other", "Other"),
    ReasonCode("paid_by_other_means", "Paid by Other Means"),
    ReasonCode("transaction_not_recognised", "Transaction Not Recognised"),
    ReasonCode("unauthorized_charge", "Unauthorized Charge"),
];

impl ReasonCode {
    pub const DEFAULT: ReasonCode = REASONS[4];

    pub fn parse(s: &str) -> Option<ReasonCode> {
        REASONS.into_iter().find(|r| r.0 == s)
    }

    pub fn code(self) -> &'static str {
        self.0
    }

    pub fn message(self) -> &'static str {
        self.1
    }
}

/// A dispute as the domain knows it. Its ledger entries are derived (`Dispute::transactions`).
#[derive(Debug, Clone, PartialEq)]
pub struct Dispute {
    pub id: Id,
    pub account: Id,
    pub mode: Mode,
    pub charge: Id,
    pub amount: i64,
    pub currency: String,
    pub funding_amount: i64,
    pub funding_currency: String,
    pub status: DisputeStatus,
    pub reason: ReasonCode,
    pub message: Option<String>,
    pub admin_message: Option<String>,
    pub metadata: Map<String, Value>,
    pub debit_transaction: Id,
    pub credit_transaction: Option<Id>,
    pub created_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
}

/// A movement of money caused by a dispute.
#[derive(Debug, Clone, PartialEq)]
pub struct Transaction<'a> {
    pub id: &'a Id,
    pub amount: i64,
    pub currency: &'a str,
    pub credit: bool,
    pub key: &'static str,
    pub created_at: DateTime<Utc>,
}

impl Dispute {
    /// The debit taken when the dispute opened and, once won, the credit that returns it.
    pub fn transactions(&self) -> impl Iterator<Item = Transaction<'_>> {
        let debit = Transaction {
            id: &self.debit_transaction,
            amount: self.amount,
            currency: &self.currency,
            credit: false,
            key: "dispute.started.debit",
            created_at: self.created_at,
        };
        let credit = self.credit_transaction.as_ref().map(|id| Transaction {
            id,
            amount: self.amount,
            currency: &self.currency,
            credit: true,
            key: "dispute.won.credit",
            created_at: self.closed_at.unwrap_or(self.created_at),
        });
        std::iter::once(debit).chain(credit)
    }
}

/// What opening a dispute needs; the rest is generated.
#[derive(Debug, Clone)]
pub struct NewDispute {
    pub id: Option<Id>,
    pub account: Id,
    pub mode: Mode,
    pub charge: Id,
    pub amount: i64,
    pub currency: String,
    pub reason: ReasonCode,
}

/// A three-letter ISO 4217 code, upper-cased.
pub fn parse_currency(s: &str) -> Option<String> {
    (s.len() == 3 && s.bytes().all(|b| b.is_ascii_alphabetic())).then(|| s.to_ascii_uppercase())
}

#[cfg(test)]
mod tests {
    use super::DisputeStatus::*;
    use super::*;

    #[test]
    fn every_action_from_every_status_has_one_outcome() {
        let expected = [
            (Action::Submit, Open, Ok(Pending)),
            (Action::Submit, Pending, Err(TransitionError::NotOpen)),
            (Action::Submit, Won, Err(TransitionError::NotOpen)),
            (Action::Submit, Lost, Err(TransitionError::NotOpen)),
            (Action::Accept, Open, Ok(Lost)),
            (Action::Accept, Pending, Err(TransitionError::NotOpen)),
            (Action::Accept, Won, Err(TransitionError::NotOpen)),
            (Action::Accept, Lost, Err(TransitionError::NotOpen)),
            (Action::Win, Open, Err(TransitionError::NotPending)),
            (Action::Win, Pending, Ok(Won)),
            (Action::Win, Won, Err(TransitionError::NotPending)),
            (Action::Win, Lost, Err(TransitionError::NotPending)),
            (Action::Lose, Open, Err(TransitionError::NotPending)),
            (Action::Lose, Pending, Ok(Lost)),
            (Action::Lose, Won, Err(TransitionError::NotPending)),
            (Action::Lose, Lost, Err(TransitionError::NotPending)),
            (Action::Reopen, Open, Err(TransitionError::NotPending)),
            (Action::Reopen, Pending, Ok(Open)),
            (Action::Reopen, Won, Err(TransitionError::NotPending)),
            (Action::Reopen, Lost, Err(TransitionError::NotPending)),
        ];
        for (action, from, outcome) in expected {
            assert_eq!(action.apply(from), outcome, "{action:?} from {from:?}");
        }
    }

    #[test]
    fn closed_statuses_accept_nothing() {
        for action in [
            Action::Submit,
            Action::Accept,
            Action::Win,
            Action::Lose,
            Action::Reopen,
        ] {
            assert!(action.apply(Won).is_err() && action.apply(Lost).is_err());
        }
    }

    #[test]
    fn only_leaving_open_submits_documents() {
        assert!(Action::Submit.submits_documents());
        assert!(Action::Accept.submits_documents());
        assert!(!Action::Win.submits_documents());
        assert!(!Action::Reopen.submits_documents());
    }

    #[test]
    fn reason_codes_round_trip_and_unknown_ones_are_refused() {
        for r in REASONS {
            assert_eq!(ReasonCode::parse(r.code()), Some(r));
        }
        assert_eq!(ReasonCode::parse("fraud"), None);
    }

    #[test]
    fn currencies_are_three_letters_upper_cased() {
        assert_eq!(parse_currency("thb").as_deref(), Some("THB"));
        assert_eq!(parse_currency("TH"), None);
        assert_eq!(parse_currency("T1B"), None);
    }
}

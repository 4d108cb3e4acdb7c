//! Disputes and their life: awaiting evidence (the merchant gathers it) -> under review (submitted,
//! the bank decides) -> won | lost. The transitions are one total function, `Action::apply`; the
//! store applies its edges atomically, and the core decides what each one implies.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::{Id, Mode};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DisputeStatus {
    /// The merchant may add and remove evidence and then submit or concede.
    AwaitingEvidence,
    /// The evidence went to the bank, which decides.
    UnderReview,
    Won,
    Lost,
}

impl DisputeStatus {
    pub const ALL: [DisputeStatus; 4] = [
        Self::AwaitingEvidence,
        Self::UnderReview,
        Self::Won,
        Self::Lost,
    ];

    /// The domain's own name, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AwaitingEvidence => "awaiting_evidence",
            Self::UnderReview => "under_review",
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
            .ok_or_else(|| format!("unknown dispute status {s:?}"))
    }
}

/// Everything that can happen to a dispute's status after it opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// The merchant submits its evidence and explanation.
    Submit,
    /// The merchant concedes: the dispute is lost.
    Concede,
    /// The bank decides for the merchant.
    Win,
    /// The bank decides for the cardholder.
    Lose,
    /// The bank asks for more evidence: a dispute under review awaits evidence again.
    Reopen,
    /// The platform hands the evidence on to the bank: still under review, now by the bank.
    Escalate,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    /// A merchant action on a dispute that no longer awaits evidence.
    #[error("the dispute is not awaiting evidence")]
    NotAwaitingEvidence,
    /// A decision on a dispute that is not under review.
    #[error("the dispute is not under review")]
    NotUnderReview,
}

impl Action {
    pub const ALL: [Action; 6] = [
        Action::Submit,
        Action::Concede,
        Action::Win,
        Action::Lose,
        Action::Reopen,
        Action::Escalate,
    ];

    /// The one state this action starts from, and the state it leads to.
    pub fn edge(self) -> (DisputeStatus, DisputeStatus) {
        use DisputeStatus::*;
        match self {
            Action::Submit => (AwaitingEvidence, UnderReview),
            Action::Concede => (AwaitingEvidence, Lost),
            Action::Win => (UnderReview, Won),
            Action::Lose => (UnderReview, Lost),
            Action::Reopen => (UnderReview, AwaitingEvidence),
            Action::Escalate => (UnderReview, UnderReview),
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
            DisputeStatus::AwaitingEvidence => TransitionError::NotAwaitingEvidence,
            _ => TransitionError::NotUnderReview,
        }
    }

    /// Leaving "awaiting evidence" submits the documents gathered so far to the bank.
    pub fn submits_documents(self) -> bool {
        self.edge().0 == DisputeStatus::AwaitingEvidence
    }

    pub fn closes(self) -> bool {
        self.edge().1.is_closed()
    }

    /// The domain's own name, as the history records it.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Submit => "submit",
            Action::Concede => "concede",
            Action::Win => "win",
            Action::Lose => "lose",
            Action::Reopen => "reopen",
            Action::Escalate => "escalate",
        }
    }
}

impl FromStr for Action {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        [
            Action::Submit,
            Action::Concede,
            Action::Win,
            Action::Lose,
            Action::Reopen,
            Action::Escalate,
        ]
        .into_iter()
        .find(|a| a.as_str() == s)
        .ok_or_else(|| format!("unknown action {s:?}"))
    }
}

/// Why the cardholder disputes the charge, in the domain's words. Each dialect maps its own
/// reason codes onto these (several of a dialect's may share one, and the other way round).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reason {
    RecurringCancelled,
    RefundMissing,
    Duplicate,
    CardExpired,
    NotReceived,
    WrongCurrency,
    WrongAmount,
    PresentedLate,
    AccountNumberMismatch,
    NotAsDescribed,
    Unavailable,
    Unrecorded,
    Other,
    PaidOtherwise,
    Unrecognised,
    Unauthorised,
    Fraud,
    Unknown,
    ConversionRate,
    BankFailureInsufficientFunds,
    BankFailureContactCustomer,
    BankFailureAccountClosed,
    BankFailureAccountIncompatible,
    BankFailureAccountIncorrect,
    Counterfeit,
    CustomerClaim,
}

impl Reason {
    pub const ALL: [Reason; 26] = [
        Reason::RecurringCancelled,
        Reason::RefundMissing,
        Reason::Duplicate,
        Reason::CardExpired,
        Reason::NotReceived,
        Reason::WrongCurrency,
        Reason::WrongAmount,
        Reason::PresentedLate,
        Reason::AccountNumberMismatch,
        Reason::NotAsDescribed,
        Reason::Unavailable,
        Reason::Unrecorded,
        Reason::Other,
        Reason::PaidOtherwise,
        Reason::Unrecognised,
        Reason::Unauthorised,
        Reason::Fraud,
        Reason::Unknown,
        Reason::ConversionRate,
        Reason::BankFailureInsufficientFunds,
        Reason::BankFailureContactCustomer,
        Reason::BankFailureAccountClosed,
        Reason::BankFailureAccountIncompatible,
        Reason::BankFailureAccountIncorrect,
        Reason::Counterfeit,
        Reason::CustomerClaim,
    ];

    /// The reason of a dispute opened without one.
    pub const DEFAULT: Reason = Reason::NotReceived;

    /// The domain's own name, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::RecurringCancelled => "recurring_cancelled",
            Reason::RefundMissing => "refund_missing",
            Reason::Duplicate => "duplicate",
            Reason::CardExpired => "card_expired",
            Reason::NotReceived => "not_received",
            Reason::WrongCurrency => "wrong_currency",
            Reason::WrongAmount => "wrong_amount",
            Reason::PresentedLate => "presented_late",
            Reason::AccountNumberMismatch => "account_number_mismatch",
            Reason::NotAsDescribed => "not_as_described",
            Reason::Unavailable => "unavailable",
            Reason::Unrecorded => "unrecorded",
            Reason::Other => "other",
            Reason::PaidOtherwise => "paid_otherwise",
            Reason::Unrecognised => "unrecognised",
            Reason::Unauthorised => "unauthorised",
            Reason::Fraud => "fraud",
            Reason::Unknown => "unknown",
            Reason::ConversionRate => "conversion_rate",
            Reason::BankFailureInsufficientFunds => "bank_failure_insufficient_funds",
            Reason::BankFailureContactCustomer => "bank_failure_contact_customer",
            Reason::BankFailureAccountClosed => "bank_failure_account_closed",
            Reason::BankFailureAccountIncompatible => "bank_failure_account_incompatible",
            Reason::BankFailureAccountIncorrect => "bank_failure_account_incorrect",
            Reason::Counterfeit => "counterfeit",
            Reason::CustomerClaim => "customer_claim",
        }
    }
}

impl FromStr for Reason {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| format!("unknown dispute reason {s:?}"))
    }
}

/// What kind of dispute it is, which decides whether it can be contested.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DisputeKind {
    /// A chargeback the merchant may contest with evidence.
    Chargeback,
    /// A chargeback that cannot be contested.
    Final,
    /// The bank asks for information before any chargeback.
    Retrieval,
}

impl DisputeKind {
    pub const ALL: [DisputeKind; 3] = [Self::Chargeback, Self::Final, Self::Retrieval];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Chargeback => "chargeback",
            Self::Final => "final",
            Self::Retrieval => "retrieval",
        }
    }

    pub fn contestable(self) -> bool {
        self == Self::Chargeback
    }
}

impl FromStr for DisputeKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| format!("unknown dispute kind {s:?}"))
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
    pub kind: DisputeKind,
    pub reason: Reason,
    /// Evidence must be in before this time, when there is a deadline.
    pub evidence_due_at: Option<DateTime<Utc>>,
    /// The part of the amount the merchant contests, once it has said.
    pub contested_amount: Option<i64>,
    /// The merchant's explanation.
    pub message: Option<String>,
    /// A note from the platform or the bank.
    pub admin_message: Option<String>,
    pub metadata: Map<String, Value>,
    /// A free label of the merchant's.
    pub tag: Option<String>,
    pub debit_transaction: Id,
    pub credit_transaction: Option<Id>,
    pub created_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    /// How many documents the dispute holds.
    pub document_count: i64,
}

/// What a movement of money caused by a dispute is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransactionKind {
    /// Taken from the merchant when the dispute opened.
    Debit,
    /// Returned to the merchant when the dispute was won.
    Credit,
}

/// A movement of money caused by a dispute.
#[derive(Debug, Clone, PartialEq)]
pub struct Transaction<'a> {
    pub id: &'a Id,
    pub amount: i64,
    pub currency: &'a str,
    pub kind: TransactionKind,
    pub created_at: DateTime<Utc>,
}

impl Dispute {
    /// The debit taken when the dispute opened and, once won, the credit that returns it.
    pub fn transactions(&self) -> impl Iterator<Item = Transaction<'_>> {
        let debit = Transaction {
            id: &self.debit_transaction,
            amount: self.amount,
            currency: &self.currency,
            kind: TransactionKind::Debit,
            created_at: self.created_at,
        };
        let credit = self.credit_transaction.as_ref().map(|id| Transaction {
            id,
            amount: self.amount,
            currency: &self.currency,
            kind: TransactionKind::Credit,
            created_at: self.closed_at.unwrap_or(self.created_at),
        });
        std::iter::once(debit).chain(credit)
    }
}

/// What opening a dispute needs; the rest is generated.
#[derive(Debug, Clone)]
pub struct NewDispute {
    /// A fixed id (fixtures); generated when `None`.
    pub id: Option<Id>,
    pub account: Id,
    pub mode: Mode,
    pub charge: Id,
    pub amount: i64,
    pub currency: String,
    pub reason: Reason,
    pub kind: DisputeKind,
    pub evidence_due_at: Option<DateTime<Utc>>,
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
        use TransitionError::*;
        let expected = [
            (Action::Submit, AwaitingEvidence, Ok(UnderReview)),
            (Action::Submit, UnderReview, Err(NotAwaitingEvidence)),
            (Action::Submit, Won, Err(NotAwaitingEvidence)),
            (Action::Submit, Lost, Err(NotAwaitingEvidence)),
            (Action::Concede, AwaitingEvidence, Ok(Lost)),
            (Action::Concede, UnderReview, Err(NotAwaitingEvidence)),
            (Action::Concede, Won, Err(NotAwaitingEvidence)),
            (Action::Concede, Lost, Err(NotAwaitingEvidence)),
            (Action::Win, AwaitingEvidence, Err(NotUnderReview)),
            (Action::Win, UnderReview, Ok(Won)),
            (Action::Win, Won, Err(NotUnderReview)),
            (Action::Win, Lost, Err(NotUnderReview)),
            (Action::Lose, AwaitingEvidence, Err(NotUnderReview)),
            (Action::Lose, UnderReview, Ok(Lost)),
            (Action::Lose, Won, Err(NotUnderReview)),
            (Action::Lose, Lost, Err(NotUnderReview)),
            (Action::Reopen, AwaitingEvidence, Err(NotUnderReview)),
            (Action::Reopen, UnderReview, Ok(AwaitingEvidence)),
            (Action::Reopen, Won, Err(NotUnderReview)),
            (Action::Reopen, Lost, Err(NotUnderReview)),
            (Action::Escalate, AwaitingEvidence, Err(NotUnderReview)),
            (Action::Escalate, UnderReview, Ok(UnderReview)),
            (Action::Escalate, Won, Err(NotUnderReview)),
            (Action::Escalate, Lost, Err(NotUnderReview)),
        ];
        assert_eq!(expected.len(), Action::ALL.len() * DisputeStatus::ALL.len());
        for (action, from, outcome) in expected {
            assert_eq!(action.apply(from), outcome, "{action:?} from {from:?}");
        }
    }

    #[test]
    fn closed_statuses_accept_nothing() {
        for action in Action::ALL {
            assert!(action.apply(Won).is_err() && action.apply(Lost).is_err());
        }
    }

    #[test]
    fn only_leaving_awaiting_evidence_submits_documents() {
        let submitting: Vec<Action> = Action::ALL
            .into_iter()
            .filter(|a| a.submits_documents())
            .collect();
        assert_eq!(submitting, [Action::Submit, Action::Concede]);
        let closing: Vec<Action> = Action::ALL.into_iter().filter(|a| a.closes()).collect();
        assert_eq!(closing, [Action::Concede, Action::Win, Action::Lose]);
    }

    #[test]
    fn statuses_and_reasons_round_trip_and_unknown_ones_are_refused() {
        for s in DisputeStatus::ALL {
            assert_eq!(s.as_str().parse(), Ok(s));
        }
        for r in Reason::ALL {
            assert_eq!(r.as_str().parse(), Ok(r));
        }
        for k in DisputeKind::ALL {
            assert_eq!(k.as_str().parse(), Ok(k));
        }
        assert!("fraudulent".parse::<Reason>().is_err());
        assert!("closed".parse::<DisputeStatus>().is_err());
    }

    #[test]
    fn currencies_are_three_letters_upper_cased() {
        assert_eq!(parse_currency("thb").as_deref(), Some("THB"));
        assert_eq!(parse_currency("TH"), None);
        assert_eq!(parse_currency("T1B"), None);
    }
}

//! The Omise dialect's words for the domain's values, both ways. Where Omise has no word for a
//! domain value (a reason or kind only Mangopay knows), the nearest Omise word is shown; a value
//! read from Omise always maps to exactly one domain value, so what Omise writes reads back the same.

use crate::domain::dispute::TransactionKind;
use crate::domain::{DisputeStatus, DocumentKind, FileRules, FileType, Reason};

pub fn status(s: DisputeStatus) -> &'static str {
    match s {
        DisputeStatus::AwaitingEvidence => "open",
        DisputeStatus::UnderReview => "pending",
        DisputeStatus::Won => "won",
        DisputeStatus::Lost => "lost",
    }
}

/// Omise's dispute statuses, in its order.
pub const STATUSES: [&str; 4] = ["open", "pending", "won", "lost"];

/// Omise's reason codes (the set its Java client accepts), their messages, and the domain's reason.
pub const REASONS: [(&str, &str, Reason); 16] = [
    (
        "cancelled_recurring_transaction",
        "Cancelled Recurring Transaction",
        Reason::RecurringCancelled,
    ),
    (
        "credit_not_processed",
        "Credit Not Processed",
        Reason::RefundMissing,
    ),
    (
        "duplicate_processing",
        "Duplicate Processing",
        Reason::Duplicate,
    ),
    ("expired_card", "Expired Card", Reason::CardExpired),
    (
        "goods_or_services_not_provided",
        "Merchandise/Services Not Received",
        Reason::NotReceived,
    ),
    (
        "incorrect_currency",
        "Incorrect Currency",
        Reason::WrongCurrency,
    ),
    (
        "incorrect_transaction_amount",
        "Incorrect Transaction Amount",
        Reason::WrongAmount,
    ),
    (
        "late_presentment",
        "Late Presentment",
        Reason::PresentedLate,
    ),
    (
        "non_matching_account_number",
        "Non-Matching Account Number",
        Reason::AccountNumberMismatch,
    ),
    (
        "not_as_described_or_defective_merchandise",
        "Not as Described or Defective Merchandise",
        Reason::NotAsDescribed,
    ),
    ("not_available", "Not Available", Reason::Unavailable),
    ("not_recorded", "Not Recorded", Reason::Unrecorded),
    ("other", "Other", Reason::Other),
    (
        "paid_by_other_means",
        "Paid by Other Means",
        Reason::PaidOtherwise,
    ),
    (
        "transaction_not_recognised",
        "Transaction Not Recognised",
        Reason::Unrecognised,
    ),
    (
        "unauthorized_charge",
        "Unauthorized Charge",
        Reason::Unauthorised,
    ),
];

/// The reason code and message Omise shows for a domain reason.
pub fn reason(r: Reason) -> (&'static str, &'static str) {
    let shown = match r {
        Reason::Fraud | Reason::Counterfeit => Reason::Unauthorised,
        Reason::ConversionRate => Reason::WrongCurrency,
        Reason::Unknown
        | Reason::BankFailureInsufficientFunds
        | Reason::BankFailureContactCustomer
        | Reason::BankFailureAccountClosed
        | Reason::BankFailureAccountIncompatible
        | Reason::BankFailureAccountIncorrect
        | Reason::CustomerClaim => Reason::Other,
        other => other,
    };
    REASONS
        .iter()
        .find(|(_, _, r)| *r == shown)
        .map(|(code, message, _)| (*code, *message))
        .expect("every reason Omise shows has a code")
}

pub fn parse_reason(code: &str) -> Option<Reason> {
    REASONS
        .iter()
        .find(|(c, _, _)| *c == code)
        .map(|(_, _, r)| *r)
}

/// Omise's four document kinds and the domain's kinds they are.
pub const KINDS: [(&str, DocumentKind); 4] = [
    ("cardholder_details", DocumentKind::CustomerDetails),
    ("details_of_purchase", DocumentKind::PurchaseDetails),
    ("proof_of_receipt", DocumentKind::DeliveryProof),
    ("proof_of_acceptance", DocumentKind::AcceptanceProof),
];

/// The kind Omise shows: one of its four, or none for the kinds it does not have.
pub fn kind(k: DocumentKind) -> Option<&'static str> {
    KINDS.iter().find(|(_, d)| *d == k).map(|(name, _)| *name)
}

pub fn parse_kind(s: &str) -> Option<DocumentKind> {
    KINDS.iter().find(|(name, _)| *name == s).map(|(_, k)| *k)
}

pub fn transaction_key(kind: TransactionKind) -> &'static str {
    match kind {
        TransactionKind::Debit => "dispute.started.debit",
        TransactionKind::Credit => "dispute.won.credit",
    }
}

/// The message an accepted (conceded) dispute carries.
pub const ACCEPT_MESSAGE: &str = "Merchant accepts the dispute";

/// What an upload may be: PNG, JPEG or PDF, at most 10 MB.
pub const FILE_RULES: FileRules = FileRules {
    types: &[FileType::Png, FileType::Jpeg, FileType::Pdf],
    min_size: 0,
    max_size: 10 * 1024 * 1024,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_omise_reason_code_reads_back_as_itself() {
        for (code, message, reason) in REASONS {
            assert_eq!(parse_reason(code), Some(reason));
            assert_eq!(super::reason(reason), (code, message));
        }
        assert_eq!(parse_reason("fraud"), None);
    }

    #[test]
    fn every_domain_reason_has_an_omise_code() {
        for r in Reason::ALL {
            let (code, _) = super::reason(r);
            assert!(parse_reason(code).is_some(), "{r:?}");
        }
        assert_eq!(super::reason(Reason::Fraud).0, "unauthorized_charge");
    }

    #[test]
    fn kinds_round_trip_and_the_others_show_as_none() {
        for (name, k) in KINDS {
            assert_eq!(parse_kind(name), Some(k));
            assert_eq!(kind(k), Some(name));
        }
        assert_eq!(kind(DocumentKind::RefundProof), None);
        assert_eq!(parse_kind("receipt"), None);
    }

    #[test]
    fn statuses_are_distinct() {
        let shown: Vec<&str> = DisputeStatus::ALL.into_iter().map(status).collect();
        assert_eq!(shown, STATUSES);
    }
}

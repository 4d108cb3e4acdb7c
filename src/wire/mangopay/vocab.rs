//! The Mangopay dialect's words for the domain's values, both ways. A value read from Mangopay
//! maps to exactly one domain value; a domain value Mangopay has no word for shows as the
//! nearest one (most often `OTHER`).

use crate::domain::{
    DisputeKind, DisputeStatus, DocumentKind, DocumentStatus, FileRules, FileType, Marks, Reason,
    RefusalReason,
};
use crate::store::StatusMatch;

/// A dispute's `Status`. What the history tells (`Marks`) tells the rest: awaiting evidence
/// again after the bank reopened it is `REOPENED_PENDING_CLIENT_ACTION`, and under review once
/// handed to the bank `PENDING_BANK_ACTION`.
pub fn status(s: DisputeStatus, marks: Marks) -> &'static str {
    match s {
        DisputeStatus::AwaitingEvidence if marks.reopened => "REOPENED_PENDING_CLIENT_ACTION",
        DisputeStatus::AwaitingEvidence => "PENDING_CLIENT_ACTION",
        DisputeStatus::UnderReview if marks.with_bank => "PENDING_BANK_ACTION",
        DisputeStatus::UnderReview => "SUBMITTED",
        DisputeStatus::Won | DisputeStatus::Lost => "CLOSED",
    }
}

/// A dispute's `ResultCode`: empty until it closes.
pub fn result_code(s: DisputeStatus) -> &'static str {
    match s {
        DisputeStatus::Won => "WON",
        DisputeStatus::Lost => "LOST",
        _ => "",
    }
}

/// The domain statuses a `Status` filter value selects.
pub fn parse_status(s: &str) -> Option<&'static [DisputeStatus]> {
    use DisputeStatus::*;
    match s {
        "PENDING_CLIENT_ACTION" | "REOPENED_PENDING_CLIENT_ACTION" => Some(&[AwaitingEvidence]),
        "SUBMITTED" | "PENDING_BANK_ACTION" => Some(&[UnderReview]),
        "CLOSED" => Some(&[Won, Lost]),
        "CREATED" => Some(&[]),
        _ => None,
    }
}

/// What a `Status` filter value selects: statuses, with what the history must tell of them.
pub fn status_matches(s: &str) -> Option<Vec<StatusMatch>> {
    use DisputeStatus::*;
    let marked = |status, reopened, with_bank| StatusMatch {
        status,
        reopened,
        with_bank,
    };
    Some(match s {
        "PENDING_CLIENT_ACTION" => vec![marked(AwaitingEvidence, Some(false), None)],
        "REOPENED_PENDING_CLIENT_ACTION" => vec![marked(AwaitingEvidence, Some(true), None)],
        "SUBMITTED" => vec![marked(UnderReview, None, Some(false))],
        "PENDING_BANK_ACTION" => vec![marked(UnderReview, None, Some(true))],
        "CLOSED" => vec![StatusMatch::any(Won), StatusMatch::any(Lost)],
        "CREATED" => vec![],
        _ => return None,
    })
}

/// `DisputeReasonType` values and the domain's reasons.
pub const REASONS: [(&str, Reason); 18] = [
    ("DUPLICATE", Reason::Duplicate),
    ("FRAUD", Reason::Fraud),
    ("PRODUCT_UNACCEPTABLE", Reason::NotAsDescribed),
    ("UNKNOWN", Reason::Unknown),
    ("OTHER", Reason::Other),
    ("REFUND_CONVERSION_RATE", Reason::ConversionRate),
    (
        "LATE_FAILURE_INSUFFICIENT_FUNDS",
        Reason::BankFailureInsufficientFunds,
    ),
    (
        "LATE_FAILURE_CONTACT_USER",
        Reason::BankFailureContactCustomer,
    ),
    (
        "LATE_FAILURE_BANKACCOUNT_CLOSED",
        Reason::BankFailureAccountClosed,
    ),
    (
        "LATE_FAILURE_BANKACCOUNT_INCOMPATIBLE",
        Reason::BankFailureAccountIncompatible,
    ),
    (
        "LATE_FAILURE_BANKACCOUNT_INCORRECT",
        Reason::BankFailureAccountIncorrect,
    ),
    ("AUTHORISATION_DISPUTED", Reason::Unauthorised),
    ("TRANSACTION_NOT_RECOGNIZED", Reason::Unrecognised),
    ("PRODUCT_NOT_PROVIDED", Reason::NotReceived),
    (
        "CANCELED_REOCCURING_TRANSACTION",
        Reason::RecurringCancelled,
    ),
    ("REFUND_NOT_PROCESSED", Reason::RefundMissing),
    ("COUNTERFEIT_PRODUCT", Reason::Counterfeit),
    ("CUSTOMER_DISPUTE", Reason::CustomerClaim),
];

pub fn reason(r: Reason) -> &'static str {
    REASONS
        .iter()
        .find(|(_, d)| *d == r)
        .map_or("OTHER", |(name, _)| *name)
}

pub fn parse_reason(s: &str) -> Option<Reason> {
    REASONS.iter().find(|(n, _)| *n == s).map(|(_, r)| *r)
}

/// A document's `Type` values and the domain's kinds.
pub const KINDS: [(&str, DocumentKind); 7] = [
    ("DELIVERY_PROOF", DocumentKind::DeliveryProof),
    ("INVOICE", DocumentKind::PurchaseDetails),
    ("REFUND_PROOF", DocumentKind::RefundProof),
    ("USER_CORRESPONDANCE", DocumentKind::Correspondence),
    ("USER_ACCEPTANCE_PROOF", DocumentKind::AcceptanceProof),
    ("PRODUCT_REPLACEMENT_PROOF", DocumentKind::ReplacementProof),
    ("OTHER", DocumentKind::Other),
];

/// The `Type` shown for a document of `kind` (none said: `OTHER`).
pub fn kind(k: Option<DocumentKind>) -> &'static str {
    k.and_then(|k| KINDS.iter().find(|(_, d)| *d == k))
        .map_or("OTHER", |(name, _)| *name)
}

pub fn parse_kind(s: &str) -> Option<DocumentKind> {
    KINDS.iter().find(|(n, _)| *n == s).map(|(_, k)| *k)
}

/// A document's `Status` values.
pub const DOCUMENT_STATUSES: [(&str, DocumentStatus); 5] = [
    ("CREATED", DocumentStatus::Draft),
    ("VALIDATION_ASKED", DocumentStatus::Submitted),
    ("VALIDATED", DocumentStatus::Validated),
    ("REFUSED", DocumentStatus::Refused),
    ("OUT_OF_DATE", DocumentStatus::Expired),
];

pub fn document_status(s: DocumentStatus) -> &'static str {
    DOCUMENT_STATUSES
        .iter()
        .find(|(_, d)| *d == s)
        .map(|(name, _)| *name)
        .expect("every document status has a name")
}

pub fn parse_document_status(s: &str) -> Option<DocumentStatus> {
    DOCUMENT_STATUSES
        .iter()
        .find(|(n, _)| *n == s)
        .map(|(_, d)| *d)
}

/// `RefusedReasonType` values.
pub const REFUSALS: [(&str, RefusalReason); 12] = [
    (
        "DOCUMENT_DO_NOT_MATCH_USER_DATA",
        RefusalReason::DoesNotMatchCustomer,
    ),
    (
        "DOCUMENT_DO_NOT_MATCH_ACCOUNT_DATA",
        RefusalReason::DoesNotMatchAccount,
    ),
    ("DOCUMENT_FALSIFIED", RefusalReason::Falsified),
    ("DOCUMENT_HAS_EXPIRED", RefusalReason::Expired),
    ("DOCUMENT_INCOMPLETE", RefusalReason::Incomplete),
    ("DOCUMENT_MISSING", RefusalReason::Missing),
    ("DOCUMENT_NOT_ACCEPTED", RefusalReason::NotAccepted),
    ("DOCUMENT_UNREADABLE", RefusalReason::Unreadable),
    ("SPECIFIC_CASE", RefusalReason::SpecificCase),
    ("UNDERAGE_PERSON", RefusalReason::Underage),
    ("COUNTERFEIT_PRODUCT", RefusalReason::Counterfeit),
    ("OTHER", RefusalReason::Other),
];

pub fn refusal(r: RefusalReason) -> &'static str {
    REFUSALS
        .iter()
        .find(|(_, d)| *d == r)
        .map(|(name, _)| *name)
        .expect("every refusal reason has a name")
}

pub fn parse_refusal(s: &str) -> Option<RefusalReason> {
    REFUSALS.iter().find(|(n, _)| *n == s).map(|(_, r)| *r)
}

/// What a page may be: PDF, JPEG, GIF or PNG, from 1 KB to 7 MB decoded.
pub const FILE_RULES: FileRules = FileRules {
    types: &[FileType::Pdf, FileType::Jpeg, FileType::Gif, FileType::Png],
    min_size: 1024,
    max_size: 7 * 1024 * 1024,
};

/// The Mangopay `DisputeType` of a kind of dispute.
pub fn dispute_type(kind: DisputeKind) -> &'static str {
    match kind {
        DisputeKind::Chargeback => "CONTESTABLE",
        DisputeKind::Final => "NOT_CONTESTABLE",
        DisputeKind::Retrieval => "RETRIEVAL",
    }
}

pub fn parse_dispute_type(s: &str) -> Option<DisputeKind> {
    DisputeKind::ALL.into_iter().find(|k| dispute_type(*k) == s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_mangopay_word_reads_back_as_itself() {
        for (name, r) in REASONS {
            assert_eq!(parse_reason(name), Some(r));
            assert_eq!(reason(r), name);
        }
        for (name, k) in KINDS {
            assert_eq!(parse_kind(name), Some(k));
            assert_eq!(kind(Some(k)), name);
        }
        for (name, s) in DOCUMENT_STATUSES {
            assert_eq!(parse_document_status(name), Some(s));
            assert_eq!(document_status(s), name);
        }
        for (name, r) in REFUSALS {
            assert_eq!(parse_refusal(name), Some(r));
            assert_eq!(refusal(r), name);
        }
    }

    #[test]
    fn every_domain_value_has_a_mangopay_word() {
        for r in Reason::ALL {
            assert!(parse_reason(reason(r)).is_some(), "{r:?}");
        }
        for k in DocumentKind::ALL {
            assert!(parse_kind(kind(Some(k))).is_some(), "{k:?}");
        }
        assert_eq!(kind(None), "OTHER");
        for s in DocumentStatus::ALL {
            assert!(parse_document_status(document_status(s)).is_some());
        }
        for r in RefusalReason::ALL {
            assert!(parse_refusal(refusal(r)).is_some());
        }
    }

    #[test]
    fn dispute_statuses_map_with_what_the_history_tells() {
        for s in DisputeStatus::ALL {
            for reopened in [false, true] {
                for with_bank in [false, true] {
                    let shown = status(
                        s,
                        Marks {
                            reopened,
                            with_bank,
                        },
                    );
                    assert!(parse_status(shown).unwrap().contains(&s), "{s:?}");
                }
            }
        }
        let reopened = Marks {
            reopened: true,
            with_bank: false,
        };
        assert_eq!(
            status(DisputeStatus::AwaitingEvidence, reopened),
            "REOPENED_PENDING_CLIENT_ACTION"
        );
        let with_bank = Marks {
            reopened: false,
            with_bank: true,
        };
        assert_eq!(
            status(DisputeStatus::UnderReview, with_bank),
            "PENDING_BANK_ACTION"
        );
        assert_eq!(result_code(DisputeStatus::Won), "WON");
        assert_eq!(result_code(DisputeStatus::UnderReview), "");
    }
}

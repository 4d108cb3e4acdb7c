//! The mapping between the Omise and the Mangopay dialects' vocabularies, through the domain's
//! neutral words: the table in the README ("One dispute, two vocabularies"), as a test.

use dispute_docs::domain::{DisputeStatus, DocumentKind, Marks};
use dispute_docs::{mangopay, omise};

/// (Omise reason code, the Mangopay DisputeReasonType it shows as there)
const OMISE_REASONS: [(&str, &str); 16] = [
    (
        "cancelled_recurring_transaction",
        "CANCELED_REOCCURING_TRANSACTION",
    ),
    ("credit_not_processed", "REFUND_NOT_PROCESSED"),
    ("duplicate_processing", "DUPLICATE"),
    ("expired_card", "OTHER"),
    ("goods_or_services_not_provided", "PRODUCT_NOT_PROVIDED"),
    ("incorrect_currency", "OTHER"),
    ("incorrect_transaction_amount", "OTHER"),
    ("late_presentment", "OTHER"),
    ("non_matching_account_number", "OTHER"),
    (
        "not_as_described_or_defective_merchandise",
        "PRODUCT_UNACCEPTABLE",
    ),
    ("not_available", "OTHER"),
    ("not_recorded", "OTHER"),
    ("other", "OTHER"),
    ("paid_by_other_means", "OTHER"),
    ("transaction_not_recognised", "TRANSACTION_NOT_RECOGNIZED"),
    ("unauthorized_charge", "AUTHORISATION_DISPUTED"),
];

/// (Mangopay DisputeReasonType, the Omise reason code it shows as there)
const MANGOPAY_REASONS: [(&str, &str); 18] = [
    ("DUPLICATE", "duplicate_processing"),
    ("FRAUD", "unauthorized_charge"),
    (
        "PRODUCT_UNACCEPTABLE",
        "not_as_described_or_defective_merchandise",
    ),
    ("UNKNOWN", "other"),
    ("OTHER", "other"),
    ("REFUND_CONVERSION_RATE", "incorrect_currency"),
    ("LATE_FAILURE_INSUFFICIENT_FUNDS", "other"),
    ("LATE_FAILURE_CONTACT_USER", "other"),
    ("LATE_FAILURE_BANKACCOUNT_CLOSED", "other"),
    ("LATE_FAILURE_BANKACCOUNT_INCOMPATIBLE", "other"),
    ("LATE_FAILURE_BANKACCOUNT_INCORRECT", "other"),
    ("AUTHORISATION_DISPUTED", "unauthorized_charge"),
    ("TRANSACTION_NOT_RECOGNIZED", "transaction_not_recognised"),
    ("PRODUCT_NOT_PROVIDED", "goods_or_services_not_provided"),
    (
        "CANCELED_REOCCURING_TRANSACTION",
        "cancelled_recurring_transaction",
    ),
    ("REFUND_NOT_PROCESSED", "credit_not_processed"),
    ("COUNTERFEIT_PRODUCT", "unauthorized_charge"),
    ("CUSTOMER_DISPUTE", "other"),
];

#[test]
fn reasons_cross_between_the_dialects_as_the_table_says() {
    for (code, shown) in OMISE_REASONS {
        let reason = omise::vocab::parse_reason(code).unwrap();
        assert_eq!(mangopay::vocab::reason(reason), shown, "{code}");
    }
    for (name, shown) in MANGOPAY_REASONS {
        let reason = mangopay::vocab::parse_reason(name).unwrap();
        assert_eq!(omise::vocab::reason(reason).0, shown, "{name}");
    }
}

#[test]
fn kinds_cross_between_the_dialects_as_the_table_says() {
    let omise_kinds = [
        (Some("cardholder_details"), "OTHER"),
        (Some("details_of_purchase"), "INVOICE"),
        (Some("proof_of_receipt"), "DELIVERY_PROOF"),
        (Some("proof_of_acceptance"), "USER_ACCEPTANCE_PROOF"),
        (None, "OTHER"),
    ];
    for (kind, shown) in omise_kinds {
        let domain = kind.map(|k| omise::vocab::parse_kind(k).unwrap());
        assert_eq!(mangopay::vocab::kind(domain), shown, "{kind:?}");
    }
    let mangopay_types = [
        ("DELIVERY_PROOF", Some("proof_of_receipt")),
        ("INVOICE", Some("details_of_purchase")),
        ("REFUND_PROOF", None),
        ("USER_CORRESPONDANCE", None),
        ("USER_ACCEPTANCE_PROOF", Some("proof_of_acceptance")),
        ("PRODUCT_REPLACEMENT_PROOF", None),
        ("OTHER", None),
    ];
    for (name, shown) in mangopay_types {
        let kind: DocumentKind = mangopay::vocab::parse_kind(name).unwrap();
        assert_eq!(omise::vocab::kind(kind), shown, "{name}");
    }
}

#[test]
fn statuses_cross_between_the_dialects_as_the_table_says() {
    let table = [
        ("open", "PENDING_CLIENT_ACTION", ""),
        ("pending", "SUBMITTED", ""),
        ("won", "CLOSED", "WON"),
        ("lost", "CLOSED", "LOST"),
    ];
    for (status, (omise_status, mangopay_status, result)) in
        DisputeStatus::ALL.into_iter().zip(table)
    {
        assert_eq!(omise::vocab::status(status), omise_status);
        assert_eq!(
            mangopay::vocab::status(status, Marks::default()),
            mangopay_status
        );
        assert_eq!(mangopay::vocab::result_code(status), result);
    }
    let reopened = Marks {
        reopened: true,
        with_bank: false,
    };
    assert_eq!(
        mangopay::vocab::status(DisputeStatus::AwaitingEvidence, reopened),
        "REOPENED_PENDING_CLIENT_ACTION"
    );
    let with_bank = Marks {
        reopened: false,
        with_bank: true,
    };
    assert_eq!(
        mangopay::vocab::status(DisputeStatus::UnderReview, with_bank),
        "PENDING_BANK_ACTION"
    );
}

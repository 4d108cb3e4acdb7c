//! The page's own words for the domain's values: the kinds of evidence its form offers (the
//! value each option posts, and its label) and a dispute's status as the page names it.

use crate::domain::{DisputeStatus, DocumentKind};

/// The kinds the upload form offers: the value posted, the kind, and its label.
pub const KINDS: [(&str, DocumentKind, &str); 4] = [
    (
        "details_of_purchase",
        DocumentKind::PurchaseDetails,
        "Details of purchase",
    ),
    (
        "proof_of_receipt",
        DocumentKind::DeliveryProof,
        "Proof of receipt",
    ),
    (
        "proof_of_acceptance",
        DocumentKind::AcceptanceProof,
        "Proof of acceptance",
    ),
    (
        "cardholder_details",
        DocumentKind::CustomerDetails,
        "Cardholder details",
    ),
];

/// What a document shows, in a few words; kinds the form does not offer are "other evidence".
pub fn kind_label(kind: Option<DocumentKind>) -> &'static str {
    KINDS
        .iter()
        .find(|(_, k, _)| Some(*k) == kind)
        .map_or("Other evidence", |(_, _, label)| *label)
}

/// The kind a form's value names.
pub fn parse_kind(value: &str) -> Option<DocumentKind> {
    KINDS
        .iter()
        .find(|(posted, _, _)| *posted == value)
        .map(|(_, k, _)| *k)
}

/// A dispute's status as the page shows it (and styles it).
pub fn status(status: DisputeStatus) -> &'static str {
    match status {
        DisputeStatus::AwaitingEvidence => "open",
        DisputeStatus::UnderReview => "pending",
        DisputeStatus::Won => "won",
        DisputeStatus::Lost => "lost",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_the_form_offers_reads_back_and_the_rest_are_other_evidence() {
        for (posted, kind, label) in KINDS {
            assert_eq!(parse_kind(posted), Some(kind));
            assert_eq!(kind_label(Some(kind)), label);
        }
        assert_eq!(
            kind_label(Some(DocumentKind::RefundProof)),
            "Other evidence"
        );
        assert_eq!(kind_label(None), "Other evidence");
        assert_eq!(parse_kind("refund_proof"), None);
    }
}

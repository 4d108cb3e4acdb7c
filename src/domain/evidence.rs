//! The evidence that usually wins a dispute, by its reason: what the card networks' dispute
//! guides ask a merchant to show for each kind of claim. Each item names the kind of document
//! that shows it and whether the reason calls for it (required) or it only helps (optional);
//! `checklist` says, for the kinds a dispute's documents have, which items are there
//! (`satisfied`), as Adyen's defense reasons do. The web page, the Omise dialect's readiness and
//! the operator API read this one list.

use super::{DocumentKind, Reason};

/// One piece of evidence a reason calls for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Item {
    /// What to show, in a sentence.
    pub text: &'static str,
    /// The kind of document that shows it.
    pub kind: DocumentKind,
    pub required: bool,
}

/// An item of a dispute's checklist, and whether a document of its kind is there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Checked {
    pub item: Item,
    pub satisfied: bool,
}

const fn req(kind: DocumentKind, text: &'static str) -> Item {
    Item {
        text,
        kind,
        required: true,
    }
}

const fn opt(kind: DocumentKind, text: &'static str) -> Item {
    Item {
        text,
        kind,
        required: false,
    }
}

use DocumentKind as K;

/// What to gather for a dispute of `reason`, most important first.
pub fn for_reason(reason: Reason) -> &'static [Item] {
    match reason {
        Reason::NotReceived => {
            const {
                &[
                    req(
                        K::DeliveryProof,
                        "Proof of delivery: the carrier's tracking record with the delivery date and address, ideally signed for",
                    ),
                    opt(
                        K::CustomerDetails,
                        "The delivery address matching the billing or account address",
                    ),
                    opt(
                        K::AcceptanceProof,
                        "For services or digital goods: logs showing the customer used or downloaded them",
                    ),
                    opt(
                        K::Correspondence,
                        "Messages in which the customer acknowledges receipt",
                    ),
                ]
            }
        }
        Reason::NotAsDescribed | Reason::Counterfeit => {
            const {
                &[
                    req(
                        K::PurchaseDetails,
                        "The product description and terms the customer saw at purchase",
                    ),
                    req(
                        K::AcceptanceProof,
                        "Proof that the item was as described (photos, specifications, quality checks)",
                    ),
                    opt(
                        K::RefundProof,
                        "Your return and refund policy, and whether the customer used it",
                    ),
                    opt(
                        K::Correspondence,
                        "Correspondence with the customer about the complaint",
                    ),
                ]
            }
        }
        Reason::Duplicate => {
            const {
                &[
                    req(
                        K::PurchaseDetails,
                        "Records showing each charge was a separate purchase (different orders, dates or items)",
                    ),
                    opt(
                        K::RefundProof,
                        "Or: proof that the second charge was refunded",
                    ),
                    opt(K::PurchaseDetails, "Receipts or invoices for every charge"),
                ]
            }
        }
        Reason::Unauthorised
        | Reason::Fraud
        | Reason::Unrecognised
        | Reason::CardExpired
        | Reason::AccountNumberMismatch => {
            const {
                &[
                    req(
                        K::CustomerDetails,
                        "The authorisation and 3-D Secure result of the charge",
                    ),
                    opt(
                        K::CustomerDetails,
                        "Matching billing address, IP address or device of the cardholder's earlier undisputed purchases",
                    ),
                    opt(
                        K::DeliveryProof,
                        "Proof of delivery to the cardholder's address, or the cardholder's use of the service",
                    ),
                    req(
                        K::PurchaseDetails,
                        "The receipt or invoice with the cardholder's name, and how the charge appears on statements",
                    ),
                ]
            }
        }
        Reason::RefundMissing => {
            const {
                &[
                    req(
                        K::RefundProof,
                        "Proof that the refund was made (its date and amount), or",
                    ),
                    opt(
                        K::PurchaseDetails,
                        "Your refund policy as shown at purchase, and why the refund was not due",
                    ),
                    opt(
                        K::Correspondence,
                        "Correspondence with the customer about the return",
                    ),
                ]
            }
        }
        Reason::RecurringCancelled => {
            const {
                &[
                    req(
                        K::AcceptanceProof,
                        "The subscription terms the customer agreed to, including how to cancel",
                    ),
                    opt(
                        K::AcceptanceProof,
                        "Proof the customer did not cancel before the charge, or used the service afterwards",
                    ),
                    opt(
                        K::Correspondence,
                        "Notices of the upcoming renewal sent to the customer",
                    ),
                ]
            }
        }
        Reason::WrongAmount | Reason::WrongCurrency | Reason::ConversionRate => {
            const {
                &[
                    req(
                        K::PurchaseDetails,
                        "The receipt or invoice showing the amount and currency the customer agreed to",
                    ),
                    opt(
                        K::AcceptanceProof,
                        "Any adjustment (tips, shipping, taxes) and the customer's agreement to it",
                    ),
                ]
            }
        }
        Reason::PresentedLate | Reason::Unrecorded | Reason::Unavailable => {
            const {
                &[
                    req(
                        K::PurchaseDetails,
                        "The transaction record with its date and the authorisation it carries",
                    ),
                    opt(K::PurchaseDetails, "The receipt or invoice for the charge"),
                ]
            }
        }
        Reason::PaidOtherwise => {
            const {
                &[
                    req(
                        K::PurchaseDetails,
                        "Proof that the other payment was for a different purchase, or was refunded",
                    ),
                    opt(K::PurchaseDetails, "Receipts for both payments"),
                ]
            }
        }
        Reason::Other
        | Reason::Unknown
        | Reason::CustomerClaim
        | Reason::BankFailureInsufficientFunds
        | Reason::BankFailureContactCustomer
        | Reason::BankFailureAccountClosed
        | Reason::BankFailureAccountIncompatible
        | Reason::BankFailureAccountIncorrect => {
            const {
                &[
                    req(K::PurchaseDetails, "The receipt or invoice for the charge"),
                    opt(
                        K::DeliveryProof,
                        "Proof of delivery or of the service given",
                    ),
                    opt(K::Correspondence, "Correspondence with the customer"),
                    opt(
                        K::AcceptanceProof,
                        "The terms the customer agreed to at purchase",
                    ),
                ]
            }
        }
    }
}

/// The checklist of a dispute of `reason` whose documents have `kinds`: an item is satisfied
/// when a document of its kind is there.
pub fn checklist(reason: Reason, kinds: &[Option<DocumentKind>]) -> Vec<Checked> {
    for_reason(reason)
        .iter()
        .map(|item| Checked {
            item: *item,
            satisfied: kinds.contains(&Some(item.kind)),
        })
        .collect()
}

/// A kind of document in words, for people (the packet's index, the checklist).
pub fn kind_words(kind: Option<DocumentKind>) -> &'static str {
    match kind {
        Some(K::CustomerDetails) => "Customer details",
        Some(K::PurchaseDetails) => "Details of purchase",
        Some(K::DeliveryProof) => "Proof of delivery",
        Some(K::AcceptanceProof) => "Proof of acceptance",
        Some(K::RefundProof) => "Proof of refund",
        Some(K::Correspondence) => "Correspondence",
        Some(K::ReplacementProof) => "Proof of replacement",
        Some(K::Other) | None => "Other evidence",
    }
}

/// A reason in words, for people (the packet's cover).
pub fn reason_words(reason: Reason) -> &'static str {
    match reason {
        Reason::RecurringCancelled => "Recurring payment cancelled",
        Reason::RefundMissing => "Refund not processed",
        Reason::Duplicate => "Duplicate charge",
        Reason::CardExpired => "Card expired",
        Reason::NotReceived => "Goods or services not received",
        Reason::WrongCurrency => "Wrong currency",
        Reason::WrongAmount => "Wrong amount",
        Reason::PresentedLate => "Presented late",
        Reason::AccountNumberMismatch => "Account number mismatch",
        Reason::NotAsDescribed => "Not as described",
        Reason::Unavailable => "Authorisation unavailable",
        Reason::Unrecorded => "Transaction not recorded",
        Reason::Other => "Other",
        Reason::PaidOtherwise => "Paid by other means",
        Reason::Unrecognised => "Transaction not recognised",
        Reason::Unauthorised => "Transaction not authorised",
        Reason::Fraud => "Fraud",
        Reason::Unknown => "Unknown",
        Reason::ConversionRate => "Currency conversion",
        Reason::BankFailureInsufficientFunds => "Bank failure: insufficient funds",
        Reason::BankFailureContactCustomer => "Bank failure: contact the customer",
        Reason::BankFailureAccountClosed => "Bank failure: account closed",
        Reason::BankFailureAccountIncompatible => "Bank failure: account incompatible",
        Reason::BankFailureAccountIncorrect => "Bank failure: account incorrect",
        Reason::Counterfeit => "Counterfeit goods",
        Reason::CustomerClaim => "Customer claim",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reason_calls_for_at_least_one_required_item() {
        for reason in Reason::ALL {
            assert!(for_reason(reason).iter().any(|i| i.required), "{reason:?}");
        }
    }

    #[test]
    fn an_item_is_satisfied_by_a_document_of_its_kind_only() {
        let none = checklist(Reason::NotReceived, &[]);
        assert!(none.iter().all(|c| !c.satisfied));
        let delivered = checklist(Reason::NotReceived, &[Some(K::DeliveryProof), None]);
        assert!(delivered[0].satisfied && delivered[0].item.required);
        assert!(!delivered[1].satisfied);
    }
}

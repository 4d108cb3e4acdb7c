//! The evidence that usually wins a dispute, by its reason: what the card networks' dispute
//! guides ask a merchant to show for each kind of claim.

use crate::domain::Reason;

/// What to gather for a dispute of `reason`, most important first.
pub fn for_reason(reason: Reason) -> &'static [&'static str] {
    match reason {
        Reason::NotReceived => &[
            "Proof of delivery: the carrier's tracking record with the delivery date and address, ideally signed for",
            "The delivery address matching the billing or account address",
            "For services or digital goods: logs showing the customer used or downloaded them",
            "Messages in which the customer acknowledges receipt",
        ],
        Reason::NotAsDescribed | Reason::Counterfeit => &[
            "The product description and terms the customer saw at purchase",
            "Proof that the item was as described (photos, specifications, quality checks)",
            "Your return and refund policy, and whether the customer used it",
            "Correspondence with the customer about the complaint",
        ],
        Reason::Duplicate => &[
            "Records showing each charge was a separate purchase (different orders, dates or items)",
            "Or: proof that the second charge was refunded",
            "Receipts or invoices for every charge",
        ],
        Reason::Unauthorised
        | Reason::Fraud
        | Reason::Unrecognised
        | Reason::CardExpired
        | Reason::AccountNumberMismatch => &[
            "The authorisation and 3-D Secure result of the charge",
            "Matching billing address, IP address or device of the cardholder's earlier undisputed purchases",
            "Proof of delivery to the cardholder's address, or the cardholder's use of the service",
            "The receipt or invoice with the cardholder's name, and how the charge appears on statements",
        ],
        Reason::RefundMissing => &[
            "Proof that the refund was made (its date and amount), or",
            "Your refund policy as shown at purchase, and why the refund was not due",
            "Correspondence with the customer about the return",
        ],
        Reason::RecurringCancelled => &[
            "The subscription terms the customer agreed to, including how to cancel",
            "Proof the customer did not cancel before the charge, or used the service afterwards",
            "Notices of the upcoming renewal sent to the customer",
        ],
        Reason::WrongAmount | Reason::WrongCurrency | Reason::ConversionRate => &[
            "The receipt or invoice showing the amount and currency the customer agreed to",
            "Any adjustment (tips, shipping, taxes) and the customer's agreement to it",
        ],
        Reason::PresentedLate | Reason::Unrecorded | Reason::Unavailable => &[
            "The transaction record with its date and the authorisation it carries",
            "The receipt or invoice for the charge",
        ],
        Reason::PaidOtherwise => &[
            "Proof that the other payment was for a different purchase, or was refunded",
            "Receipts for both payments",
        ],
        Reason::Other
        | Reason::Unknown
        | Reason::CustomerClaim
        | Reason::BankFailureInsufficientFunds
        | Reason::BankFailureContactCustomer
        | Reason::BankFailureAccountClosed
        | Reason::BankFailureAccountIncompatible
        | Reason::BankFailureAccountIncorrect => &[
            "The receipt or invoice for the charge",
            "Proof of delivery or of the service given",
            "Correspondence with the customer",
            "The terms the customer agreed to at purchase",
        ],
    }
}

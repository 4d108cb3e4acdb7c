//! The evidence packet's readiness as JSON (FILES.md §5): for every profile, whether the
//! dispute's evidence fits (pages, bytes, the budget, what is over), and the reason's checklist
//! with what is there. The Omise dialect answers it; the operator API shows the same object.

use serde::Serialize;
use utoipa::ToSchema;

use crate::core::packets::{Fit, Readiness};

#[derive(Debug, Serialize, ToSchema)]
pub struct ReadinessJson {
    /// Always `packet_readiness`.
    object: &'static str,
    /// The dispute's id.
    dispute: String,
    /// The account's default profile (what `GET …/packet` builds without `?profile=`).
    default_profile: &'static str,
    /// One entry per profile: generic, visa, mastercard, amex, stripe.
    profiles: std::collections::BTreeMap<&'static str, FitJson>,
    /// The evidence the dispute's reason calls for, most important first.
    checklist: Vec<ChecklistItemJson>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FitJson {
    fits: bool,
    /// The packet's pages (what it would be when it does not fit).
    pages: u32,
    /// The packet's size in bytes (what it would be when it does not fit).
    bytes: u64,
    budget: BudgetJson,
    /// What is over the budget: `pages`, `bytes`, or both.
    over: Vec<&'static str>,
    /// Why it does not fit, naming the documents that weigh most; null when it fits.
    #[schema(nullable)]
    message: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BudgetJson {
    /// The most pages; null for none.
    #[schema(nullable)]
    pages: Option<u32>,
    /// The most bytes (a MB is 1,000,000 bytes); null for none.
    #[schema(nullable)]
    bytes: Option<u64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChecklistItemJson {
    /// What to show.
    description: &'static str,
    /// The kind of document that shows it, in the domain's words.
    kind: &'static str,
    required: bool,
    /// Whether a document of that kind is there (refused documents do not count).
    satisfied: bool,
}

fn fit(f: &Fit) -> FitJson {
    let budget = f.profile.budget();
    FitJson {
        fits: f.fits,
        pages: f.pages,
        bytes: f.bytes,
        budget: BudgetJson {
            pages: budget.pages,
            bytes: budget.bytes,
        },
        over: f.over.clone(),
        message: f.message.clone(),
    }
}

pub fn readiness(r: &Readiness) -> ReadinessJson {
    ReadinessJson {
        object: "packet_readiness",
        dispute: r.dispute.as_str().to_string(),
        default_profile: r.default_profile.as_str(),
        profiles: r
            .profiles
            .iter()
            .map(|f| (f.profile.as_str(), fit(f)))
            .collect(),
        checklist: r
            .checklist
            .iter()
            .map(|c| ChecklistItemJson {
                description: c.item.text,
                kind: c.item.kind.as_str(),
                required: c.item.required,
                satisfied: c.satisfied,
            })
            .collect(),
    }
}

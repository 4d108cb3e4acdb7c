//! The pages, as maud templates (every value escaped). Nothing inline: styles and the script
//! are files the binary serves, so the policy can forbid inline code.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use chrono::{DateTime, Utc};
use maud::{DOCTYPE, Markup, html};

use super::access::Viewer;
use super::words;
use crate::core::packets::Readiness;
use crate::domain::{Dispute, DisputeStatus, Document, DocumentStatus, evidence};
use crate::packet::bytes_in_words;
use crate::wire::omise::vocab;

/// A message shown above a page's content.
pub struct Notice {
    pub error: bool,
    pub text: String,
}

impl Notice {
    pub fn error(text: impl Into<String>) -> Notice {
        Notice {
            error: true,
            text: text.into(),
        }
    }
}

/// The frame of every page. `csrf` is a signed-in session's: the header offers its sign-out.
pub fn layout(title: &str, csrf: Option<&str>, content: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="referrer" content="same-origin";
                title { (title) " · dispute-docs" }
                link rel="stylesheet" href="/web/assets/app.css";
                script src="/web/assets/app.js" defer {}
            }
            body {
                a class="skip" href="#main" { "Skip to the content" }
                header class="top" {
                    @if let Some(csrf) = csrf {
                        a class="brand" href="/web/disputes" { "dispute-docs · Disputes" }
                        form method="post" action="/web/logout" {
                            input type="hidden" name="csrf" value=(csrf);
                            button type="submit" { "Sign out" }
                        }
                    } @else {
                        span class="brand" { "dispute-docs · Dispute evidence" }
                    }
                }
                main id="main" { (content) }
            }
        }
    }
}

pub fn page(status: StatusCode, markup: Markup) -> Response {
    (status, Html(markup.into_string())).into_response()
}

/// A page that only explains something (an error, a closed link).
pub fn error_page(status: StatusCode, title: &str, message: &str) -> Response {
    page(
        status,
        layout(
            title,
            None,
            html! {
                section {
                    h1 { (title) }
                    p { (message) }
                }
            },
        ),
    )
}

/// `THB 1,000.00`: the amount in the currency's smallest unit, shown in its major one.
pub fn money(amount: i64, currency: &str) -> String {
    const ZERO_DECIMAL: [&str; 16] = [
        "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "VND", "VUV",
        "XAF", "XOF", "XPF",
    ];
    let currency = currency.to_ascii_uppercase();
    let negative = amount < 0;
    let amount = amount.unsigned_abs();
    let (whole, cents) = if ZERO_DECIMAL.contains(&currency.as_str()) {
        (amount, None)
    } else {
        (amount / 100, Some(amount % 100))
    };
    let digits = whole.to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let sign = if negative { "-" } else { "" };
    match cents {
        Some(c) => format!("{currency} {sign}{grouped}.{c:02}"),
        None => format!("{currency} {sign}{grouped}"),
    }
}

/// How long until `deadline`, in words: "3 days 4 hours left", or that it passed.
pub fn countdown(deadline: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let left = deadline - now;
    if left <= chrono::TimeDelta::zero() {
        return "the deadline has passed".to_owned();
    }
    let (days, hours, minutes) = (
        left.num_days(),
        left.num_hours() % 24,
        left.num_minutes() % 60,
    );
    let plural = |n: i64, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    if days > 0 {
        format!("{} {} left", plural(days, "day"), plural(hours, "hour"))
    } else if hours > 0 {
        format!(
            "{} {} left",
            plural(hours, "hour"),
            plural(minutes, "minute")
        )
    } else {
        format!("{} left", plural(minutes.max(1), "minute"))
    }
}

pub fn when(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

pub fn size(bytes: i64) -> String {
    if bytes >= 1024 * 1024 {
        format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
    } else if bytes >= 1024 {
        format!("{:.1} KB", bytes as f64 / 1024.0)
    } else {
        format!("{bytes} bytes")
    }
}

fn kind_label(document: &Document) -> &'static str {
    words::kind_label(document.kind)
}

fn document_status(status: DocumentStatus) -> &'static str {
    match status {
        DocumentStatus::Draft => "not yet submitted",
        DocumentStatus::Submitted => "submitted",
        DocumentStatus::Validated => "accepted by the reviewer",
        DocumentStatus::Refused => "refused by the reviewer",
        DocumentStatus::Expired => "out of date",
    }
}

pub fn status_badge(status: DisputeStatus) -> Markup {
    let word = words::status(status);
    html! { span class={ "status status-" (word) } { (word) } }
}

/// The dispute page: facts, checklist, documents with previews, and, while the dispute awaits
/// evidence, upload, delete, submit and accept.
pub fn dispute_page(
    viewer: &Viewer,
    dispute: &Dispute,
    documents: &[Document],
    packet: Option<&Readiness>,
    notices: &[Notice],
    now: DateTime<Utc>,
) -> Markup {
    let open = dispute.status == DisputeStatus::AwaitingEvidence;
    let (reason_code, reason_message) = vocab::reason(dispute.reason);
    let csrf = viewer.csrf.as_deref();
    let base = &viewer.base;
    let content = html! {
        @if viewer.signed_in() {
            p { a href="/web/disputes" { "← All disputes" } }
        }
        h1 { "Dispute " span class="hash" { (dispute.id) } }
        @for notice in notices {
            div class={ "notice " @if notice.error { "error" } @else { "ok" } } role="alert" { (notice.text) }
        }
        @if !open {
            div class="notice" role="status" {
                "This dispute is " (words::status(dispute.status)) ": its evidence can no longer be changed."
            }
        }
        section aria-labelledby="facts" {
            h2 id="facts" { "The dispute" }
            dl class="facts" {
                dt { "Amount" } dd { (money(dispute.amount, &dispute.currency)) }
                dt { "Reason" } dd { (reason_message) " " span class="hint" { "(" (reason_code) ")" } }
                dt { "Status" } dd { (status_badge(dispute.status)) }
                dt { "Charge" } dd class="hash" { (dispute.charge) }
                dt { "Evidence due" } dd {
                    @if let Some(due) = dispute.evidence_due_at {
                        time datetime=(due.to_rfc3339()) { (when(due)) }
                        @if open { " — " strong { (countdown(due, now)) } }
                    } @else { "no deadline" }
                }
                @if let Some(message) = &dispute.message {
                    dt { "Explanation" } dd { (message) }
                }
            }
        }
        @if open {
            section aria-labelledby="checklist" {
                h2 id="checklist" { "Evidence that usually wins" }
                p class="hint" { "For a dispute of this reason, banks usually decide for the merchant who shows:" }
                ul class="checklist" {
                    @for c in checklist(dispute, documents) {
                        li class=(if c.satisfied { "satisfied" } else { "missing" }) {
                            (c.item.text)
                            " "
                            span class="hint" {
                                "(" (if c.item.required { "required" } else { "optional" })
                                @if c.satisfied { ", there" }
                                ")"
                            }
                        }
                    }
                }
            }
        }
        @if let Some(r) = packet { (packet_section(base, r)) }
        section aria-labelledby="documents" {
            h2 id="documents" { "Documents (" (documents.len()) ")" }
            @if documents.is_empty() {
                p { "No documents yet." }
            }
            ul class="docs" {
                @for doc in documents {
                    li {
                        @if let Some(file) = &doc.first_page {
                            h3 { (file.filename) }
                            dl class="facts" {
                                dt { "What it shows" } dd { (kind_label(doc)) }
                                dt { "Size" } dd { (size(file.size)) " · " (file.content_type) }
                                dt { "SHA-256" } dd class="hash" { (file.sha256) }
                                dt { "Status" } dd { (document_status(doc.status)) }
                                @if file.content_type == "application/pdf" {
                                    dt { "Pages" } dd {
                                        @if let Some(n) = file.file_pages { (n) } @else { "not counted yet" }
                                    }
                                }
                                @if doc.page_count > 1 { dt { "Files" } dd { (doc.page_count) } }
                            }
                            @let src = format!("{base}/documents/{}/file", doc.id);
                            @if let Some(quarantine) = &file.quarantine {
                                div class="notice error" {
                                    "Quarantined: a malware scan found " (quarantine.signature)
                                    " in this file, so it is no longer shown, served or sent to the bank."
                                }
                            } @else {
                                @let shown = file.file_pages.unwrap_or(1).max(1);
                            div class="preview" {
                                @for n in 1..=shown {
                                    img src={ (base) "/documents/" (doc.id) "/pages/" (n) "/preview" }
                                        alt={ "Preview of " (file.filename) @if shown > 1 { ", page " (n) " of " (shown) } } loading="lazy";
                                }
                                p { a href=(src) { "Open " (file.filename) } }
                            }
                            }
                        } @else {
                            h3 { "An empty document" }
                            p { (kind_label(doc)) " · " (document_status(doc.status)) }
                        }
                        @if open && doc.status == DocumentStatus::Draft {
                            @let name = doc.first_page.as_ref().map_or("this document", |f| f.filename.as_str());
                            details class="delete" {
                                summary { "Delete " (name) "…" }
                                form method="post" action={ (base) "/documents/" (doc.id) "/delete" } {
                                    @if let Some(csrf) = csrf { input type="hidden" name="csrf" value=(csrf); }
                                    label class="inline" {
                                        input type="checkbox" name="confirm" value="yes" required;
                                        span { "Yes, remove " (name) " from the evidence." }
                                    }
                                    button type="submit" class="danger" { "Delete " (name) }
                                }
                            }
                        }
                    }
                }
            }
        }
        @if open {
            section aria-labelledby="upload" {
                h2 id="upload" { "Add evidence" }
                form method="post" action={ (base) "/documents" } enctype="multipart/form-data" data-upload {
                    @if let Some(csrf) = csrf { input type="hidden" name="csrf" value=(csrf); }
                    label for="kind" { "What the files show" }
                    select id="kind" name="kind" {
                        option value="" { "Other evidence" }
                        option value="details_of_purchase" { "Details of purchase (receipt, invoice)" }
                        option value="proof_of_receipt" { "Proof of receipt (delivery)" }
                        option value="proof_of_acceptance" { "Proof of acceptance (terms agreed)" }
                        option value="cardholder_details" { "Cardholder details" }
                    }
                    label class="dropzone" for="file" {
                        "Files: choose them, or drop them here"
                        input id="file" type="file" name="file" multiple accept="image/png,image/jpeg,application/pdf,.png,.jpg,.jpeg,.pdf" aria-describedby="limits";
                    }
                    p id="limits" class="hint" {
                        "PNG, JPEG or PDF, at most 10 MB each. Other files are refused (invalid_file_type), larger ones too (file_too_large); "
                        "nothing can be added once the dispute is answered (dispute_not_open)."
                    }
                    button type="submit" { "Upload" }
                }
                ul id="upload-progress" class="progress" aria-live="polite" {}
            }
            section aria-labelledby="answer" {
                h2 id="answer" { "Answer the dispute" }
                div class="actions" {
                    form method="post" action={ (base) "/submit" } {
                        @if let Some(csrf) = csrf { input type="hidden" name="csrf" value=(csrf); }
                        label for="message" { "Your explanation to the bank" }
                        textarea id="message" name="message" required maxlength="10000" {}
                        label class="inline" {
                            input type="checkbox" name="confirm" value="yes" required;
                            span { "I have added all the evidence: submitting sends it to the bank and nothing can be changed afterwards." }
                        }
                        button type="submit" { "Submit the evidence" }
                    }
                    form method="post" action={ (base) "/accept" } {
                        @if let Some(csrf) = csrf { input type="hidden" name="csrf" value=(csrf); }
                        p { "Or accept the dispute: the cardholder keeps the amount and the dispute is lost." }
                        label class="inline" {
                            input type="checkbox" name="confirm" value="yes" required;
                            span { "I accept this dispute and lose " (money(dispute.amount, &dispute.currency)) "." }
                        }
                        button type="submit" class="danger" { "Accept the dispute" }
                    }
                }
            }
        }
    };
    layout(&format!("Dispute {}", dispute.id), csrf, content)
}

pub fn login_page(error: Option<&str>) -> Markup {
    layout(
        "Sign in",
        None,
        html! {
            section {
                h1 { "Sign in to the dashboard" }
                @if let Some(error) = error {
                    div class="notice error" role="alert" { (error) }
                }
                form method="post" action="/web/login" {
                    label for="key" { "Secret key" }
                    input id="key" type="password" name="key" required autocomplete="off" spellcheck="false" aria-describedby="key-hint";
                    p id="key-hint" class="hint" {
                        "An Omise secret key of the account (skey_test_… or skey_…). It is exchanged for a session; the browser does not keep it."
                    }
                    button type="submit" { "Sign in" }
                }
            }
        },
    )
}

/// The tabs of the dashboard: which statuses each shows.
pub const TABS: [(&str, &str); 4] = [
    ("open", "Open"),
    ("pending", "Pending"),
    ("closed", "Closed"),
    ("all", "All"),
];

pub fn dashboard_page(
    csrf: &str,
    tab: &str,
    disputes: &[Dispute],
    total: i64,
    now: DateTime<Utc>,
) -> Markup {
    layout(
        "Disputes",
        Some(csrf),
        html! {
            h1 { "Disputes" }
            nav class="tabs" aria-label="Disputes by status" {
                @for (key, label) in TABS {
                    @if key == tab {
                        a href={ "/web/disputes?status=" (key) } aria-current="page" { (label) }
                    } @else {
                        a href={ "/web/disputes?status=" (key) } { (label) }
                    }
                }
            }
            section aria-labelledby="list" {
                h2 id="list" { (total) " " (if total == 1 { "dispute" } else { "disputes" }) }
                @if total > disputes.len() as i64 {
                    p class="hint" { "The " (disputes.len()) " newest are shown; the API lists them all (GET /disputes)." }
                }
                @if disputes.is_empty() {
                    p { "None." }
                } @else {
                    table {
                        thead { tr { th scope="col" { "Dispute" } th scope="col" { "Amount" } th scope="col" { "Reason" } th scope="col" { "Status" } th scope="col" { "Evidence due" } th scope="col" { "Documents" } } }
                        tbody {
                            @for d in disputes {
                                tr {
                                    td { a class="hash" href={ "/web/disputes/" (d.id) } { (d.id) } }
                                    td { (money(d.amount, &d.currency)) }
                                    td { (vocab::reason(d.reason).1) }
                                    td { (status_badge(d.status)) }
                                    td {
                                        @if let Some(due) = d.evidence_due_at {
                                            time datetime=(due.to_rfc3339()) { (when(due)) }
                                            @if d.status == DisputeStatus::AwaitingEvidence { br; (countdown(due, now)) }
                                        } @else { "—" }
                                    }
                                    td { (d.document_count) }
                                }
                            }
                        }
                    }
                }
            }
        },
    )
}

/// The evidence packet: whether it fits each profile, and its download.
fn packet_section(base: &str, r: &Readiness) -> Markup {
    html! {
        section aria-labelledby="packet" {
            h2 id="packet" { "The evidence packet" }
            p class="hint" { "One PDF of the evidence, as a card network takes it: a cover with an index, then every document's pages." }
            p { a href={ (base) "/packet" } download { "Download the packet (" (r.default_profile.as_str()) ")" } }
            table class="readiness" {
                thead { tr { th { "Profile" } th { "Pages" } th { "Size" } th { "Fits" } } }
                tbody {
                    @for fit in &r.profiles {
                        tr class=(if fit.fits { "fits" } else { "over" }) {
                            td { (fit.profile.as_str()) }
                            td { (fit.pages) }
                            td { (bytes_in_words(fit.bytes)) }
                            td {
                                @if fit.fits { "yes" }
                                @else { "no: " (fit.message.as_deref().unwrap_or("over its budget")) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The reason's checklist against the kinds of the documents there (refused ones do not count).
fn checklist(dispute: &Dispute, documents: &[Document]) -> Vec<evidence::Checked> {
    let kinds: Vec<_> = documents
        .iter()
        .filter(|d| d.status != DocumentStatus::Refused)
        .map(|d| d.kind)
        .collect();
    evidence::checklist(dispute.reason, &kinds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_shows_the_major_unit() {
        assert_eq!(money(100_000, "THB"), "THB 1,000.00");
        assert_eq!(money(5, "thb"), "THB 0.05");
        assert_eq!(money(1_234_567, "JPY"), "JPY 1,234,567");
        assert_eq!(money(-250, "USD"), "USD -2.50");
    }

    #[test]
    fn countdowns_read_as_words() {
        let now = Utc::now();
        let in_ = |s: i64| now + chrono::TimeDelta::seconds(s);
        assert_eq!(
            countdown(in_(3 * 86_400 + 4 * 3600 + 5), now),
            "3 days 4 hours left"
        );
        assert_eq!(countdown(in_(3600 + 60), now), "1 hour 1 minute left");
        assert_eq!(countdown(in_(30), now), "1 minute left");
        assert_eq!(countdown(in_(-1), now), "the deadline has passed");
    }
}

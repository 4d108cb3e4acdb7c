//! Evidence documents. A document is a container of one or more pages (files), with a status of
//! its own: draft -> submitted -> validated | refused, and expired for anything unfinished when
//! its dispute moves on without it. Which documents and pages may change is one rule over both
//! the dispute's status and the document's (`guard`).

use std::str::FromStr;

use chrono::{DateTime, Utc};

use super::{DisputeStatus, Id, Mode};

/// What a document proves, in the domain's words; each dialect maps its own kinds onto these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DocumentKind {
    CustomerDetails,
    PurchaseDetails,
    DeliveryProof,
    AcceptanceProof,
    RefundProof,
    Correspondence,
    ReplacementProof,
    Other,
}

impl DocumentKind {
    pub const ALL: [DocumentKind; 8] = [
        Self::CustomerDetails,
        Self::PurchaseDetails,
        Self::DeliveryProof,
        Self::AcceptanceProof,
        Self::RefundProof,
        Self::Correspondence,
        Self::ReplacementProof,
        Self::Other,
    ];

    /// The domain's own name, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CustomerDetails => "customer_details",
            Self::PurchaseDetails => "purchase_details",
            Self::DeliveryProof => "delivery_proof",
            Self::AcceptanceProof => "acceptance_proof",
            Self::RefundProof => "refund_proof",
            Self::Correspondence => "correspondence",
            Self::ReplacementProof => "replacement_proof",
            Self::Other => "other",
        }
    }
}

impl FromStr for DocumentKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| format!("unknown document kind {s:?}"))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DocumentStatus {
    /// Being put together: pages may be added, the document may be removed.
    Draft,
    /// Handed over for review (or to the bank with its dispute); frozen.
    Submitted,
    Validated,
    Refused,
    /// Its dispute moved on while it was unfinished.
    Expired,
}

impl DocumentStatus {
    pub const ALL: [DocumentStatus; 5] = [
        Self::Draft,
        Self::Submitted,
        Self::Validated,
        Self::Refused,
        Self::Expired,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Submitted => "submitted",
            Self::Validated => "validated",
            Self::Refused => "refused",
            Self::Expired => "expired",
        }
    }

    pub fn is_final(self) -> bool {
        matches!(self, Self::Validated | Self::Refused | Self::Expired)
    }
}

impl FromStr for DocumentStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| format!("unknown document status {s:?}"))
    }
}

/// Everything that can happen to a document's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentAction {
    /// Its owner hands it over (it needs at least one page).
    Submit,
    /// The reviewer accepts it.
    Validate,
    /// The reviewer refuses it, with a reason.
    Refuse,
    /// Its dispute moved on without it.
    Expire,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DocumentTransitionError {
    #[error("the document is not a draft")]
    NotDraft,
    #[error("the document has no pages")]
    NoPages,
    #[error("the document is not submitted")]
    NotSubmitted,
    #[error("the document is final")]
    Final,
}

impl DocumentAction {
    pub const ALL: [DocumentAction; 4] = [
        DocumentAction::Submit,
        DocumentAction::Validate,
        DocumentAction::Refuse,
        DocumentAction::Expire,
    ];

    /// The statuses this action starts from.
    pub fn sources(self) -> &'static [DocumentStatus] {
        use DocumentStatus::*;
        match self {
            DocumentAction::Submit => &[Draft],
            DocumentAction::Validate | DocumentAction::Refuse => &[Submitted],
            DocumentAction::Expire => &[Draft, Submitted],
        }
    }

    pub fn target(self) -> DocumentStatus {
        match self {
            DocumentAction::Submit => DocumentStatus::Submitted,
            DocumentAction::Validate => DocumentStatus::Validated,
            DocumentAction::Refuse => DocumentStatus::Refused,
            DocumentAction::Expire => DocumentStatus::Expired,
        }
    }

    /// The status after this action on a document in `from` holding `pages` pages, or why not.
    pub fn apply(
        self,
        from: DocumentStatus,
        pages: i64,
    ) -> Result<DocumentStatus, DocumentTransitionError> {
        if !self.sources().contains(&from) {
            return Err(self.refusal());
        }
        if self == DocumentAction::Submit && pages == 0 {
            return Err(DocumentTransitionError::NoPages);
        }
        Ok(self.target())
    }

    /// Why this action is refused whenever the document is not in one of its sources.
    pub fn refusal(self) -> DocumentTransitionError {
        match self {
            DocumentAction::Submit => DocumentTransitionError::NotDraft,
            DocumentAction::Validate | DocumentAction::Refuse => {
                DocumentTransitionError::NotSubmitted
            }
            DocumentAction::Expire => DocumentTransitionError::Final,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            DocumentAction::Submit => "submit",
            DocumentAction::Validate => "validate",
            DocumentAction::Refuse => "refuse",
            DocumentAction::Expire => "expire",
        }
    }
}

impl FromStr for DocumentAction {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        [
            DocumentAction::Submit,
            DocumentAction::Validate,
            DocumentAction::Refuse,
            DocumentAction::Expire,
        ]
        .into_iter()
        .find(|a| a.as_str() == s)
        .ok_or_else(|| format!("unknown document action {s:?}"))
    }
}

/// Why a change to a dispute's evidence is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum GuardError {
    /// Evidence changes only while the dispute awaits it.
    #[error("the dispute is not awaiting evidence")]
    DisputeClosedToEvidence,
    /// A document that left draft is frozen.
    #[error("the document is no longer a draft")]
    DocumentFrozen,
}

/// The status guard: a document may be added to a dispute, and a draft document may gain pages or
/// be removed, only while the dispute awaits evidence; a document that left draft never changes
/// again but through its own status. `document` is `None` when a new document is being added.
pub fn guard(dispute: DisputeStatus, document: Option<DocumentStatus>) -> Result<(), GuardError> {
    if dispute != DisputeStatus::AwaitingEvidence {
        return Err(GuardError::DisputeClosedToEvidence);
    }
    match document {
        None | Some(DocumentStatus::Draft) => Ok(()),
        Some(_) => Err(GuardError::DocumentFrozen),
    }
}

/// Why a reviewer refused a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RefusalReason {
    DoesNotMatchCustomer,
    DoesNotMatchAccount,
    Falsified,
    Expired,
    Incomplete,
    Missing,
    NotAccepted,
    Unreadable,
    SpecificCase,
    Underage,
    Counterfeit,
    Other,
}

impl RefusalReason {
    pub const ALL: [RefusalReason; 12] = [
        Self::DoesNotMatchCustomer,
        Self::DoesNotMatchAccount,
        Self::Falsified,
        Self::Expired,
        Self::Incomplete,
        Self::Missing,
        Self::NotAccepted,
        Self::Unreadable,
        Self::SpecificCase,
        Self::Underage,
        Self::Counterfeit,
        Self::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::DoesNotMatchCustomer => "does_not_match_customer",
            Self::DoesNotMatchAccount => "does_not_match_account",
            Self::Falsified => "falsified",
            Self::Expired => "expired",
            Self::Incomplete => "incomplete",
            Self::Missing => "missing",
            Self::NotAccepted => "not_accepted",
            Self::Unreadable => "unreadable",
            Self::SpecificCase => "specific_case",
            Self::Underage => "underage",
            Self::Counterfeit => "counterfeit",
            Self::Other => "other",
        }
    }
}

impl FromStr for RefusalReason {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| format!("unknown refusal reason {s:?}"))
    }
}

/// A reviewer's refusal of a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewRefusal {
    pub reason: RefusalReason,
    pub message: Option<String>,
}

/// The file types the domain knows, told from the bytes. Each dialect accepts some of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileType {
    Png,
    Jpeg,
    Pdf,
    Gif,
}

/// How many leading bytes `FileType::sniff` needs to decide.
pub const SNIFF_LEN: usize = 6;

impl FileType {
    /// Tells the type from the first bytes. `None` when they match no known type.
    pub fn sniff(head: &[u8]) -> Option<FileType> {
        if head.starts_with(b"\x89PNG") {
            Some(FileType::Png)
        } else if head.starts_with(b"\xff\xd8\xff") {
            Some(FileType::Jpeg)
        } else if head.starts_with(b"%PDF-") {
            Some(FileType::Pdf)
        } else if head.starts_with(b"GIF87a") || head.starts_with(b"GIF89a") {
            Some(FileType::Gif)
        } else {
            None
        }
    }

    /// The type a stored content type names.
    pub fn from_content_type(content_type: &str) -> Option<FileType> {
        [FileType::Png, FileType::Jpeg, FileType::Pdf, FileType::Gif]
            .into_iter()
            .find(|t| t.content_type() == content_type)
    }

    pub fn content_type(self) -> &'static str {
        match self {
            FileType::Png => "image/png",
            FileType::Jpeg => "image/jpeg",
            FileType::Pdf => "application/pdf",
            FileType::Gif => "image/gif",
        }
    }
}

/// What a dialect accepts as a page: which types, and how many bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileRules {
    pub types: &'static [FileType],
    pub min_size: u64,
    pub max_size: u64,
}

impl FileRules {
    /// The type of a file starting with `head`, if it is one of the accepted types.
    pub fn accept(&self, head: &[u8]) -> Option<FileType> {
        FileType::sniff(head).filter(|t| self.types.contains(t))
    }
}

/// The longest filename kept, in characters.
pub const MAX_FILENAME_CHARS: usize = 1024;

/// One file of a document.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub document: Id,
    /// 1 for the first page.
    pub position: i64,
    /// The name the client gave, for display only.
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    /// Hex SHA-256 of the bytes.
    pub sha256: String,
    /// Where the bytes are in the blob store.
    pub blob_key: String,
    pub created_at: DateTime<Utc>,
    /// How many pages the file has (a PDF's own count, 1 for a picture); `None` for a PDF
    /// stored before the checks counted them, until the sweep does.
    pub file_pages: Option<i64>,
    /// clamd's last scan of the bytes; `None` when stored unscanned.
    pub scan: Option<PageScan>,
    /// Set when a rescan found malware in it: no longer served, previewed or put in a packet.
    pub quarantine: Option<Quarantine>,
}

/// A scan of a page's bytes by clamd.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageScan {
    /// On the real clock, whatever clock the page's mode runs on.
    pub at: DateTime<Utc>,
    /// The engine and signature database, as clamd's `VERSION` says them.
    pub engine: String,
}

/// A stored page found to hold malware.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quarantine {
    pub at: DateTime<Utc>,
    /// The signature clamd named.
    pub signature: String,
}

/// A stored document, with its first page (the file, for dialects that know one per document).
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    pub id: Id,
    pub dispute: Id,
    /// The dispute's account.
    pub account: Id,
    pub mode: Mode,
    pub kind: Option<DocumentKind>,
    pub tag: Option<String>,
    pub status: DocumentStatus,
    pub refusal: Option<ReviewRefusal>,
    /// When the review ended.
    pub processed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// When it left draft.
    pub submitted_at: Option<DateTime<Utc>>,
    pub page_count: i64,
    pub first_page: Option<Page>,
}

/// A document to create.
#[derive(Debug, Clone)]
pub struct NewDocument {
    pub id: Id,
    pub kind: Option<DocumentKind>,
    pub tag: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// A file whose bytes are in the blob store, waiting for its page row.
#[derive(Debug, Clone)]
pub struct NewPage {
    pub filename: String,
    pub file_type: FileType,
    pub size: i64,
    pub sha256: String,
    pub blob_key: String,
    pub created_at: DateTime<Utc>,
    /// clamd's scan, when the file was scanned on its way in.
    pub scan: Option<PageScan>,
    /// How many pages the checks counted in the file.
    pub file_pages: i64,
}

#[cfg(test)]
mod tests {
    use super::DocumentStatus::*;
    use super::*;

    #[test]
    fn every_document_action_from_every_status_has_one_outcome() {
        use DocumentAction as A;
        use DocumentTransitionError as E;
        let expected = [
            (A::Submit, Draft, Ok(Submitted)),
            (A::Submit, Submitted, Err(E::NotDraft)),
            (A::Submit, Validated, Err(E::NotDraft)),
            (A::Submit, Refused, Err(E::NotDraft)),
            (A::Submit, Expired, Err(E::NotDraft)),
            (A::Validate, Draft, Err(E::NotSubmitted)),
            (A::Validate, Submitted, Ok(Validated)),
            (A::Validate, Validated, Err(E::NotSubmitted)),
            (A::Validate, Refused, Err(E::NotSubmitted)),
            (A::Validate, Expired, Err(E::NotSubmitted)),
            (A::Refuse, Draft, Err(E::NotSubmitted)),
            (A::Refuse, Submitted, Ok(Refused)),
            (A::Refuse, Validated, Err(E::NotSubmitted)),
            (A::Refuse, Refused, Err(E::NotSubmitted)),
            (A::Refuse, Expired, Err(E::NotSubmitted)),
            (A::Expire, Draft, Ok(Expired)),
            (A::Expire, Submitted, Ok(Expired)),
            (A::Expire, Validated, Err(E::Final)),
            (A::Expire, Refused, Err(E::Final)),
            (A::Expire, Expired, Err(E::Final)),
        ];
        assert_eq!(
            expected.len(),
            DocumentAction::ALL.len() * DocumentStatus::ALL.len()
        );
        for (action, from, outcome) in expected {
            assert_eq!(action.apply(from, 1), outcome, "{action:?} from {from:?}");
        }
    }

    #[test]
    fn a_document_without_pages_cannot_be_submitted() {
        assert_eq!(
            DocumentAction::Submit.apply(Draft, 0),
            Err(DocumentTransitionError::NoPages)
        );
    }

    #[test]
    fn final_statuses_are_exactly_those_no_action_leaves() {
        for status in DocumentStatus::ALL {
            let leaves = DocumentAction::ALL
                .iter()
                .any(|a| a.apply(status, 1).is_ok());
            assert_eq!(status.is_final(), !leaves, "{status:?}");
        }
    }

    #[test]
    fn the_guard_opens_evidence_only_while_the_dispute_awaits_it_and_the_document_is_a_draft() {
        for dispute in DisputeStatus::ALL {
            for document in [None, Some(Draft), Some(Submitted), Some(Validated)] {
                let outcome = guard(dispute, document);
                let expected = if dispute != DisputeStatus::AwaitingEvidence {
                    Err(GuardError::DisputeClosedToEvidence)
                } else if matches!(document, None | Some(Draft)) {
                    Ok(())
                } else {
                    Err(GuardError::DocumentFrozen)
                };
                assert_eq!(outcome, expected, "{dispute:?} {document:?}");
            }
        }
    }

    #[test]
    fn sniffing_knows_png_jpeg_pdf_and_gif_by_their_magic() {
        assert_eq!(FileType::sniff(b"\x89PNG\r\n\x1a\n"), Some(FileType::Png));
        assert_eq!(
            FileType::sniff(b"\xff\xd8\xff\xe0\x00"),
            Some(FileType::Jpeg)
        );
        assert_eq!(FileType::sniff(b"%PDF-1.7"), Some(FileType::Pdf));
        assert_eq!(FileType::sniff(b"GIF89a\x01"), Some(FileType::Gif));
        for bad in [&b"hello"[..], b"GIF8", b"%PDF", b"", b"\x89PN", b"<svg>"] {
            assert_eq!(FileType::sniff(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn rules_accept_only_their_types() {
        let rules = FileRules {
            types: &[FileType::Png],
            min_size: 0,
            max_size: 10,
        };
        assert_eq!(rules.accept(b"\x89PNG\r\n"), Some(FileType::Png));
        assert_eq!(rules.accept(b"GIF89a"), None);
    }

    #[test]
    fn vocabularies_round_trip() {
        for k in DocumentKind::ALL {
            assert_eq!(k.as_str().parse(), Ok(k));
        }
        for s in DocumentStatus::ALL {
            assert_eq!(s.as_str().parse(), Ok(s));
        }
        for r in RefusalReason::ALL {
            assert_eq!(r.as_str().parse(), Ok(r));
        }
        assert!("receipt".parse::<DocumentKind>().is_err());
    }
}

//! Evidence documents: their kinds, and the file types accepted, told from the bytes.

use chrono::{DateTime, Utc};

use super::Id;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentKind {
    CardholderDetails,
    DetailsOfPurchase,
    ProofOfReceipt,
    ProofOfAcceptance,
}

impl DocumentKind {
    pub const ALL: [DocumentKind; 4] = [
        Self::CardholderDetails,
        Self::DetailsOfPurchase,
        Self::ProofOfReceipt,
        Self::ProofOfAcceptance,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::CardholderDetails => "cardholder_details",
            Self::DetailsOfPurchase => "details_of_purchase",
            Self::ProofOfReceipt => "proof_of_receipt",
            Self::ProofOfAcceptance => "proof_of_acceptance",
        }
    }

    pub fn parse(s: &str) -> Option<DocumentKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// The file types accepted as evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileType {
    Png,
    Jpeg,
    Pdf,
}

/// How many leading bytes `FileType::sniff` needs to decide.
pub const SNIFF_LEN: usize = 5;

impl FileType {
    /// Tells the type from the first bytes. `None` when they match no accepted type, or when
    /// fewer than `SNIFF_LEN` bytes are given and they could still become one.
    pub fn sniff(head: &[u8]) -> Option<FileType> {
        if head.starts_with(b"\x89PNG") {
            Some(FileType::Png)
        } else if head.starts_with(b"\xff\xd8\xff") {
            Some(FileType::Jpeg)
        } else if head.starts_with(b"%PDF-") {
            Some(FileType::Pdf)
        } else {
            None
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            FileType::Png => "image/png",
            FileType::Jpeg => "image/jpeg",
            FileType::Pdf => "application/pdf",
        }
    }
}

/// Uploads larger than this are refused while they stream.
pub const MAX_FILE_SIZE: u64 = 10 * 1024 * 1024;

/// A stored document.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    pub id: Id,
    pub dispute: Id,
    pub filename: String,
    pub kind: Option<DocumentKind>,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub blob_key: String,
    pub created_at: DateTime<Utc>,
    pub submitted_at: Option<DateTime<Utc>>,
}

/// A document whose bytes are already in the blob store, waiting for its row.
#[derive(Debug, Clone)]
pub struct NewDocument {
    pub id: Id,
    pub filename: String,
    pub kind: Option<DocumentKind>,
    pub file_type: FileType,
    pub size: i64,
    pub sha256: String,
    pub blob_key: String,
    pub created_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffing_knows_png_jpeg_and_pdf_by_their_magic() {
        assert_eq!(FileType::sniff(b"\x89PNG\r\n\x1a\n"), Some(FileType::Png));
        assert_eq!(
            FileType::sniff(b"\xff\xd8\xff\xe0\x00"),
            Some(FileType::Jpeg)
        );
        assert_eq!(FileType::sniff(b"%PDF-1.7"), Some(FileType::Pdf));
    }

    #[test]
    fn sniffing_refuses_everything_else() {
        for bad in [&b"hello"[..], b"GIF89a", b"%PDF", b"", b"\x89PN", b"<svg>"] {
            assert_eq!(FileType::sniff(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn kinds_round_trip() {
        for k in DocumentKind::ALL {
            assert_eq!(DocumentKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(DocumentKind::parse("receipt"), None);
    }
}

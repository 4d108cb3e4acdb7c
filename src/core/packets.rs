//! The evidence packet of a dispute (FILES.md §5): its inputs gathered from the store and the
//! blob store (documents oldest first, refused documents and quarantined files left out), built
//! off the async threads, and kept as a blob named by the inputs' digest, so a repeat is one
//! read. Once the dispute has left "awaiting evidence", the packet frozen then (its SHA-256 in
//! the history, see `freeze`) is what every request for that profile gets.

use std::sync::Arc;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::Core;
use crate::domain::evidence::{self, kind_words};
use crate::domain::list::MAX_LIMIT;
use crate::domain::{
    Dispute, DisputeStatus, DocumentStatus, FileType, Id, ListQuery, Order, Scope,
};
use crate::packet::{self, BuildError, Facts, Inputs, Over, Profile, Source};
use crate::store::StoreError;

/// The packet builds of a process that may run at once (each decodes its pictures one at a
/// time, up to 30 million pixels each).
static BUILDS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

/// The files of the builds running at once, in KiB: builds go together while their files fit
/// in it together, and one whose files weigh more runs alone.
const BUILD_MEMORY_KIB: u32 = 128 * 1024;
static BUILD_MEMORY: tokio::sync::Semaphore =
    tokio::sync::Semaphore::const_new(BUILD_MEMORY_KIB as usize);

/// Where packets live in the blob store: apart from documents' blobs, which the sweep walks.
const PACKETS_PREFIX: &str = "packets";

/// A packet, ready to serve.
#[derive(Debug, Clone)]
pub struct Built {
    pub pdf: Bytes,
    /// Hex SHA-256 of the PDF.
    pub sha256: String,
    pub profile: Profile,
    /// The blob it is kept as.
    pub blob: String,
    /// The one frozen when the dispute left "awaiting evidence".
    pub frozen: bool,
}

impl Built {
    /// The name it is downloaded as: `<dispute>-<profile>.pdf`.
    pub fn filename(&self, dispute: &Id) -> String {
        format!("{dispute}-{}.pdf", self.profile.as_str())
    }
}

/// Why there is no packet.
#[derive(Debug, thiserror::Error)]
pub enum PacketError {
    #[error("no such dispute")]
    NotFound,
    #[error("{}", .0.message())]
    Over(Box<Over>),
    #[error("{0}")]
    Unreadable(String),
    /// The files weigh more together than a packet is built from (`Parts::packet_max_input`);
    /// none of them was read.
    #[error("{0}")]
    TooHeavy(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A file's bytes cannot be read from the blob store.
    #[error(transparent)]
    Blob(#[from] object_store::Error),
}

impl From<BuildError> for PacketError {
    fn from(e: BuildError) -> PacketError {
        match e {
            BuildError::Over(over) => PacketError::Over(over),
            BuildError::Unreadable(what) => {
                PacketError::Unreadable(format!("{what} cannot be put in a packet"))
            }
        }
    }
}

/// Whether a dispute's evidence fits one profile.
#[derive(Debug, Clone)]
pub struct Fit {
    pub profile: Profile,
    pub fits: bool,
    pub pages: u32,
    pub bytes: u64,
    /// `pages`, `bytes`, or both; empty when it fits.
    pub over: Vec<&'static str>,
    /// When it does not fit, or cannot be built: why, in a sentence.
    pub message: Option<String>,
}

/// Every profile's fit and the reason's checklist.
#[derive(Debug, Clone)]
pub struct Readiness {
    pub dispute: Id,
    pub default_profile: Profile,
    pub profiles: Vec<Fit>,
    pub checklist: Vec<evidence::Checked>,
}

/// A dispute and what its packet is made of, with where each source's bytes are.
pub struct Gathered {
    pub dispute: Dispute,
    pub inputs: Inputs,
    /// The blob of each of `inputs.sources`, in order.
    pub blobs: Vec<String>,
}

/// The blob a packet of inputs with `digest` is kept under.
pub fn packet_key(digest: &str) -> String {
    format!("{PACKETS_PREFIX}/{digest}.pdf")
}

/// An amount in its currency's units: `1,234.56 THB`, `5,000 JPY`.
pub fn amount_words(amount: i64, currency: &str) -> String {
    let currency = currency.to_ascii_uppercase();
    let decimals: u32 = match currency.as_str() {
        "JPY" | "KRW" | "VND" | "CLP" | "ISK" | "UGX" | "XAF" | "XOF" | "PYG" | "RWF" | "KMF"
        | "GNF" | "BIF" | "DJF" | "VUV" | "XPF" => 0,
        "BHD" | "JOD" | "KWD" | "OMR" | "TND" => 3,
        _ => 2,
    };
    let sign = if amount < 0 { "-" } else { "" };
    let abs = amount.unsigned_abs();
    let unit = 10u64.pow(decimals);
    let whole = (abs / unit).to_string();
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    if decimals == 0 {
        format!("{sign}{grouped} {currency}")
    } else {
        let frac = abs % unit;
        format!(
            "{sign}{grouped}.{frac:0width$} {currency}",
            width = decimals as usize
        )
    }
}

fn when(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

fn status_words(status: DisputeStatus) -> &'static str {
    match status {
        DisputeStatus::AwaitingEvidence => "awaiting evidence",
        DisputeStatus::UnderReview => "under review",
        DisputeStatus::Won => "won",
        DisputeStatus::Lost => "lost",
    }
}

/// The cover's facts of a dispute.
pub fn facts(d: &Dispute) -> Facts {
    Facts {
        id: d.id.as_str().to_string(),
        charge: d.charge.as_str().to_string(),
        amount: amount_words(d.amount, &d.currency),
        reason: evidence::reason_words(d.reason).to_string(),
        reason_code: d.reason.as_str().to_string(),
        opened: when(d.created_at),
        due: d.evidence_due_at.map_or_else(|| "no deadline".into(), when),
        status: status_words(d.status).to_string(),
        message: d.message.clone(),
    }
}

/// A letter per document: A … Z, then AA, AB …
fn letter(mut n: usize) -> String {
    let mut out = Vec::new();
    loop {
        out.push(b'A' + (n % 26) as u8);
        if n < 26 {
            break;
        }
        n = n / 26 - 1;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

impl Core {
    /// An account's default profile: its preference, else generic. `None`: no such account.
    pub async fn packet_profile(&self, account: &Id) -> Result<Option<Profile>, StoreError> {
        Ok(self.store.preferences(account).await?.map(|p| {
            p.get(Profile::PREFERENCE)
                .and_then(Value::as_str)
                .and_then(|s| s.parse().ok())
                .unwrap_or(Profile::Generic)
        }))
    }

    /// Sets an account's default profile; false when there is no such account.
    pub async fn set_packet_profile(
        &self,
        account: &Id,
        profile: Profile,
    ) -> Result<bool, StoreError> {
        self.store
            .set_preference(account, Profile::PREFERENCE, profile.as_str().into())
            .await
    }

    /// A dispute as `scope` sees it (`None`: the operator) with what its packet is made of.
    pub async fn packet_inputs(
        &self,
        scope: Option<&Scope>,
        dispute: &Id,
    ) -> Result<Option<Gathered>, PacketError> {
        let Some(d) = self.store.dispute(scope, dispute).await? else {
            return Ok(None);
        };
        let own = Scope {
            account: d.account.clone(),
            mode: d.mode,
        };
        let query = ListQuery {
            limit: MAX_LIMIT,
            order: Order::Chronological,
            ..ListQuery::first_page(DateTime::<Utc>::MAX_UTC)
        };
        let documents = self
            .store
            .list_documents(&own, dispute, &query)
            .await?
            .map(|page| page.items)
            .unwrap_or_default();
        let (mut sources, mut left_out, mut blobs) = (Vec::new(), Vec::new(), Vec::new());
        for (i, doc) in documents.iter().enumerate() {
            let letter = letter(i);
            let kind = kind_words(doc.kind);
            let left = |why: String| format!("{letter}. {kind}: {why}");
            match doc.status {
                DocumentStatus::Refused => {
                    left_out.push(left("refused at review, left out".into()));
                    continue;
                }
                DocumentStatus::Expired => {
                    left_out.push(left("not finished before the deadline, left out".into()));
                    continue;
                }
                _ => {}
            }
            let pages = self.store.pages(&doc.id).await?;
            if pages.is_empty() {
                left_out.push(left("holds no file, left out".into()));
            }
            let several = pages.len() > 1;
            for page in pages {
                let label = if several {
                    format!("{letter}.{}", page.position)
                } else {
                    letter.clone()
                };
                if let Some(q) = &page.quarantine {
                    left_out.push(format!(
                        "{label}. {kind}: {}, quarantined ({}), left out",
                        page.filename, q.signature
                    ));
                    continue;
                }
                let Some(file_type) = FileType::from_content_type(&page.content_type) else {
                    continue;
                };
                let size = u64::try_from(page.size).unwrap_or_default();
                blobs.push(page.blob_key);
                sources.push(Source {
                    label,
                    kind: kind.to_string(),
                    filename: page.filename,
                    file_type,
                    size,
                    sha256: page.sha256,
                    bytes: Arc::default(),
                });
            }
        }
        let inputs = Inputs {
            facts: facts(&d),
            sources,
            left_out,
        };
        Ok(Some(Gathered {
            dispute: d,
            inputs,
            blobs,
        }))
    }

    /// The packet of a dispute for `profile` (default: the account's): the frozen one once the
    /// dispute has left "awaiting evidence", else the kept one, else one built now and kept.
    pub async fn packet(
        &self,
        scope: Option<&Scope>,
        dispute: &Id,
        profile: Option<Profile>,
    ) -> Result<Built, PacketError> {
        let Some(d) = self.store.dispute(scope, dispute).await? else {
            return Err(PacketError::NotFound);
        };
        let profile = match profile {
            Some(p) => p,
            None => self
                .packet_profile(&d.account)
                .await?
                .unwrap_or(Profile::Generic),
        };
        if d.status != DisputeStatus::AwaitingEvidence {
            if let Some(frozen) = self.frozen(dispute, profile).await? {
                return frozen;
            }
        }
        let gathered = self
            .packet_inputs(scope, dispute)
            .await?
            .ok_or(PacketError::NotFound)?;
        self.packet_of(&gathered, profile).await
    }

    /// The packet of what was gathered: kept, or built now (the files read only then) and kept.
    pub async fn packet_of(
        &self,
        gathered: &Gathered,
        profile: Profile,
    ) -> Result<Built, PacketError> {
        let key = packet_key(&gathered.inputs.digest(profile));
        if let Some(pdf) = self.kept_packet(&key).await {
            return Ok(built(pdf, profile, key, false));
        }
        // Builds hold their files in memory: refused past the most a packet is built from, and
        // within the builds' memory (two at a time per process at most) before any is read.
        let weight: u64 = gathered.inputs.sources.iter().map(|s| s.size).sum();
        if weight > self.packet_max_input {
            return Err(PacketError::TooHeavy(too_heavy(
                &gathered.inputs,
                weight,
                self.packet_max_input,
            )));
        }
        let _memory = BUILD_MEMORY
            .acquire_many(
                u32::try_from(weight.div_ceil(1024))
                    .unwrap_or(u32::MAX)
                    .clamp(1, BUILD_MEMORY_KIB),
            )
            .await;
        let _turn = BUILDS.acquire().await;
        if let Some(pdf) = self.kept_packet(&key).await {
            // Built by another request while this one waited for its turn.
            return Ok(built(pdf, profile, key, false));
        }
        let mut inputs = gathered.inputs.clone();
        for (source, blob) in inputs.sources.iter_mut().zip(&gathered.blobs) {
            source.bytes = Arc::new(self.blobs.read_whole(blob, source.size).await?);
        }
        let packet = build_off_thread(inputs, profile).await?;
        let pdf = Bytes::from(packet.pdf);
        if let Err(e) = self.blobs.put(&key, pdf.clone()).await {
            // Served all the same; the next request builds it again.
            tracing::warn!(blob = %key, error = %e, "a packet could not be kept");
        }
        Ok(built(pdf, profile, key, false))
    }

    /// For every profile: does the evidence fit; and the reason's checklist.
    pub async fn packet_readiness(
        &self,
        scope: Option<&Scope>,
        dispute: &Id,
    ) -> Result<Readiness, PacketError> {
        let gathered = self
            .packet_inputs(scope, dispute)
            .await?
            .ok_or(PacketError::NotFound)?;
        let d = &gathered.dispute;
        let default_profile = self
            .packet_profile(&d.account)
            .await?
            .unwrap_or(Profile::Generic);
        // Every profile at once: the builds take turns (`BUILDS`, `BUILD_MEMORY`), two of them
        // on two cores rather than one after the other.
        let gathered = &gathered;
        let profiles =
            futures::future::try_join_all(Profile::ALL.into_iter().map(|profile| async move {
                let answer = if d.status != DisputeStatus::AwaitingEvidence {
                    match self.frozen(dispute, profile).await? {
                        Some(frozen) => frozen,
                        None => self.packet_of(gathered, profile).await,
                    }
                } else {
                    self.packet_of(gathered, profile).await
                };
                Ok::<_, PacketError>(fit(profile, answer))
            }))
            .await?;
        let documents = self
            .store
            .list_documents(
                &Scope {
                    account: d.account.clone(),
                    mode: d.mode,
                },
                dispute,
                &ListQuery {
                    limit: MAX_LIMIT,
                    ..ListQuery::first_page(DateTime::<Utc>::MAX_UTC)
                },
            )
            .await?
            .map(|p| p.items)
            .unwrap_or_default();
        let kinds: Vec<_> = documents
            .iter()
            .filter(|doc| doc.status != DocumentStatus::Refused)
            .map(|doc| doc.kind)
            .collect();
        Ok(Readiness {
            dispute: d.id.clone(),
            default_profile,
            profiles,
            checklist: evidence::checklist(d.reason, &kinds),
        })
    }

    pub(super) async fn kept_packet(&self, key: &str) -> Option<Bytes> {
        match self.blobs.read_whole(key, 1024 * 1024).await {
            Ok(bytes) => Some(Bytes::from(bytes)),
            Err(object_store::Error::NotFound { .. }) => None,
            Err(e) => {
                tracing::warn!(blob = %key, error = %e, "a kept packet cannot be read");
                None
            }
        }
    }
}

pub(super) fn built(pdf: Bytes, profile: Profile, blob: String, frozen: bool) -> Built {
    let sha256 = hex::encode(Sha256::digest(&pdf));
    Built {
        pdf,
        sha256,
        profile,
        blob,
        frozen,
    }
}

/// Why files of `weight` bytes together are not built into a packet, naming the heaviest.
fn too_heavy(inputs: &Inputs, weight: u64, max: u64) -> String {
    let mut sources: Vec<&Source> = inputs.sources.iter().collect();
    sources.sort_by(|a, b| b.size.cmp(&a.size).then_with(|| a.label.cmp(&b.label)));
    let heaviest: Vec<String> = sources
        .iter()
        .take(3)
        .map(|s| {
            format!(
                "{} {} ({})",
                s.label,
                s.filename,
                packet::bytes_in_words(s.size)
            )
        })
        .collect();
    format!(
        "the evidence's files weigh {} together, more than the {} a packet is built from: remove or replace the heaviest documents: {}",
        packet::bytes_in_words(weight),
        packet::bytes_in_words(max),
        heaviest.join(", ")
    )
}

fn fit(profile: Profile, answer: Result<Built, PacketError>) -> Fit {
    match answer {
        Ok(b) => Fit {
            profile,
            fits: true,
            pages: lopdf_pages(&b.pdf),
            bytes: b.pdf.len() as u64,
            over: Vec::new(),
            message: None,
        },
        Err(PacketError::Over(o)) => Fit {
            profile,
            fits: false,
            pages: o.pages,
            bytes: o.bytes,
            over: o.over.clone(),
            message: Some(o.message()),
        },
        Err(e) => Fit {
            profile,
            fits: false,
            pages: 0,
            bytes: 0,
            over: Vec::new(),
            message: Some(e.to_string()),
        },
    }
}

/// A built packet's page count, read back from its page tree's `/Count`.
fn lopdf_pages(pdf: &[u8]) -> u32 {
    crate::files::preview::page_count(pdf.to_vec()).unwrap_or(0)
}

/// Builds off the async threads; a panic in a decoder is an unreadable file, not a crash.
async fn build_off_thread(inputs: Inputs, profile: Profile) -> Result<packet::Packet, PacketError> {
    match tokio::task::spawn_blocking(move || packet::build(&inputs, profile)).await {
        Ok(result) => Ok(result?),
        Err(e) => Err(PacketError::Unreadable(format!(
            "a file cannot be put in a packet ({e})"
        ))),
    }
}

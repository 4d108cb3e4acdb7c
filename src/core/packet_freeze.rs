//! Freezing the evidence packet at submission (FILES.md §5): a dispute that leaves "awaiting
//! evidence" is queued by a trigger on its history (`packet_jobs`, in the transaction of the
//! change); a task beside the webhook worker builds its packet in the account's profile off the
//! request, keeps it, and writes its SHA-256 (or what did not fit) to the history with its
//! event. Afterwards `frozen` is what every request for that profile gets.

use serde_json::{Value, json};

use super::Core;
use super::packets::{Built, PacketError, built};
use crate::domain::{DisputeStatus, HistoryKind, Id};
use crate::packet::{self, Over, Profile};
use crate::store::{PacketJob, StoreError};

/// How many packets one pass of the worker freezes at most.
const BATCH: i64 = 8;

impl Core {
    /// One pass of the worker over the disputes that left "awaiting evidence": each one's
    /// packet in its account's profile built, kept, and its SHA-256 written to the history
    /// (with its event), or what did not fit. Returns how many jobs it finished. A job that fails on the
    /// store stays for the next pass; nothing here stops the worker.
    pub async fn freeze_packets(&self) -> usize {
        let jobs = match self.store.packet_jobs(BATCH).await {
            Ok(jobs) => jobs,
            Err(e) => {
                tracing::warn!(error = %e, "the packets to freeze cannot be read");
                return 0;
            }
        };
        let mut done = 0;
        for job in jobs {
            match self.freeze(&job).await {
                Ok(true) => done += 1,
                Ok(false) => {}
                Err(e) => {
                    tracing::warn!(dispute = %job.dispute, error = %e, "a packet could not be frozen")
                }
            }
        }
        done
    }

    async fn freeze(&self, job: &PacketJob) -> Result<bool, PacketError> {
        let Some(gathered) = self.packet_inputs(None, &job.dispute).await? else {
            // Its dispute is gone (a test-mode reset).
            return Ok(self
                .store
                .finish_packet_job(job, None, self.clock.now())
                .await?);
        };
        let d = &gathered.dispute;
        let profile = self
            .packet_profile(&d.account)
            .await?
            .unwrap_or(Profile::Generic);
        let detail = match self.packet_of(&gathered, profile).await {
            Ok(b) => json!({
                "profile": profile.as_str(),
                "fits": true,
                "sha256": b.sha256,
                "blob": b.blob,
                "pages": crate::files::preview::page_count(b.pdf.to_vec()).unwrap_or(0),
                "bytes": b.pdf.len(),
            }),
            Err(PacketError::Over(o)) => json!({
                "profile": profile.as_str(),
                "fits": false,
                "message": o.message(),
                "measure": FrozenOver::of(&o),
            }),
            Err(PacketError::Unreadable(message) | PacketError::TooHeavy(message)) => json!({
                "profile": profile.as_str(),
                "fits": false,
                "message": message,
            }),
            // A file gone from the blob store will not come back: recorded as it is, so the
            // job does not come round on every pass.
            Err(PacketError::Blob(e)) => json!({
                "profile": profile.as_str(),
                "fits": false,
                "message": format!("a file cannot be read ({e})"),
            }),
            Err(e @ PacketError::Store(_)) => return Err(e),
            Err(PacketError::NotFound) => return Ok(false),
        };
        let at = self.now_in(&d.account, d.mode).await?;
        Ok(self.store.finish_packet_job(job, Some(detail), at).await?)
    }

    /// The packet frozen for `profile` when the dispute left "awaiting evidence", if it was:
    /// its bytes, or the 422 it was then.
    pub(super) async fn frozen(
        &self,
        dispute: &Id,
        profile: Profile,
    ) -> Result<Option<Result<Built, PacketError>>, StoreError> {
        let history = self.store.history(dispute).await?;
        let Some(entry) = history.iter().rev().find(|e| {
            e.kind == HistoryKind::PacketFrozen
                && e.detail.get("profile").and_then(Value::as_str) == Some(profile.as_str())
        }) else {
            return Ok(None);
        };
        // Frozen before the dispute was reopened: a new submission freezes a new one.
        let reopened_after = history.iter().any(|e| {
            e.seq > entry.seq
                && e.kind == HistoryKind::StatusChanged
                && e.detail.get("to").and_then(Value::as_str)
                    == Some(DisputeStatus::AwaitingEvidence.as_str())
        });
        if reopened_after {
            return Ok(None);
        }
        if entry.detail.get("fits").and_then(Value::as_bool) == Some(false) {
            let over = entry
                .detail
                .get("measure")
                .cloned()
                .and_then(|m| serde_json::from_value::<FrozenOver>(m).ok());
            return Ok(over.map(|o| Err(PacketError::Over(Box::new(o.over(profile))))));
        }
        let Some(key) = entry.detail.get("blob").and_then(Value::as_str) else {
            return Ok(None);
        };
        match self.kept_packet(key).await {
            Some(pdf) => Ok(Some(Ok(built(pdf, profile, key.to_string(), true)))),
            None => Ok(None),
        }
    }
}

/// What the history keeps of a packet that did not fit: enough to answer its 422 again.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct FrozenOver {
    pages: u32,
    bytes: u64,
    over: Vec<String>,
    heaviest: Vec<(String, String, u64)>,
}

impl FrozenOver {
    pub fn of(o: &Over) -> FrozenOver {
        FrozenOver {
            pages: o.pages,
            bytes: o.bytes,
            over: o.over.iter().map(|s| s.to_string()).collect(),
            heaviest: o
                .heaviest
                .iter()
                .map(|w| (w.label.clone(), w.filename.clone(), w.bytes))
                .collect(),
        }
    }

    fn over(self, profile: Profile) -> Over {
        Over {
            profile,
            budget: profile.budget(),
            pages: self.pages,
            bytes: self.bytes,
            over: ["pages", "bytes"]
                .into_iter()
                .filter(|s| self.over.iter().any(|o| o == s))
                .collect(),
            heaviest: self
                .heaviest
                .into_iter()
                .map(|(label, filename, bytes)| packet::Weight {
                    label,
                    filename,
                    bytes,
                })
                .collect(),
        }
    }
}

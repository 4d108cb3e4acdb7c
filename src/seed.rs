//! Fixtures: accounts, keys, disputes in every status and their documents, loaded from JSON.
//! Loading is idempotent: what exists already is left as it is. The demo fixture is built into
//! the binary, so the embedded default needs no files beside it.

use std::path::Path;

use anyhow::{Context, bail};
use bytes::Bytes;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::app::AppState;
use crate::blobs::Blobs;
use crate::domain::dispute::NewDispute;
use crate::domain::document::NewDocument;
use crate::domain::{
    Action, DisputeStatus, DocumentKind, FileType, Id, IdKind, ReasonCode, SecretKey,
};
use crate::ops;
use crate::store::{Change, NewKey};

pub const DEMO_FIXTURE: &str = include_str!("../fixtures/demo.json");
/// The demo's first test key, printed at start-up.
pub const DEMO_TEST_KEY: &str = "skey_test_4xs8breq3htbkj03d2x";

const DEMO_FILES: [(&str, &[u8]); 3] = [
    (
        "files/receipt.png",
        include_bytes!("../fixtures/files/receipt.png"),
    ),
    (
        "files/delivery-slip.jpg",
        include_bytes!("../fixtures/files/delivery-slip.jpg"),
    ),
    (
        "files/invoice.pdf",
        include_bytes!("../fixtures/files/invoice.pdf"),
    ),
];

#[derive(Deserialize)]
struct Fixture {
    accounts: Vec<AccountFixture>,
}

#[derive(Deserialize)]
struct AccountFixture {
    id: String,
    name: String,
    #[serde(default = "default_version")]
    default_version: String,
    #[serde(default)]
    keys: Vec<KeyFixture>,
    #[serde(default)]
    disputes: Vec<DisputeFixture>,
}

fn default_version() -> String {
    "2019-05-29".into()
}

#[derive(Deserialize)]
struct KeyFixture {
    id: String,
    secret: String,
}

#[derive(Deserialize)]
struct DisputeFixture {
    id: String,
    charge: String,
    amount: i64,
    currency: String,
    reason_code: String,
    status: String,
    message: Option<String>,
    #[serde(default)]
    metadata: Map<String, Value>,
    #[serde(default)]
    documents: Vec<DocumentFixture>,
}

#[derive(Deserialize)]
struct DocumentFixture {
    id: String,
    filename: String,
    kind: Option<String>,
    file: String,
}

/// What a seeding run added.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Seeded {
    pub accounts: usize,
    pub keys: usize,
    pub disputes: usize,
    pub documents: usize,
}

/// Loads the demo fixture built into the binary.
pub async fn seed_demo(state: &AppState) -> anyhow::Result<Seeded> {
    seed(state, DEMO_FIXTURE, |name| {
        DEMO_FILES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, bytes)| Bytes::from_static(bytes))
            .with_context(|| format!("the demo fixture has no file {name}"))
    })
    .await
}

/// Loads a fixture file; its documents' files are read relative to it.
pub async fn seed_file(state: &AppState, path: &Path) -> anyhow::Result<Seeded> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let dir = path.parent().unwrap_or(Path::new(".")).to_owned();
    seed(state, &text, |name| {
        let file = dir.join(name);
        std::fs::read(&file)
            .map(Bytes::from)
            .with_context(|| format!("cannot read {}", file.display()))
    })
    .await
}

async fn seed(
    state: &AppState,
    text: &str,
    file: impl Fn(&str) -> anyhow::Result<Bytes>,
) -> anyhow::Result<Seeded> {
    let fixture: Fixture = serde_json::from_str(text).context("the fixture is not valid")?;
    let mut seeded = Seeded::default();
    let now = state.clock.now();
    for account in fixture.accounts {
        let account_id = parse(IdKind::Account, &account.id)?;
        seeded.accounts += state
            .store
            .create_account(&account_id, &account.name, &account.default_version, now)
            .await? as usize;
        for key in &account.keys {
            let secret = SecretKey::parse(&key.secret)
                .map_err(|_| anyhow::anyhow!("{} is not a secret key", key.id))?;
            let new = NewKey {
                id: parse(IdKind::Key, &key.id)?,
                account: account_id.clone(),
                mode: secret.mode(),
                secret_hash: secret.hash(),
                hint: secret.hint(),
                created_at: now,
            };
            seeded.keys += state.store.insert_key(&new).await? as usize;
        }
        for dispute in &account.disputes {
            if seed_dispute(state, &account_id, dispute, &file, &mut seeded).await? {
                seeded.disputes += 1;
            }
        }
    }
    Ok(seeded)
}

/// Opens the dispute, attaches its documents, then walks it to its status the way a real one
/// gets there. False when it existed already.
async fn seed_dispute(
    state: &AppState,
    account: &Id,
    fixture: &DisputeFixture,
    file: &impl Fn(&str) -> anyhow::Result<Bytes>,
    seeded: &mut Seeded,
) -> anyhow::Result<bool> {
    let id = parse(IdKind::Dispute, &fixture.id)?;
    let new = NewDispute {
        id: Some(id.clone()),
        account: account.clone(),
        mode: id.mode(),
        charge: parse(IdKind::Charge, &fixture.charge)?,
        amount: fixture.amount,
        currency: fixture.currency.clone(),
        reason: ReasonCode::parse(&fixture.reason_code)
            .with_context(|| format!("{}: unknown reason code", fixture.id))?,
    };
    let status: DisputeStatus = fixture.status.parse().map_err(anyhow::Error::msg)?;
    let created = crate::service::open_dispute(state, &new).await?.is_some();
    for doc in &fixture.documents {
        seeded.documents += seed_document(state, &id, doc, file).await? as usize;
    }
    if !created {
        return Ok(false);
    }
    let path: &[Action] = match status {
        DisputeStatus::Open => &[],
        DisputeStatus::Pending => &[Action::Submit],
        DisputeStatus::Won => &[Action::Submit, Action::Win],
        DisputeStatus::Lost if fixture.message.as_deref() == Action::Accept.fixed_message() => {
            &[Action::Accept]
        }
        DisputeStatus::Lost => &[Action::Submit, Action::Lose],
    };
    for &action in path {
        let change = Change {
            message: fixture
                .message
                .clone()
                .filter(|_| action == Action::Submit)
                .or(action.fixed_message().map(str::to_owned)),
            metadata: (action == Action::Submit).then(|| fixture.metadata.clone()),
            ..Change::default()
        };
        ops::decide(state, &id, action, change).await?;
    }
    Ok(true)
}

async fn seed_document(
    state: &AppState,
    dispute: &Id,
    fixture: &DocumentFixture,
    file: &impl Fn(&str) -> anyhow::Result<Bytes>,
) -> anyhow::Result<bool> {
    let id = parse(IdKind::Document, &fixture.id)?;
    if state.store.document(None, dispute, &id).await?.is_some() {
        return Ok(false);
    }
    let bytes = file(&fixture.file)?;
    let Some(file_type) = FileType::sniff(&bytes) else {
        bail!("{} is not PNG, JPEG or PDF", fixture.file)
    };
    let kind = match &fixture.kind {
        Some(k) => Some(
            DocumentKind::parse(k).with_context(|| format!("{}: unknown kind {k}", fixture.id))?,
        ),
        None => None,
    };
    let new = NewDocument {
        id,
        filename: fixture.filename.clone(),
        kind,
        file_type,
        size: bytes.len() as i64,
        sha256: hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&bytes)),
        blob_key: Blobs::new_key(),
        created_at: state.clock.now(),
    };
    state.blobs.put(&new.blob_key, bytes).await?;
    let inserted = state.store.seed_document(dispute, &new, false).await?;
    if !inserted {
        crate::service::discard(&state.blobs, &new.blob_key).await;
    }
    Ok(inserted)
}

fn parse(kind: IdKind, s: &str) -> anyhow::Result<Id> {
    Id::parse(kind, s).map_err(anyhow::Error::from)
}

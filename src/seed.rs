//! Fixtures: accounts, keys, disputes in every status and their documents, loaded from JSON
//! through the core, each dispute walked to its status the way a real one gets there. Fixtures
//! are written in the Omise dialect's words (statuses, reason codes, kinds, keys). Loading is
//! idempotent: what exists already is left as it is. The demo fixture is built into the binary,
//! so the embedded default needs no files beside it.

use std::path::Path;

use anyhow::{Context, bail};
use bytes::Bytes;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::core::Core;
use crate::core::accounts::secret_hash;
use crate::core::disputes::{Fields, OpenError};
use crate::core::documents::Upload;
use crate::core::scans::Arrival;
use crate::domain::dispute::NewDispute;
use crate::domain::{
    Action, Actor, DisputeKind, DisputeStatus, FileRules, FileType, Id, IdKind, Mode,
};
use crate::wire::mangopay::keys::SCHEME as MANGOPAY_SCHEME;
use crate::wire::omise::keys::SecretKey;
use crate::wire::omise::version::VERSION_PREFERENCE;
use crate::wire::omise::vocab;

pub const DEMO_FIXTURE: &str = include_str!("../fixtures/demo.json");
/// The demo's first test key, printed at start-up.
pub const DEMO_TEST_KEY: &str = "skey_test_4xs8breq3htbkj03d2x";
/// The demo account's Mangopay ClientId and API key (sandbox), printed at start-up.
pub const DEMO_CLIENT_ID: &str = "dispute-docs-demo";
pub const DEMO_API_KEY: &str = "demo_api_key_5g5ih3pybo7v4wwrbjw";

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
    /// The Mangopay ClientId, and its API keys.
    client_id: Option<String>,
    #[serde(default)]
    mangopay_keys: Vec<MangopayKeyFixture>,
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
struct MangopayKeyFixture {
    id: String,
    secret: String,
    mode: String,
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
pub async fn seed_demo(core: &Core) -> anyhow::Result<Seeded> {
    seed(core, DEMO_FIXTURE, |name| {
        DEMO_FILES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, bytes)| Bytes::from_static(bytes))
            .with_context(|| format!("the demo fixture has no file {name}"))
    })
    .await
}

/// Loads a fixture file; its documents' files are read relative to it.
pub async fn seed_file(core: &Core, path: &Path) -> anyhow::Result<Seeded> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let dir = path.parent().unwrap_or(Path::new(".")).to_owned();
    seed(core, &text, |name| {
        let file = dir.join(name);
        std::fs::read(&file)
            .map(Bytes::from)
            .with_context(|| format!("cannot read {}", file.display()))
    })
    .await
}

async fn seed(
    core: &Core,
    text: &str,
    file: impl Fn(&str) -> anyhow::Result<Bytes>,
) -> anyhow::Result<Seeded> {
    let fixture: Fixture = serde_json::from_str(text).context("the fixture is not valid")?;
    let mut seeded = Seeded::default();
    for account in fixture.accounts {
        let account_id = parse(IdKind::Account, &account.id)?;
        let mut preferences = Map::new();
        preferences.insert(VERSION_PREFERENCE.into(), account.default_version.into());
        let (_, created) = core
            .create_account(Some(account_id.clone()), &account.name, &preferences)
            .await?;
        seeded.accounts += usize::from(created);
        for key in &account.keys {
            let secret = SecretKey::parse(&key.secret)
                .map_err(|_| anyhow::anyhow!("{} is not a secret key", key.id))?;
            if core.find_key(&secret.hash()).await?.is_none() {
                let id = parse(IdKind::Key, &key.id)?;
                core.store_key(
                    Some(id),
                    &account_id,
                    secret.mode(),
                    SecretKey::SCHEME,
                    secret.expose(),
                )
                .await?;
                seeded.keys += 1;
            }
        }
        if let Some(client_id) = &account.client_id {
            core.set_handle(&account_id, client_id).await?;
        }
        for key in &account.mangopay_keys {
            if core.find_key(&secret_hash(&key.secret)).await?.is_none() {
                let mode = match key.mode.as_str() {
                    "live" => Mode::Live,
                    "test" => Mode::Test,
                    other => bail!("{}: mode {other} is neither test nor live", key.id),
                };
                let id = parse(IdKind::Key, &key.id)?;
                core.store_key(Some(id), &account_id, mode, MANGOPAY_SCHEME, &key.secret)
                    .await?;
                seeded.keys += 1;
            }
        }
        for dispute in &account.disputes {
            if seed_dispute(core, &account_id, dispute, &file, &mut seeded).await? {
                seeded.disputes += 1;
            }
        }
    }
    // The seeded disputes that no longer await evidence have their packets frozen here, as the
    // history they were given says they were submitted: a server started afterwards finds no
    // job left, and so announces nothing of the seed's past to endpoints added since.
    while core.freeze_packets().await > 0 {}
    Ok(seeded)
}

/// Opens the dispute, attaches its documents, then walks it to its status the way a real one
/// gets there. False when it existed already (then it is left as it is).
async fn seed_dispute(
    core: &Core,
    account: &Id,
    fixture: &DisputeFixture,
    file: &impl Fn(&str) -> anyhow::Result<Bytes>,
    seeded: &mut Seeded,
) -> anyhow::Result<bool> {
    let id = parse(IdKind::Dispute, &fixture.id)?;
    let charge = parse(IdKind::Charge, &fixture.charge)?;
    let new = NewDispute {
        id: Some(id.clone()),
        account: account.clone(),
        mode: id.marked_mode(),
        charge,
        amount: fixture.amount,
        currency: fixture.currency.clone(),
        reason: vocab::parse_reason(&fixture.reason_code)
            .with_context(|| format!("{}: unknown reason code", fixture.id))?,
        kind: DisputeKind::Chargeback,
        evidence_due_at: None,
    };
    let status = vocab::STATUSES
        .iter()
        .position(|s| *s == fixture.status)
        .map(|i| DisputeStatus::ALL[i])
        .with_context(|| format!("{}: unknown status {}", fixture.id, fixture.status))?;
    match core.open_dispute(&new, &Actor::System).await {
        Ok(_) => {}
        Err(OpenError::Exists(_)) => return Ok(false),
        Err(e) => return Err(e.into()),
    }
    for doc in &fixture.documents {
        seed_document(core, &id, doc, file).await?;
        seeded.documents += 1;
    }
    let accepted = fixture.message.as_deref() == Some(vocab::ACCEPT_MESSAGE);
    let path: &[Action] = match status {
        DisputeStatus::AwaitingEvidence => &[],
        DisputeStatus::UnderReview => &[Action::Submit],
        DisputeStatus::Won => &[Action::Submit, Action::Win],
        DisputeStatus::Lost if accepted => &[Action::Concede],
        DisputeStatus::Lost => &[Action::Submit, Action::Lose],
    };
    for &action in path {
        let merchant = matches!(action, Action::Submit | Action::Concede);
        let fields = Fields {
            message: fixture.message.clone().filter(|_| merchant),
            metadata: (action == Action::Submit).then(|| fixture.metadata.clone()),
            ..Fields::default()
        };
        core.transition(None, &id, action, fields, &Actor::System)
            .await
            .map_err(|r| anyhow::anyhow!("{}: {r}", fixture.id))?;
    }
    Ok(true)
}

async fn seed_document(
    core: &Core,
    dispute: &Id,
    fixture: &DocumentFixture,
    file: &impl Fn(&str) -> anyhow::Result<Bytes>,
) -> anyhow::Result<()> {
    let id = parse(IdKind::Document, &fixture.id)?;
    let bytes = file(&fixture.file)?;
    if FileType::sniff(&bytes).is_none() {
        bail!("{} is not a PNG, JPEG or PDF", fixture.file)
    }
    let kind = match &fixture.kind {
        Some(k) => Some(
            vocab::parse_kind(k).with_context(|| format!("{}: unknown kind {k}", fixture.id))?,
        ),
        None => None,
    };
    // Through clamd too, when SCAN_URL is set: a fixture is a way in like any other.
    let rules = FileRules {
        types: &[FileType::Png, FileType::Jpeg, FileType::Pdf, FileType::Gif],
        min_size: 1,
        max_size: u64::MAX,
    };
    let arrival = Arrival {
        scope: None,
        dispute,
        document: None,
        filename: &fixture.filename,
        actor: &Actor::System,
    };
    let chunks = futures::stream::iter([Ok::<_, std::convert::Infallible>(bytes)]);
    let stored = core
        .receive_file(arrival, &rules, chunks)
        .await
        .with_context(|| format!("{}: {}", fixture.id, fixture.file))?;
    let upload = Upload {
        file: stored,
        filename: fixture.filename.clone(),
    };
    let created = core
        .create_document(
            None,
            dispute,
            Some(id),
            kind,
            None,
            Some(upload),
            &Actor::System,
        )
        .await;
    // A refused document takes its page's blob with it.
    created.with_context(|| format!("{}: not attached", fixture.id))?;
    Ok(())
}

fn parse(kind: IdKind, s: &str) -> anyhow::Result<Id> {
    Id::parse(kind, s).map_err(anyhow::Error::from)
}

/// Loads the demo fixture's test-mode disputes of one account again (after a reset); returns
/// how many were created.
pub async fn reseed_demo_test_disputes(core: &Core, account: &Id) -> anyhow::Result<usize> {
    let fixture: Fixture = serde_json::from_str(DEMO_FIXTURE).context("the demo fixture")?;
    let file = |name: &str| {
        DEMO_FILES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, bytes)| Bytes::from_static(bytes))
            .with_context(|| format!("the demo fixture has no file {name}"))
    };
    let mut seeded = Seeded::default();
    let mut created = 0;
    for fixture_account in fixture.accounts.iter().filter(|a| a.id == account.as_str()) {
        for dispute in &fixture_account.disputes {
            let test = parse(IdKind::Dispute, &dispute.id)?.marked_mode() == Mode::Test;
            if test && seed_dispute(core, account, dispute, &file, &mut seeded).await? {
                created += 1;
            }
        }
    }
    Ok(created)
}

//! The `dispute-docs` command: serve (the default), migrate, seed, and the operator commands.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use dispute_docs::app::{self, AppState};
use dispute_docs::config::{DEFAULT_DATABASE_URL, Settings};
use dispute_docs::domain::{Action, Id, IdKind, Mode};
use dispute_docs::omise::disputes::OpenDispute;
use dispute_docs::{ops, seed};
use tracing_subscriber::EnvFilter;

#[derive(Parser)]
#[command(version, about = "An Omise-compatible dispute documents server")]
struct Cli {
    #[command(flatten)]
    settings: Settings,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API (the default). On a new embedded database, loads the demo data first.
    Serve,
    /// Create or update the database schema.
    Migrate,
    /// Load a fixture file (default: the demo fixture built into the binary). Idempotent.
    Seed { file: Option<PathBuf> },
    /// Remove blobs that no document names and partial uploads, older than SWEEP_GRACE (the
    /// server also does this on a timer).
    Sweep,
    /// Print an OpenAPI document: the Omise dialect's and the operator's (openapi.json, served at
    /// /openapi.json), or with `mangopay` the Mangopay dialect's (openapi-mangopay.json, served
    /// at /v2.01/openapi.json).
    Openapi {
        #[arg(value_parser = ["omise", "mangopay"], default_value = "omise")]
        dialect: String,
    },
    #[command(subcommand)]
    Account(AccountCommand),
    #[command(subcommand)]
    Key(KeyCommand),
    #[command(subcommand)]
    Dispute(DisputeCommand),
    /// Webhook endpoints (the Omise dialect's): where an account's events are POSTed.
    #[command(subcommand)]
    Webhook(WebhookCommand),
    /// Webhook deliveries: list them (with every attempt), send one again.
    #[command(subcommand)]
    Deliveries(DeliveriesCommand),
    /// Rescan stored files with clamd (SCAN_URL) after a signature update, and quarantine what
    /// it now finds (printed as JSON lines). Resumable: run again with the same --before.
    Scan {
        /// Rescan pages last scanned before this RFC 3339 time, or never (default: now).
        #[arg(long)]
        before: Option<String>,
        /// Go on after this page (`docu_…/2`), as a stopped run says.
        #[arg(long)]
        after: Option<String>,
        /// Pages read from the database at a time.
        #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(i64).range(1..=1000))]
        batch: i64,
    },
    /// Pages a rescan quarantined, the latest first, as JSON lines.
    Quarantine {
        #[arg(long, default_value_t = 100)]
        limit: i64,
        #[arg(long, default_value_t = 0)]
        offset: i64,
    },
}

#[derive(Subcommand)]
enum WebhookCommand {
    /// Register an endpoint; prints its signing secret once.
    Add {
        #[arg(long)]
        account: String,
        #[arg(long, value_parser = ["test", "live"], default_value = "test")]
        mode: String,
        /// https (http is allowed in test mode).
        #[arg(long)]
        url: String,
    },
    /// List an account's endpoints.
    List {
        #[arg(long)]
        account: String,
    },
    /// Remove an endpoint, with the deliveries still pending for it.
    Remove {
        #[arg(long)]
        account: String,
        id: String,
    },
    /// Give an endpoint a new signing secret; prints it once. The old one signs beside it for
    /// 24 hours.
    Rotate {
        #[arg(long)]
        account: String,
        id: String,
    },
}

#[derive(Subcommand)]
enum DeliveriesCommand {
    /// List deliveries, newest first, as JSON lines.
    List {
        #[arg(long)]
        account: Option<String>,
        /// Only dead deliveries (their schedule ran out).
        #[arg(long)]
        dead: bool,
        #[arg(long, default_value_t = 100)]
        limit: i64,
    },
    /// Send a delivery again, now, from the start of its schedule.
    Redeliver { id: i64 },
}

#[derive(Subcommand)]
enum AccountCommand {
    /// Create an account; prints its id.
    Create {
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "2019-05-29")]
        default_version: String,
        /// The account's Mangopay ClientId.
        #[arg(long)]
        client_id: Option<String>,
    },
    /// Give an account its Mangopay ClientId.
    ClientId {
        #[arg(long)]
        account: String,
        #[arg(long)]
        client_id: String,
    },
    /// Set how many days the account's merchants have to answer a dispute opened without a
    /// deadline (default: EVIDENCE_DAYS).
    EvidenceDays {
        #[arg(long)]
        account: String,
        days: u32,
    },
    /// Set the profile of the account's evidence packets: generic, visa, mastercard, amex, stripe.
    PacketProfile {
        #[arg(long)]
        account: String,
        profile: String,
    },
}

#[derive(Subcommand)]
enum KeyCommand {
    /// Issue a key; prints it once (only its hash is stored): an Omise secret key, or a
    /// Mangopay API key for the account's ClientId.
    Issue {
        #[arg(long)]
        account: String,
        #[arg(long, value_parser = ["test", "live"], default_value = "test")]
        mode: String,
        #[arg(long, value_parser = ["omise", "mangopay"], default_value = "omise")]
        dialect: String,
    },
    /// Revoke a key by its id.
    Revoke { id: String },
}

#[derive(Subcommand)]
enum DisputeCommand {
    /// Open a dispute on a charge, as the card issuer does.
    Open {
        #[arg(long)]
        account: String,
        #[arg(long)]
        charge: String,
        #[arg(long)]
        amount: Option<i64>,
        #[arg(long)]
        currency: Option<String>,
        /// An Omise reason code (or give --reason-type).
        #[arg(long)]
        reason_code: Option<String>,
        /// A Mangopay DisputeReasonType.
        #[arg(long)]
        reason_type: Option<String>,
        /// CONTESTABLE (default), NOT_CONTESTABLE or RETRIEVAL.
        #[arg(long)]
        dispute_type: Option<String>,
        /// The evidence deadline, in Unix seconds.
        #[arg(long)]
        contest_deadline: Option<i64>,
    },
    /// The bank's decision on a pending dispute.
    Resolve {
        id: String,
        #[arg(value_parser = ["won", "lost"])]
        outcome: String,
        #[arg(long)]
        admin_message: Option<String>,
    },
    /// The bank asks for more evidence: a pending dispute opens again.
    Reopen {
        id: String,
        /// Why (Mangopay's StatusMessage).
        #[arg(long)]
        admin_message: Option<String>,
    },
    /// The platform hands a pending dispute's evidence to the bank (Mangopay: PENDING_BANK_ACTION).
    Escalate {
        id: String,
        #[arg(long)]
        admin_message: Option<String>,
    },
    /// The reviewer accepts a submitted document.
    Validate { id: String, document: String },
    /// The reviewer refuses a submitted document.
    Refuse {
        id: String,
        document: String,
        /// A Mangopay RefusedReasonType, e.g. DOCUMENT_UNREADABLE.
        #[arg(long)]
        reason_type: String,
        #[arg(long)]
        message: Option<String>,
    },
}

/// glibc's allocator, keeping a few large freed blocks for reuse (process/large_blocks.rs).
#[global_allocator]
static ALLOCATOR: dispute_docs::process::large_blocks::KeepLarge =
    dispute_docs::process::large_blocks::KeepLarge::new();

fn main() -> anyhow::Result<()> {
    let _ = dotenvy::dotenv();
    dispute_docs::process::no_error_backtraces();
    dispute_docs::process::return_freed_memory();
    tokio::runtime::Runtime::new()?.block_on(run())
}

async fn run() -> anyhow::Result<()> {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let logs = tracing_subscriber::fmt().with_env_filter(filter);
    // LOG_FORMAT=json: one JSON object a line, for log collectors.
    if std::env::var("LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json")) {
        logs.json().init();
    } else {
        logs.init();
    }
    let cli = Cli::parse();
    let command = cli.command.unwrap_or(Command::Serve);
    if let Command::Openapi { dialect } = &command {
        if dialect == "mangopay" {
            print!("{}", dispute_docs::mangopay::openapi::document_json());
        } else {
            print!("{}", dispute_docs::openapi::document_json());
        }
        return Ok(());
    }
    let settings = cli.settings;
    let embedded_default = settings.database_url == DEFAULT_DATABASE_URL;
    let state = AppState::from_settings(settings).await?;
    match command {
        Command::Serve => serve(state, embedded_default).await?,
        Command::Migrate => println!("migrations applied"),
        Command::Openapi { .. } => unreachable!("answered before connecting"),
        Command::Seed { file } => {
            let seeded = match file {
                Some(path) => seed::seed_file(&state.core, &path).await?,
                None => seed::seed_demo(&state.core).await?,
            };
            println!("seeded: {seeded:?}");
        }
        Command::Sweep => {
            let core = &state.core;
            let grace = state.settings.sweep_grace();
            let swept =
                dispute_docs::sweep::sweep(&core.store, &core.blobs, core.clock.now(), grace)
                    .await?;
            println!(
                "removed {} orphaned blobs and {} partial uploads",
                swept.orphans, swept.partial_uploads
            );
            let done = core.count_stored_pages().await?;
            // Said only when there was something to count: once every file is counted, the
            // sweep's report is its one line, as scripts that read it expect.
            if done.counted > 0 || done.unreadable > 0 {
                println!(
                    "counted the pages of {} files stored before the checks ({} unreadable)",
                    done.counted, done.unreadable
                );
            }
        }
        Command::Account(AccountCommand::Create {
            name,
            default_version,
            client_id,
        }) => {
            let id =
                ops::create_account(&state.core, &name, &default_version, client_id.as_deref())
                    .await?;
            println!("{id}");
        }
        Command::Account(AccountCommand::ClientId { account, client_id }) => {
            let account = parse(IdKind::Account, &account)?;
            ops::set_client_id(&state.core, &account, &client_id).await?;
            println!("{account} has ClientId {client_id}");
        }
        Command::Account(AccountCommand::EvidenceDays { account, days }) => {
            let account = parse(IdKind::Account, &account)?;
            ops::set_evidence_days(&state.core, &account, days).await?;
            println!("{account} gives {days} days for evidence");
        }
        Command::Account(AccountCommand::PacketProfile { account, profile }) => {
            let account = parse(IdKind::Account, &account)?;
            ops::set_packet_profile(&state.core, &account, &profile).await?;
        }
        Command::Key(KeyCommand::Issue {
            account,
            mode,
            dialect,
        }) => {
            let mode = Some(Mode::Live)
                .filter(|_| mode == "live")
                .unwrap_or(Mode::Test);
            let account = parse(IdKind::Account, &account)?;
            if dialect == "mangopay" {
                let (id, key, client_id) = ops::issue_api_key(&state.core, &account, mode).await?;
                println!(
                    "key id: {id}\nClientId: {client_id}\nAPI key: {key}\n(the key is shown only now)"
                );
            } else {
                let (id, secret) = ops::issue_key(&state.core, &account, mode).await?;
                println!(
                    "key id: {id}\nsecret: {}\n(the secret is shown only now)",
                    secret.expose()
                );
            }
        }
        Command::Key(KeyCommand::Revoke { id }) => {
            ops::revoke_key(&state.core, &parse(IdKind::Key, &id)?).await?;
            println!("revoked {id}");
        }
        Command::Dispute(cmd) => dispute(&state, cmd).await?,
        Command::Webhook(cmd) => webhook(&state, cmd).await?,
        Command::Deliveries(DeliveriesCommand::List {
            account,
            dead,
            limit,
        }) => {
            let account = account.map(|a| parse(IdKind::Account, &a)).transpose()?;
            let state_filter = dead.then_some(dispute_docs::domain::DeliveryState::Dead);
            for d in ops::webhooks::deliveries(&state.core, account.as_ref(), state_filter, limit)
                .await?
            {
                println!("{}", serde_json::to_string(&d)?);
            }
        }
        Command::Scan {
            before,
            after,
            batch,
        } => ops::scans::rescan_from_cli(&state.core, before, after, batch).await?,
        Command::Quarantine { limit, offset } => {
            for page in ops::scans::quarantined(&state.core, limit, offset)
                .await?
                .data
            {
                println!("{}", serde_json::to_string(&page)?);
            }
        }
        Command::Deliveries(DeliveriesCommand::Redeliver { id }) => {
            ops::webhooks::redeliver(&state.core, id).await?;
            println!("delivery {id} is due again");
        }
    }
    Ok(())
}

async fn webhook(state: &AppState, cmd: WebhookCommand) -> anyhow::Result<()> {
    let core = &state.core;
    match cmd {
        WebhookCommand::Add { account, mode, url } => {
            let mode = Some(Mode::Live)
                .filter(|_| mode == "live")
                .unwrap_or(Mode::Test);
            let e =
                ops::webhooks::add(core, &parse(IdKind::Account, &account)?, mode, &url).await?;
            let secret = e.secret.unwrap_or_default();
            println!(
                "endpoint: {}\nsecret: {secret}\n(the secret is shown only now)",
                e.id
            );
        }
        WebhookCommand::List { account } => {
            for e in ops::webhooks::list(core, &parse(IdKind::Account, &account)?).await? {
                let mode = if e.mode.is_live() { "live" } else { "test" };
                let enabled = if e.enabled { "enabled" } else { "disabled" };
                println!("{}\t{mode}\t{enabled}\t{}", e.id, e.url);
            }
        }
        WebhookCommand::Remove { account, id } => {
            let account = parse(IdKind::Account, &account)?;
            ops::webhooks::remove(core, &account, &parse(IdKind::Endpoint, &id)?).await?;
            println!("removed {id}");
        }
        WebhookCommand::Rotate { account, id } => {
            let account = parse(IdKind::Account, &account)?;
            let e = ops::webhooks::rotate(core, &account, &parse(IdKind::Endpoint, &id)?).await?;
            let secret = e.secret.unwrap_or_default();
            println!(
                "endpoint: {}\nsecret: {secret}\n(the secret is shown only now; the previous one signs beside it for 24 hours)",
                e.id
            );
        }
    }
    Ok(())
}

async fn dispute(state: &AppState, cmd: DisputeCommand) -> anyhow::Result<()> {
    let core = &state.core;
    let (id, action, admin_message) = match cmd {
        DisputeCommand::Open {
            account,
            charge,
            amount,
            currency,
            reason_code,
            reason_type,
            dispute_type,
            contest_deadline,
        } => {
            let charge = parse(IdKind::Charge, &charge)?;
            let terms = OpenDispute {
                amount,
                currency,
                reason_code,
            };
            let mode = charge.marked_mode();
            let mut new = terms
                .new_dispute(parse(IdKind::Account, &account)?, mode, charge)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            if let Some(kind) = dispute_type {
                new.kind = dispute_docs::mangopay::render::parse_dispute_type(&kind)
                    .with_context(|| format!("unknown dispute type {kind}"))?;
            }
            if let Some(reason) = reason_type {
                new.reason = dispute_docs::mangopay::vocab::parse_reason(&reason)
                    .with_context(|| format!("unknown reason type {reason}"))?;
            }
            new.evidence_due_at = contest_deadline
                .map(|s| {
                    ops::deadline_from_unix(s)
                        .context("the deadline is out of range (1970 to 9999)")
                })
                .transpose()?;
            println!("{}", ops::open_dispute(core, &new).await?.id);
            return Ok(());
        }
        DisputeCommand::Resolve {
            id,
            outcome,
            admin_message,
        } => {
            let action = if outcome == "won" {
                Action::Win
            } else {
                Action::Lose
            };
            (id, action, admin_message)
        }
        DisputeCommand::Reopen { id, admin_message } => (id, Action::Reopen, admin_message),
        DisputeCommand::Escalate { id, admin_message } => (id, Action::Escalate, admin_message),
        DisputeCommand::Validate { id, document } => {
            return review(core, &id, &document, None).await;
        }
        DisputeCommand::Refuse {
            id,
            document,
            reason_type,
            message,
        } => {
            let reason = dispute_docs::mangopay::vocab::parse_refusal(&reason_type)
                .with_context(|| format!("unknown reason type {reason_type}"))?;
            let refusal = dispute_docs::domain::document::ReviewRefusal { reason, message };
            return review(core, &id, &document, Some(refusal)).await;
        }
    };
    let dispute = ops::decide(core, &parse(IdKind::Dispute, &id)?, action, admin_message).await?;
    let status = dispute_docs::omise::vocab::status(dispute.status);
    println!("{} is now {status}", dispute.id);
    Ok(())
}

async fn review(
    core: &dispute_docs::core::Core,
    dispute: &str,
    document: &str,
    refusal: Option<dispute_docs::domain::document::ReviewRefusal>,
) -> anyhow::Result<()> {
    let dispute = parse(IdKind::Dispute, dispute)?;
    let document = parse(IdKind::Document, document)?;
    let doc = ops::review(core, &dispute, &document, refusal).await?;
    println!("{} is now {}", doc.id, doc.status.as_str());
    Ok(())
}

fn parse(kind: IdKind, s: &str) -> anyhow::Result<Id> {
    Id::parse(kind, s).map_err(anyhow::Error::from)
}

/// Serves; on the embedded default database, loads the demo data the first time (while the
/// demo key is unknown to it).
async fn serve(state: AppState, embedded_default: bool) -> anyhow::Result<()> {
    let demo_key = dispute_docs::omise::keys::SecretKey::parse(seed::DEMO_TEST_KEY)
        .expect("the demo key parses");
    let mut has_demo = state.core.store.find_key(&demo_key.hash()).await?.is_some();
    if embedded_default && !has_demo {
        let seeded = seed::seed_demo(&state.core)
            .await
            .context("loading the demo data")?;
        tracing::info!(?seeded, "new embedded database: demo data loaded");
        has_demo = true;
    }
    if state.settings.signing_secret.is_none() {
        tracing::warn!(
            "SIGNING_SECRET is not set: download links will not survive a restart or work across servers"
        );
    }
    if let Some(limiter) = &state.rate_limiter {
        limiter.connect().await?;
    } else if state.settings.redis_url.is_some() {
        tracing::warn!("REDIS_URL is set but RATE_LIMIT is 0: there is no limit to share");
    }
    match &state.core.scanner {
        None => tracing::info!("SCAN_URL is not set: files are stored without a malware scan"),
        Some(scanner) => match scanner.engine().await {
            Ok(engine) => {
                tracing::info!(scanner = %scanner.url(), %engine, "files are scanned by clamd")
            }
            Err(e) => tracing::warn!(error = %e,
                "clamd does not answer: uploads are refused (503) and /readyz fails until it does"),
        },
    }
    let listener = tokio::net::TcpListener::bind(state.settings.listen_addr)
        .await
        .with_context(|| format!("cannot listen on {}", state.settings.listen_addr))?;
    let addr = listener.local_addr()?;
    let state = state.listening_on(addr);
    app::spawn_sweeper(&state);
    app::spawn_webhook_worker(&state);
    println!("dispute-docs listening on http://{addr}");
    if has_demo {
        println!("demo test key: {}", seed::DEMO_TEST_KEY);
        let base = state.base_url();
        println!("try: curl -u {}: {base}/disputes", seed::DEMO_TEST_KEY);
        println!(
            "demo Mangopay client: {} (API key {})",
            seed::DEMO_CLIENT_ID,
            seed::DEMO_API_KEY
        );
        println!(
            "try: TOKEN=$(curl -s -u {client}:{key} -X POST {base}/v2.01/oauth/token | \
             python3 -c 'import json,sys; print(json.load(sys.stdin)[\"access_token\"])') && \
             curl -H \"Authorization: Bearer $TOKEN\" {base}/v2.01/{client}/disputes",
            client = seed::DEMO_CLIENT_ID,
            key = seed::DEMO_API_KEY,
        );
    }
    // On SIGTERM the server stops accepting and lets requests in flight finish, for at most
    // SHUTDOWN_GRACE; then it stops with them cut off.
    let signal = futures::FutureExt::shared(Box::pin(app::shutdown_signal()));
    let grace = std::time::Duration::from_secs(state.settings.shutdown_grace.into());
    let server = app::serve(listener, state, signal.clone());
    tokio::select! {
        result = server => result,
        () = async {
            signal.await;
            tokio::time::sleep(grace).await;
        } => {
            tracing::warn!(
                grace_seconds = grace.as_secs(),
                "requests were still in flight when SHUTDOWN_GRACE ended: stopping without them"
            );
            Ok(())
        }
    }
}

//! The soak's load driver (`bench/soak/run` starts it). Workers drive mixed traffic — open a
//! dispute, upload documents, list, retrieve, download, delete one, submit, resolve — spreading
//! their requests over every server process given. Halfway through, it runs the outage command
//! (a Postgres restart). Every acknowledged write is remembered; afterwards every one is checked
//! through the API. It prints a Markdown section and exits non-zero when a write was lost, a
//! request failed outside the outage, or failed with anything but 503 within it.
//!
//! Environment: `SOAK_BASES` (comma-separated base URLs), `SOAK_KEY` (a test-mode secret key),
//! `SOAK_OPS_TOKEN`, `SOAK_SECONDS` (600), `SOAK_WORKERS` (8), `SOAK_OUTAGE_CMD` (run with
//! `sh -c` at half time; none by default), `SOAK_PIDS` (server pids whose RSS is sampled).

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use rand::Rng;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// Past the end of the outage command, how long 503s still count as the outage's.
const OUTAGE_TAIL: Duration = Duration::from_secs(15);
const RSS_EVERY: Duration = Duration::from_secs(5);

struct Config {
    bases: Vec<String>,
    key: String,
    ops_token: String,
    seconds: u64,
    workers: usize,
    outage_cmd: Option<String>,
    pids: Vec<u32>,
}

fn config() -> anyhow::Result<Config> {
    let var = |name: &str| std::env::var(name).with_context(|| format!("{name} is not set"));
    let bases: Vec<String> = var("SOAK_BASES")?
        .split(',')
        .map(|b| b.trim_end_matches('/').to_owned())
        .collect();
    Ok(Config {
        bases,
        key: var("SOAK_KEY")?,
        ops_token: var("SOAK_OPS_TOKEN")?,
        seconds: std::env::var("SOAK_SECONDS").map_or(Ok(600), |s| s.parse())?,
        workers: std::env::var("SOAK_WORKERS").map_or(Ok(8), |s| s.parse())?,
        outage_cmd: std::env::var("SOAK_OUTAGE_CMD")
            .ok()
            .filter(|c| !c.is_empty()),
        pids: std::env::var("SOAK_PIDS")
            .unwrap_or_default()
            .split(',')
            .filter(|p| !p.is_empty())
            .map(str::parse)
            .collect::<Result<_, _>>()?,
    })
}

/// What the server acknowledged about one dispute.
#[derive(Default)]
struct Acked {
    id: String,
    /// Its status as last acknowledged, unless an unacknowledged write may have changed it.
    status: Option<&'static str>,
    /// Documents acknowledged as uploaded: id and SHA-256 of the bytes.
    documents: Vec<(String, String)>,
    deleted: Vec<String>,
}

#[derive(Default)]
struct Tally {
    /// Per operation: latencies (µs) of the answers that were the expected ones.
    ok: BTreeMap<&'static str, Vec<u32>>,
    /// 503s, at their time since the start.
    unavailable: Vec<(&'static str, Duration)>,
    /// Anything else that went wrong: operation, time, what.
    failures: Vec<(&'static str, Duration, String)>,
    disputes: Vec<Acked>,
}

struct Shared {
    cfg: Config,
    client: reqwest::Client,
    started: Instant,
    tally: Mutex<Tally>,
}

/// How a request ended.
enum Answer {
    Ok(Value),
    /// 503: the database was away; the write may or may not have happened.
    Unavailable,
    Failed,
}

impl Shared {
    async fn call(
        &self,
        op: &'static str,
        expect: StatusCode,
        request: reqwest::RequestBuilder,
    ) -> Answer {
        let sent = Instant::now();
        let result = request.send().await;
        let at = self.started.elapsed();
        let mut tally = self.tally.lock().unwrap();
        match result {
            Ok(reply) if reply.status() == expect => {
                drop(tally);
                let body = if expect == StatusCode::OK {
                    match reply.json::<Value>().await {
                        Ok(v) => v,
                        Err(e) => {
                            let mut tally = self.tally.lock().unwrap();
                            tally.failures.push((op, at, format!("body: {e}")));
                            return Answer::Failed;
                        }
                    }
                } else {
                    Value::Null
                };
                let micros = u32::try_from(sent.elapsed().as_micros()).unwrap_or(u32::MAX);
                self.tally
                    .lock()
                    .unwrap()
                    .ok
                    .entry(op)
                    .or_default()
                    .push(micros);
                Answer::Ok(body)
            }
            Ok(reply) if reply.status() == StatusCode::SERVICE_UNAVAILABLE => {
                tally.unavailable.push((op, at));
                Answer::Unavailable
            }
            Ok(reply) => {
                tally
                    .failures
                    .push((op, at, format!("status {}", reply.status())));
                Answer::Failed
            }
            Err(e) => {
                tally.failures.push((op, at, format!("transport: {e}")));
                Answer::Failed
            }
        }
    }

    fn api(&self, base: &str, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.client
            .request(method, format!("{base}{path}"))
            .basic_auth(&self.cfg.key, Some(""))
    }

    fn base(&self, n: usize) -> &str {
        &self.cfg.bases[n % self.cfg.bases.len()]
    }
}

/// A real PDF of `len` bytes that passes the server's checks (`files::samples`), made unique
/// by a random tag, and its SHA-256.
fn document(len: usize) -> (Vec<u8>, String) {
    let tag = format!("soak {:016x}", rand::rng().random::<u64>());
    let bytes = dispute_docs::files::samples::sized(dispute_docs::domain::FileType::Pdf, &tag, len);
    let sha = hex::encode(Sha256::digest(&bytes));
    (bytes, sha)
}

async fn worker(shared: Arc<Shared>, me: usize, deadline: Instant) {
    let mut turn = me; // which process the next request goes to
    let mut n = 0u64;
    while Instant::now() < deadline {
        n += 1;
        let mut next = || {
            turn += 1;
            shared.base(turn).to_owned()
        };
        let charge = format!("chrg_test_soak{me}x{n}");
        let opened = shared
            .call(
                "open dispute",
                StatusCode::OK,
                shared.api(
                    &next(),
                    Method::POST,
                    &format!("/charges/{charge}/disputes"),
                ),
            )
            .await;
        let Answer::Ok(dispute) = opened else {
            continue;
        };
        let mut acked = Acked {
            id: dispute["id"].as_str().unwrap_or_default().to_owned(),
            status: Some("open"),
            ..Acked::default()
        };
        let outcome = lifecycle(&shared, &mut acked, &mut next).await;
        if outcome.is_err() {
            acked.status = None; // an unacknowledged write may have moved it on
        }
        shared.tally.lock().unwrap().disputes.push(acked);
    }
}

/// One dispute from upload to decision; `Err` at the first request not acknowledged.
async fn lifecycle(
    shared: &Shared,
    acked: &mut Acked,
    next: &mut impl FnMut() -> String,
) -> Result<(), ()> {
    let id = acked.id.clone();
    let ok = |answer: Answer| match answer {
        Answer::Ok(v) => Ok(v),
        _ => Err(()),
    };
    let uploads = rand::rng().random_range(1..=3);
    let mut links = Vec::new();
    for _ in 0..uploads {
        let len = rand::rng().random_range(8 * 1024..=200 * 1024);
        let (bytes, sha) = document(len);
        let form = reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(bytes).file_name("evidence.pdf"),
        );
        let request = shared
            .api(&next(), Method::POST, &format!("/disputes/{id}/documents"))
            .multipart(form);
        let doc = ok(shared
            .call("upload document", StatusCode::OK, request)
            .await)?;
        let doc_id = doc["id"].as_str().unwrap_or_default().to_owned();
        links.push((
            doc["download_uri"].as_str().unwrap_or_default().to_owned(),
            sha.clone(),
        ));
        acked.documents.push((doc_id, sha));
    }
    ok(shared
        .call(
            "list disputes",
            StatusCode::OK,
            shared.api(&next(), Method::GET, "/disputes?limit=20"),
        )
        .await)?;
    ok(shared
        .call(
            "list documents",
            StatusCode::OK,
            shared.api(&next(), Method::GET, &format!("/disputes/{id}/documents")),
        )
        .await)?;
    ok(shared
        .call(
            "retrieve dispute",
            StatusCode::OK,
            shared.api(&next(), Method::GET, &format!("/disputes/{id}")),
        )
        .await)?;
    // A download through another process than the one that signed the link.
    if let Some((link, sha)) = links.first() {
        let other = next();
        let path = link
            .split_once("/disputes/")
            .map(|(_, p)| p)
            .unwrap_or_default();
        let sent = Instant::now();
        match shared
            .client
            .get(format!("{other}/disputes/{path}"))
            .send()
            .await
        {
            Ok(reply) if reply.status() == StatusCode::OK => {
                let body = reply.bytes().await.unwrap_or_default();
                let micros = u32::try_from(sent.elapsed().as_micros()).unwrap_or(u32::MAX);
                let mut tally = shared.tally.lock().unwrap();
                if hex::encode(Sha256::digest(&body)) == *sha {
                    tally
                        .ok
                        .entry("download document")
                        .or_default()
                        .push(micros);
                } else {
                    let at = shared.started.elapsed();
                    tally
                        .failures
                        .push(("download document", at, "wrong bytes".into()));
                }
            }
            Ok(reply) => {
                let at = shared.started.elapsed();
                let mut tally = shared.tally.lock().unwrap();
                if reply.status() == StatusCode::SERVICE_UNAVAILABLE {
                    tally.unavailable.push(("download document", at));
                } else {
                    tally.failures.push((
                        "download document",
                        at,
                        format!("status {}", reply.status()),
                    ));
                }
            }
            Err(e) => {
                let at = shared.started.elapsed();
                shared.tally.lock().unwrap().failures.push((
                    "download document",
                    at,
                    format!("transport: {e}"),
                ));
            }
        }
    }
    if acked.documents.len() > 1 {
        let (doc, _) = acked.documents.pop().expect("more than one");
        let request = shared.api(
            &next(),
            Method::DELETE,
            &format!("/disputes/{id}/documents/{doc}"),
        );
        match shared
            .call("delete document", StatusCode::OK, request)
            .await
        {
            Answer::Ok(_) => acked.deleted.push(doc),
            _ => {
                acked.documents.push((doc, String::new())); // deleted or not: unknown
                return Err(());
            }
        }
    }
    let request = shared
        .api(&next(), Method::PATCH, &format!("/disputes/{id}"))
        .form(&[("message", "Delivered and signed for; evidence attached.")]);
    ok(shared
        .call("submit (transition)", StatusCode::OK, request)
        .await)?;
    acked.status = Some("pending");
    let outcome = if rand::rng().random_bool(0.5) {
        "won"
    } else {
        "lost"
    };
    let request = shared
        .client
        .post(format!("{}/ops/disputes/{id}/resolve", next()))
        .bearer_auth(&shared.cfg.ops_token)
        .json(&json!({ "outcome": outcome }));
    ok(shared
        .call("resolve (transition)", StatusCode::OK, request)
        .await)?;
    acked.status = Some(if outcome == "won" { "won" } else { "lost" });
    Ok(())
}

fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Every acknowledged write, read back through the API (each dispute from another process
/// than the last that wrote it is not tracked: any process will do). Returns the lost ones.
async fn verify(shared: &Shared, disputes: &[Acked]) -> (usize, usize, Vec<String>) {
    let mut lost = Vec::new();
    let mut checked_writes = 0;
    let mut downloads = 0;
    for (i, acked) in disputes.iter().enumerate() {
        let base = shared.base(i);
        let get = |path: String| async move {
            let reply = shared.api(base, Method::GET, &path).send().await.ok()?;
            (reply.status() == StatusCode::OK).then_some(())?;
            reply.json::<Value>().await.ok()
        };
        let Some(dispute) = get(format!("/disputes/{}", acked.id)).await else {
            lost.push(format!("dispute {} is gone", acked.id));
            continue;
        };
        checked_writes += 1;
        if let Some(status) = acked.status {
            checked_writes += 1;
            if dispute["status"] != status {
                lost.push(format!(
                    "dispute {}: {} instead of {status}",
                    acked.id, dispute["status"]
                ));
            }
        }
        let Some(list) = get(format!("/disputes/{}/documents?limit=100", acked.id)).await else {
            lost.push(format!("dispute {}: documents unreadable", acked.id));
            continue;
        };
        let listed: HashSet<&str> = list["data"]
            .as_array()
            .map(|d| d.iter().filter_map(|d| d["id"].as_str()).collect())
            .unwrap_or_default();
        for (doc, sha) in &acked.documents {
            if sha.is_empty() {
                continue; // a delete that was not acknowledged
            }
            checked_writes += 1;
            if !listed.contains(doc.as_str()) {
                lost.push(format!("document {doc} of {} is gone", acked.id));
            } else if i % 10 == 0 {
                // Every tenth dispute's documents are also downloaded, bytes compared.
                downloads += 1;
                let got = async {
                    let doc = get(format!("/disputes/{}/documents/{doc}", acked.id)).await?;
                    let link = doc["download_uri"].as_str()?.to_owned();
                    shared
                        .client
                        .get(link)
                        .send()
                        .await
                        .ok()?
                        .bytes()
                        .await
                        .ok()
                };
                match got.await {
                    Some(bytes) if hex::encode(Sha256::digest(&bytes)) == *sha => {}
                    _ => lost.push(format!("document {doc}: bytes differ")),
                }
            }
        }
        for doc in &acked.deleted {
            checked_writes += 1;
            if listed.contains(doc.as_str()) {
                lost.push(format!("document {doc} was deleted but is listed"));
            }
        }
    }
    (checked_writes, downloads, lost)
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    f64::from(sorted[i]) / 1000.0
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cfg = config()?;
    if cfg.bases.is_empty() {
        bail!("SOAK_BASES names no server");
    }
    let shared = Arc::new(Shared {
        client: reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()?,
        started: Instant::now(),
        tally: Mutex::default(),
        cfg,
    });
    let total = Duration::from_secs(shared.cfg.seconds);
    let deadline = shared.started + total;
    let workers: Vec<_> = (0..shared.cfg.workers)
        .map(|me| tokio::spawn(worker(shared.clone(), me, deadline)))
        .collect();

    // RSS of each process, every few seconds.
    let sampler = {
        let shared = shared.clone();
        tokio::spawn(async move {
            let mut samples: Vec<(Duration, Vec<u64>)> = Vec::new();
            while Instant::now() < deadline {
                let rss = shared
                    .cfg
                    .pids
                    .iter()
                    .map(|p| rss_kib(*p).unwrap_or(0))
                    .collect();
                samples.push((shared.started.elapsed(), rss));
                tokio::time::sleep(RSS_EVERY).await;
            }
            samples
        })
    };

    // The outage, at half time.
    let mut outage = None;
    if let Some(cmd) = shared.cfg.outage_cmd.clone() {
        tokio::time::sleep(total / 2).await;
        let from = shared.started.elapsed();
        eprintln!("[soak] outage at {:.0} s: {cmd}", from.as_secs_f64());
        let status = tokio::process::Command::new("sh")
            .arg("-c")
            .arg(&cmd)
            .status()
            .await?;
        let to = shared.started.elapsed();
        eprintln!(
            "[soak] outage command done at {:.1} s ({status})",
            to.as_secs_f64()
        );
        if !status.success() {
            bail!("the outage command failed: {status}");
        }
        outage = Some((from, to));
    }
    for w in workers {
        w.await?;
    }
    let elapsed = shared.started.elapsed();
    let samples = sampler.await?;
    eprintln!("[soak] load done; checking every acknowledged write");
    let tally = std::mem::take(&mut *shared.tally.lock().unwrap());
    let (checked, downloads, lost) = verify(&shared, &tally.disputes).await;

    // --- the report -------------------------------------------------------------------------
    let in_outage =
        |at: &Duration| outage.is_some_and(|(from, to)| *at >= from && *at <= to + OUTAGE_TAIL);
    let unavailable_in = tally
        .unavailable
        .iter()
        .filter(|(_, at)| in_outage(at))
        .count();
    let unavailable_out = tally.unavailable.len() - unavailable_in;
    let failures_in = tally
        .failures
        .iter()
        .filter(|(_, at, _)| in_outage(at))
        .count();
    let failures_out = tally.failures.len() - failures_in;
    let mut out = String::new();
    let w = &mut out;
    use std::fmt::Write;
    let secs = elapsed.as_secs_f64();
    writeln!(
        w,
        "| operation | answered as expected | req/s | p50 ms | p99 ms |"
    )?;
    writeln!(w, "|---|---:|---:|---:|---:|")?;
    let mut all = 0usize;
    for (op, lat) in &tally.ok {
        let mut lat = lat.clone();
        lat.sort_unstable();
        all += lat.len();
        writeln!(
            w,
            "| {op} | {} | {:.0} | {:.2} | {:.2} |",
            lat.len(),
            lat.len() as f64 / secs,
            percentile(&lat, 0.5),
            percentile(&lat, 0.99)
        )?;
    }
    writeln!(
        w,
        "| **all** | **{all}** | **{:.0}** | | |",
        all as f64 / secs
    )?;
    writeln!(w)?;
    if let Some((from, to)) = outage {
        let times: Vec<f64> = tally
            .unavailable
            .iter()
            .map(|(_, at)| at.as_secs_f64())
            .collect();
        let span = match (
            times.iter().copied().reduce(f64::min),
            times.iter().copied().reduce(f64::max),
        ) {
            (Some(a), Some(b)) => format!("between {a:.1} s and {b:.1} s"),
            _ => "none".to_owned(),
        };
        writeln!(
            w,
            "- Postgres restart: the command ran from {:.1} s to {:.1} s into the run; the outage window counted is that plus {} s.",
            from.as_secs_f64(),
            to.as_secs_f64(),
            OUTAGE_TAIL.as_secs()
        )?;
        writeln!(
            w,
            "- 503 answers: **{unavailable_in} within the outage** ({span}), **{unavailable_out} outside it**."
        )?;
    }
    writeln!(
        w,
        "- Other failures (any status but the expected one or 503, transport errors, wrong bytes): **{failures_in} within the outage, {failures_out} outside it**."
    )?;
    for (op, at, what) in tally.failures.iter().take(10) {
        writeln!(w, "  - {op} at {:.1} s: {what}", at.as_secs_f64())?;
    }
    writeln!(
        w,
        "- Acknowledged writes checked afterwards through the API: {checked} ({} disputes, their statuses, documents and deletions; {downloads} documents downloaded and their SHA-256 compared): **{} lost**.",
        tally.disputes.len(),
        lost.len()
    )?;
    for l in lost.iter().take(10) {
        writeln!(w, "  - {l}")?;
    }
    let mut rss_flat = true;
    if !shared.cfg.pids.is_empty() && samples.len() > 2 {
        writeln!(w)?;
        writeln!(
            w,
            "| server process | RSS at 1 min, MiB | at half time | at the end | highest | growth from 1 min to the end |"
        )?;
        writeln!(w, "|---|---:|---:|---:|---:|---:|")?;
        let at = |t: Duration| {
            samples
                .iter()
                .find(|(s, _)| *s >= t)
                .or(samples.last())
                .map(|(_, r)| r.clone())
                .unwrap_or_default()
        };
        let warm = at(Duration::from_secs(60).min(total / 4));
        let half = at(total / 2);
        let end = samples.last().map(|(_, r)| r.clone()).unwrap_or_default();
        for (i, pid) in shared.cfg.pids.iter().enumerate() {
            let mib = |kib: u64| kib as f64 / 1024.0;
            let max = samples.iter().map(|(_, r)| r[i]).max().unwrap_or(0);
            let growth = mib(end[i]) - mib(warm[i]);
            // Flat: no more than 10 % or 4 MiB above its size once warm, whichever is larger.
            if growth > (mib(warm[i]) * 0.10).max(4.0) {
                rss_flat = false;
            }
            writeln!(
                w,
                "| {} (pid {pid}) | {:.1} | {:.1} | {:.1} | {:.1} | {:+.1} MiB |",
                i + 1,
                mib(warm[i]),
                mib(half[i]),
                mib(end[i]),
                mib(max),
                growth
            )?;
        }
        writeln!(w)?;
        writeln!(
            w,
            "RSS flat (at most 10 % or 4 MiB above its size at 1 min): **{}**.",
            if rss_flat { "yes" } else { "NO" }
        )?;
    }
    print!("{out}");
    let passed =
        lost.is_empty() && failures_in + failures_out == 0 && unavailable_out == 0 && rss_flat;
    if !passed {
        bail!("the soak failed: see the report above");
    }
    Ok(())
}

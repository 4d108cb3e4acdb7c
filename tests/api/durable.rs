//! Durable before acknowledged, on a local blob store: every file a row names (an Omise upload,
//! a Mangopay page, an upload through an evidence link's page, the seeder's files) is on stable
//! storage, with the directory entry that names it, before the database hears of it. Shown on
//! the real binary's system calls, recorded by strace (Debian's package, installed with apt-get
//! when missing): for each blob, its staged file is synced, renamed into place, and its directory
//! synced, all before the first write to the database (a Postgres socket, a SQLite file) that
//! carries the blob's key, and so before the row naming it can commit. On both backends.

use std::path::Path;

use crate::helpers::*;
use crate::processes::*;
use base64::Engine;
use serde_json::{Value, json};

/// The system calls recorded: writes of every kind (to files and sockets), syncs and renames.
const TRACED: &str = "trace=execve,write,writev,pwrite64,pwritev,pwritev2,sendto,sendmsg,\
                      fsync,fdatasync,rename,renameat,renameat2";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_postgres_a_file_is_on_disk_before_its_row_is_written() {
    every_way_in_is_durable_before_the_database_hears_of_it(Deployment::new(None).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_sqlite_a_file_is_on_disk_before_its_row_is_written() {
    let deployment = Deployment::new(None).await;
    let url = format!(
        "sqlite://{}/dispute-docs.db",
        deployment.dir.path().display()
    );
    every_way_in_is_durable_before_the_database_hears_of_it(deployment.with("DATABASE_URL", url))
        .await;
}

async fn every_way_in_is_durable_before_the_database_hears_of_it(deployment: Deployment) {
    install_strace();
    let blobs = deployment.dir.path().join("blobs");
    let log = deployment.dir.path().join("seed.strace");
    let out = deployment.output_under(&strace(&log), &["seed"], &[]).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let seeded = durable_order(&std::fs::read_to_string(&log).unwrap(), &blobs);
    assert!(!seeded.is_empty(), "the demo data has files");

    let log = deployment.dir.path().join("serve.strace");
    let pid_file = deployment.dir.path().join("serve.pid");
    let mut wrapper = strace(&log);
    // The server's own pid (strace's child keeps it through exec), to stop it: a tracee
    // outlives a killed strace.
    let record_pid = format!("echo $$ > '{}' && exec \"$@\"", pid_file.display());
    wrapper.extend(["sh".into(), "-c".into(), record_pid, "sh".into()]);
    let mut server = deployment
        .serve_under(&wrapper, &[("WEBHOOK_POLL_MS", "600000")])
        .await;
    let pid = std::fs::read_to_string(&pid_file)
        .unwrap()
        .trim()
        .to_owned();
    let stop = Stop(pid);

    // The Omise upload, a Mangopay document's page, the evidence page's upload.
    server.upload(OPEN_DISPUTE, PDF).await;
    let client = reqwest::Client::new();
    let token: Value = client
        .post(server.url("/v2.01/oauth/token"))
        .basic_auth(MP_CLIENT, Some(MP_KEY))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=client_credentials")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = token["access_token"].as_str().unwrap();
    let documents = format!("/v2.01/{MP_CLIENT}/disputes/{OPEN_DISPUTE}/documents");
    let created = client
        .post(server.url(&documents))
        .bearer_auth(token)
        .json(&json!({"Type": "DELIVERY_PROOF"}))
        .send()
        .await
        .unwrap();
    assert!(created.status().is_success(), "{}", created.status());
    let created: Value = created.json().await.unwrap();
    let page = client
        .post(server.url(&format!(
            "{documents}/{}/pages",
            created["Id"].as_str().unwrap()
        )))
        .bearer_auth(token)
        .json(&json!({"File": base64::engine::general_purpose::STANDARD.encode(PNG)}))
        .send()
        .await
        .unwrap();
    assert!(page.status().is_success(), "{}", page.status());
    let link = send(
        server
            .post(&format!("/disputes/{OPEN_DISPUTE}/evidence_links"))
            .json(&json!({})),
    )
    .await
    .expect(200);
    let url = link["url"].as_str().unwrap();
    let page_path = &url[url.find("/web/").unwrap()..];
    let form = reqwest::multipart::Form::new()
        .text("kind", "proof_of_receipt")
        .part(
            "file",
            reqwest::multipart::Part::bytes(JPEG.to_vec()).file_name("slip.jpg"),
        );
    let posted = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(server.url(&format!("{page_path}/documents")))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status(), 303);

    drop(stop);
    server.child.wait().await.unwrap();
    let uploaded = durable_order(&std::fs::read_to_string(&log).unwrap(), &blobs);
    assert_eq!(uploaded.len(), 3, "{uploaded:?}");
    let stored = deployment.blobs().keys().await.unwrap();
    for key in seeded.iter().chain(&uploaded) {
        assert!(stored.contains(&format!("documents/{key}")), "{key}");
    }
}

/// strace's arguments, up to the program it runs: threads followed, file descriptors shown
/// with their paths, written data shown far enough to hold a database page.
fn strace(log: &Path) -> Vec<String> {
    [
        "strace",
        "-f",
        "-qq",
        "-y",
        "-s",
        "8192",
        "-e",
        TRACED,
        "-o",
        &log.display().to_string(),
        "--",
    ]
    .map(str::to_owned)
    .to_vec()
}

/// Checks, for every blob renamed into place under `blobs` in the trace: its staged file synced
/// before the rename, its directory synced after it, and the first write anywhere but the blob
/// store that carries its key after that. Returns the blobs' keys (without `documents/`).
fn durable_order(trace: &str, blobs: &Path) -> Vec<String> {
    let root = blobs.display().to_string();
    let dir = format!("{root}/documents");
    let calls: Vec<Call> = trace.lines().filter_map(Call::parse).collect();
    let mut keys = Vec::new();
    for (renamed, call) in calls.iter().enumerate() {
        let Call::Rename { from, to } = call else {
            continue;
        };
        let Some(key) = to.strip_prefix(&format!("{dir}/")) else {
            continue;
        };
        assert!(from.starts_with(&format!("{to}#")), "{from} -> {to}");
        let synced = calls[..renamed]
            .iter()
            .any(|c| matches!(c, Call::Sync(path) if path == from));
        assert!(synced, "{key}: the staged file was renamed unsynced");
        let dir_synced = calls[renamed..]
            .iter()
            .position(|c| matches!(c, Call::Sync(path) if *path == dir))
            .map(|at| renamed + at)
            .unwrap_or_else(|| panic!("{key}: its directory was never synced"));
        let told = calls
            .iter()
            .position(|c| matches!(c, Call::Write { fd, line } if !fd.starts_with(&root) && line.contains(key)))
            .unwrap_or_else(|| panic!("{key}: the database never heard of it"));
        assert!(
            told > dir_synced,
            "{key}: written to the database before it was durable: {:?}",
            calls[told]
        );
        keys.push(key.to_owned());
    }
    keys
}

/// The calls of a trace that matter here.
#[derive(Debug)]
enum Call {
    Sync(String),
    Rename {
        from: String,
        to: String,
    },
    /// A write, to the file or socket `fd` names, with the line that shows what it wrote.
    Write {
        fd: String,
        line: String,
    },
}

impl Call {
    /// One line of `strace -f -y` (`<pid> <name>(<args>…`); resumed halves and signals are
    /// skipped, as the first half holds the arguments.
    fn parse(line: &str) -> Option<Call> {
        let (_pid, call) = line.split_once(' ')?;
        let (name, args) = call.trim_start().split_once('(')?;
        match name {
            "fsync" | "fdatasync" => Some(Call::Sync(fd_path(args)?)),
            "rename" | "renameat" | "renameat2" => {
                let quoted: Vec<&str> = args.split('"').skip(1).step_by(2).collect();
                Some(Call::Rename {
                    from: quoted.first()?.to_string(),
                    to: quoted.get(1)?.to_string(),
                })
            }
            "write" | "writev" | "pwrite64" | "pwritev" | "pwritev2" | "sendto" | "sendmsg" => {
                Some(Call::Write {
                    fd: fd_path(args)?,
                    line: args.to_owned(),
                })
            }
            _ => None,
        }
    }
}

/// What `-y` shows for a call's first argument: `13</path>` gives `/path`.
fn fd_path(args: &str) -> Option<String> {
    let (_, rest) = args.split_once('<')?;
    Some(rest.split_once('>')?.0.to_owned())
}

/// Installs Debian's strace when it is missing.
fn install_strace() {
    let present = std::process::Command::new("strace").arg("-V").output();
    if present.is_ok_and(|o| o.status.success()) {
        return;
    }
    let installed = std::process::Command::new("sh")
        .args([
            "-c",
            "apt-get update -qq && apt-get install -y -qq strace >/dev/null",
        ])
        .status()
        .expect("sh runs");
    assert!(installed.success(), "strace could not be installed");
}

/// Kills the traced server when dropped (a test that fails included).
struct Stop(String);

impl Drop for Stop {
    fn drop(&mut self) {
        let _ = std::process::Command::new("kill")
            .args(["-KILL", &self.0])
            .status();
    }
}

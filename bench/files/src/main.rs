//! bench/run's helper for files:
//!
//! - `make-pdf SIZE FILE [TAG]` writes a real PDF of exactly SIZE bytes (one page, and a stream
//!   that fills it out; `dispute_docs::files::samples::sized`), which the server's checks accept.
//! - `checks FILE N CONCURRENCY` runs the server's checks on FILE N times, CONCURRENCY at once,
//!   exactly as an upload runs them (a share of the process's memory budget, then a blocking
//!   thread; the file is already in memory, as the server's read-back puts it there), and prints
//!   one JSON line: how long each took (p50, p99, mean, in µs) and how many ran a second.

use std::time::{Duration, Instant};

use dispute_docs::domain::FileType;
use dispute_docs::files::Files;

fn usage() -> ! {
    eprintln!(
        "usage: dispute-docs-bench-files make-pdf SIZE FILE [TAG] | checks FILE N CONCURRENCY"
    );
    std::process::exit(2)
}

fn number(arg: Option<String>) -> usize {
    arg.and_then(|a| a.parse().ok()).unwrap_or_else(|| usage())
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    match args.next().as_deref() {
        Some("make-pdf") => {
            let size = number(args.next());
            let file = args.next().unwrap_or_else(|| usage());
            let tag = args
                .next()
                .unwrap_or_else(|| "dispute-docs benchmark".to_owned());
            let bytes = dispute_docs::files::samples::sized(FileType::Pdf, &tag, size);
            std::fs::write(&file, bytes).expect("the file is written");
        }
        Some("checks") => {
            let file = args.next().unwrap_or_else(|| usage());
            let n = number(args.next()).max(1);
            let concurrency = number(args.next()).clamp(1, n);
            let bytes = std::fs::read(&file).expect("the file is read");
            let file_type = FileType::sniff(&bytes).expect("a PNG, JPEG, GIF or PDF");
            let size = bytes.len() as u64;
            let files = Files::default();
            let started = Instant::now();
            let mut tasks = Vec::new();
            for worker in 0..concurrency {
                let (files, bytes) = (files.clone(), bytes.clone());
                let share = n / concurrency + usize::from(worker < n % concurrency);
                tasks.push(tokio::spawn(async move {
                    let mut times = Vec::with_capacity(share);
                    for _ in 0..share {
                        let t0 = Instant::now();
                        let reservation = files.reserve_check(file_type, size).await;
                        files
                            .check(reservation, file_type, bytes.clone())
                            .await
                            .expect("the file passes the checks");
                        times.push(t0.elapsed());
                    }
                    times
                }));
            }
            let mut times: Vec<Duration> = Vec::with_capacity(n);
            for task in tasks {
                times.extend(task.await.expect("a worker finishes"));
            }
            let wall = started.elapsed();
            times.sort();
            let us = |d: Duration| d.as_secs_f64() * 1e6;
            let at = |q: f64| us(times[((times.len() - 1) as f64 * q).round() as usize]);
            let mean = times.iter().map(|d| us(*d)).sum::<f64>() / times.len() as f64;
            println!(
                "{}",
                serde_json::json!({
                    "file": file, "size": size, "n": n, "concurrency": concurrency,
                    "p50_us": at(0.5), "p99_us": at(0.99), "mean_us": mean,
                    "per_s": n as f64 / wall.as_secs_f64(),
                })
            );
        }
        _ => usage(),
    }
}

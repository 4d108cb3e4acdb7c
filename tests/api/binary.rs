//! The binary as it runs, seen from outside: links name the address it really bound, and the
//! errors it expects in operation (here a database gone away) are logged without a backtrace
//! even with `RUST_BACKTRACE=1`. On Postgres.

use std::net::SocketAddr;

use crate::helpers::*;
use crate::processes::*;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_public_base_url_links_name_the_port_the_server_bound() {
    // The deployment listens on 127.0.0.1:0 and sets no PUBLIC_BASE_URL.
    let deployment = Deployment::new(None).await;
    deployment.run(&["seed"], &[]).await;
    let server = deployment.serve().await;
    assert!(!server.base.ends_with(":0"), "{}", server.base);

    let document = server.upload(OPEN_DISPUTE, PDF).await;
    let uri = document["download_uri"].as_str().unwrap();
    assert!(uri.starts_with(&format!("{}/", server.base)), "{uri}");
    let downloaded = server.client.get(uri).send().await.unwrap();
    assert_eq!(downloaded.status(), 200);
    assert_eq!(downloaded.bytes().await.unwrap(), PDF);

    let link = send(
        server
            .post(&format!("/disputes/{OPEN_DISPUTE}/evidence_links"))
            .json(&serde_json::json!({})),
    )
    .await
    .expect(200);
    let url = link["url"].as_str().unwrap();
    assert!(url.starts_with(&format!("{}/web/", server.base)), "{url}");
    let page = server.client.get(url).send().await.unwrap();
    assert_eq!(page.status(), 200);
    server.kill().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_gone_away_is_logged_without_a_backtrace_whatever_rust_backtrace_says() {
    let deployment = Deployment::new(None).await;
    deployment.run(&["seed"], &[]).await;
    let mut url = url::Url::parse(&deployment.database_url).unwrap();
    let upstream = SocketAddr::new(
        url.host_str().unwrap().parse().unwrap(),
        url.port().unwrap_or(5432),
    );
    let mut proxy = Proxy::to(upstream).await;
    url.set_port(Some(proxy.addr.port())).unwrap();
    // RUST_LIB_BACKTRACE unset, as a user who sets RUST_BACKTRACE=1 leaves it.
    let mut server = deployment
        .serve_under(
            &["env", "-u", "RUST_LIB_BACKTRACE"],
            &[
                ("DATABASE_URL", url.as_str()),
                ("RUST_BACKTRACE", "1"),
                ("DATABASE_ACQUIRE_TIMEOUT", "1"),
                ("RUST_LOG", "warn"),
            ],
        )
        .await;
    send(server.request(reqwest::Method::GET, "/disputes"))
        .await
        .expect(200);

    proxy.cut().await;
    let refused =
        send(server.request(reqwest::Method::GET, &format!("/disputes/{OPEN_DISPUTE}"))).await;
    refused.expect_error(503, "service_unavailable");

    // Everything it printed, up to its exit.
    server.terminate().await;
    server.child.wait().await.unwrap();
    let mut printed = Vec::new();
    while let Some(line) = server.output.recv().await {
        printed.push(line);
    }
    let printed = printed.join("\n");
    assert!(
        printed.contains("request failed") && printed.contains("service_unavailable"),
        "the 503 was logged: {printed}"
    );
    assert!(!printed.contains("Stack backtrace"), "{printed}");
}

/// A TCP proxy to `upstream` that can be cut: its connections closed, new ones refused.
struct Proxy {
    addr: SocketAddr,
    accepting: JoinHandle<()>,
    connections: std::sync::Arc<std::sync::Mutex<Vec<JoinHandle<()>>>>,
}

impl Proxy {
    async fn to(upstream: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let connections = std::sync::Arc::<std::sync::Mutex<Vec<JoinHandle<()>>>>::default();
        let held = connections.clone();
        let accepting = tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                held.lock().unwrap().push(tokio::spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                }));
            }
        });
        Proxy {
            addr,
            accepting,
            connections,
        }
    }

    /// Closes every connection and the listening socket; returns once they are closed.
    async fn cut(&mut self) {
        self.accepting.abort();
        let _ = (&mut self.accepting).await;
        let connections: Vec<_> = self.connections.lock().unwrap().drain(..).collect();
        for connection in connections {
            connection.abort();
            let _ = connection.await;
        }
    }
}

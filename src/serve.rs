//! Serving a tower service on a listener, through hyper_util's connection builder rather than
//! `axum::serve`, for one thing axum does not let us set: HTTP/1 header names in title case
//! (`Content-Type:`, `Link:`). HTTP says names are case-insensitive, but some clients match
//! them case-sensitively: the official Mangopay PHP SDK finds the paging `Link` header only as
//! `Link: `. Otherwise it does what `axum::serve` with graceful shutdown and
//! `into_make_service_with_connect_info` does: every connection served on a task of its own
//! (HTTP/1, and HTTP/2 with prior knowledge), each request carrying its peer's address as
//! `ConnectInfo<SocketAddr>`, accept errors that concern one connection skipped and others
//! waited out, and once `shutdown` resolves, no new connection accepted (the listener is closed)
//! while those open finish their requests.

use std::convert::Infallible;
use std::future::Future;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request};
use axum::response::Response;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tower::{Service, ServiceExt};

/// Serves `service` on `listener` until `shutdown` resolves, then stops accepting and waits
/// for the open connections to finish the requests they have in flight.
pub async fn serve<S>(
    listener: TcpListener,
    service: S,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    let mut builder = Builder::new(TokioExecutor::new());
    builder.http1().title_case_headers(true);
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    wait_after_accept_error(e).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // Each request carries its connection's address, as axum's
        // `into_make_service_with_connect_info` gives it (`ConnectInfo<SocketAddr>`).
        let service = service
            .clone()
            .map_request(move |request: hyper::Request<Incoming>| {
                let mut request = request.map(Body::new);
                request.extensions_mut().insert(ConnectInfo(remote));
                request
            });
        let watcher = graceful.watcher();
        let builder = builder.clone();
        tokio::spawn(async move {
            let connection = builder.serve_connection_with_upgrades(
                TokioIo::new(stream),
                TowerToHyperService::new(service),
            );
            if let Err(e) = watcher.watch(connection).await {
                tracing::trace!(error = %e, "connection ended with an error");
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

/// After an accept error: nothing for one that concerns only the connection (it is gone), a
/// second's pause for the others (out of file descriptors: the listener would spin).
async fn wait_after_accept_error(e: std::io::Error) {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(
        e.kind(),
        ConnectionRefused | ConnectionAborted | ConnectionReset
    ) {
        return;
    }
    tracing::error!(error = %e, "accept failed");
    tokio::time::sleep(Duration::from_secs(1)).await;
}

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
//!
//! One thing more: a request body the service left unread (a refusal before an upload streamed,
//! a route with no use for a body) is read out here before the answer goes, when it is small
//! and arrives promptly (`settle`). hyper otherwise closes such a keep-alive connection without
//! saying so whenever the body has not all arrived by the answer, and a client that reuses
//! connections (Node's default agent, a Python session) then sends its next request into a
//! closed socket and fails without an answer. A body too large or too slow to read out gets
//! `Connection: close` on the answer instead, which tells the client not to reuse it.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request};
use axum::http::{HeaderValue, Version, header};
use axum::response::Response;
use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::{Body as _, Frame, Incoming, SizeHint};
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
        let service = service.clone();
        let service = tower::service_fn(move |request: hyper::Request<Incoming>| {
            let service = service.clone();
            async move {
                let (mut request, leftover) = track(request);
                request.extensions_mut().insert(ConnectInfo(remote));
                let response = service.oneshot(request).await?;
                Ok::<_, Infallible>(settle(response, leftover).await)
            }
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

/// The most of an unread body read out after the answer is ready (the largest JSON body any
/// route takes), and how long it may take to arrive.
const READ_OUT_LIMIT: usize = 256 * 1024;
const READ_OUT_TIME: Duration = Duration::from_secs(2);

/// Where a request body the service dropped before its end is left for `settle`.
type Leftover = Arc<Mutex<Option<Incoming>>>;

/// The request as the service sees it, and, for an HTTP/1 request with a body still to come,
/// where that body goes if the service drops it unread.
fn track(request: hyper::Request<Incoming>) -> (Request, Option<Leftover>) {
    let (parts, body) = request.into_parts();
    if body.is_end_stream() || parts.version >= Version::HTTP_2 {
        return (Request::from_parts(parts, Body::new(body)), None);
    }
    let leftover = Leftover::default();
    let body = Tracked {
        body: Some(body),
        leftover: leftover.clone(),
    };
    (Request::from_parts(parts, Body::new(body)), Some(leftover))
}

/// The answer, once any body the service left unread is read out (and dropped), or marked
/// `Connection: close` when it cannot be: larger than `READ_OUT_LIMIT`, slower than
/// `READ_OUT_TIME`, or broken.
async fn settle(mut response: Response, leftover: Option<Leftover>) -> Response {
    let body = leftover.and_then(|slot| slot.lock().map_or(None, |mut slot| slot.take()));
    let Some(body) = body else {
        return response;
    };
    if !read_out(body).await {
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

/// Reads `body` to its end within the limits; whether it got there.
async fn read_out(mut body: Incoming) -> bool {
    if body.size_hint().lower() > READ_OUT_LIMIT as u64 {
        return false;
    }
    let read = async {
        let mut seen = 0;
        while let Some(frame) = body.frame().await {
            let Ok(frame) = frame else { return false };
            seen += frame.data_ref().map_or(0, Bytes::len);
            if seen > READ_OUT_LIMIT {
                return false;
            }
        }
        true
    };
    tokio::time::timeout(READ_OUT_TIME, read)
        .await
        .unwrap_or(false)
}

/// A request body that, dropped before its end, leaves the rest in its `Leftover`.
struct Tracked {
    body: Option<Incoming>,
    leftover: Leftover,
}

impl hyper::body::Body for Tracked {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        let Some(body) = self.body.as_mut() else {
            return Poll::Ready(None);
        };
        let frame = Pin::new(body).poll_frame(cx);
        if matches!(frame, Poll::Ready(None | Some(Err(_)))) {
            // At its end, or broken: nothing is left to read out.
            self.body = None;
        }
        frame
    }

    fn is_end_stream(&self) -> bool {
        self.body.as_ref().is_none_or(Incoming::is_end_stream)
    }

    fn size_hint(&self) -> SizeHint {
        self.body
            .as_ref()
            .map_or_else(|| SizeHint::with_exact(0), Incoming::size_hint)
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        if let Some(body) = self.body.take().filter(|body| !body.is_end_stream()) {
            if let Ok(mut slot) = self.leftover.lock() {
                *slot = Some(body);
            }
        }
    }
}

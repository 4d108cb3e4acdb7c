//! File bytes, through the `object_store` crate: a local directory by default, S3-compatible
//! storage or memory by configuration. Keys are generated here and never derived from anything
//! a client sent. On a local directory the writes are this module's own (`local`): durable
//! before they return, which `object_store`'s are not.

mod local;

use std::io::{Seek, SeekFrom};
use std::ops::Range;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use anyhow::Context;
use async_trait::async_trait;
use bytes::Bytes;
use chrono::{DateTime, TimeDelta, Utc};
use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::local::LocalFileSystem;
use object_store::memory::InMemory;
use object_store::multipart::{MultipartStore, PartId};
use object_store::path::Path;
use object_store::prefix::PrefixStore;
use object_store::{
    GetOptions, GetRange, GetResultPayload, MultipartId, MultipartUpload, ObjectMeta, ObjectStore,
    PutPayload, PutResult, UploadPart, WriteMultipart,
};

use crate::metrics::Metrics;

/// Where documents' blobs live inside the store.
const DOCUMENTS_PREFIX: &str = "documents";

/// Where an S3 upload in progress leaves its multipart upload id, under the same prefix as the
/// blobs: S3 has no other way to find an upload that a killed process never finished, and
/// `object_store` cannot list multipart uploads.
const UPLOADS_PREFIX: &str = "uploads";

#[derive(Clone)]
pub struct Blobs {
    /// The store as the rest of the service sees it (an S3 prefix already applied).
    store: Arc<dyn ObjectStore>,
    /// How many bytes an upload buffers before writing them out: small for local disks and
    /// memory, S3's minimum part size for S3.
    part_size: usize,
    backend: Backend,
    /// Bytes in and out, and failures.
    metrics: Metrics,
}

/// What a sweep needs to know to find partial uploads, which `list` never shows.
#[derive(Clone)]
enum Backend {
    Memory,
    /// Uploads are staged in `<key>#<n>` beside the key (`local`), as `LocalFileSystem` does.
    Local {
        root: PathBuf,
    },
    /// Uploads go through the multipart API directly so that their ids can be recorded.
    S3 {
        multipart: Arc<dyn MultipartStore>,
        prefix: String,
    },
}

impl std::fmt::Debug for Blobs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Blobs({})", self.store)
    }
}

impl Blobs {
    /// `memory://`, `file:///abs/dir`, `s3://bucket/prefix` (credentials and endpoint from the
    /// usual `AWS_*` variables), or a plain directory path.
    pub fn from_url(url: &str) -> anyhow::Result<Blobs> {
        Blobs::from_url_with(url, &[])
    }

    /// As `from_url`, with S3 options (`aws_endpoint`, `aws_region`, … as `object_store` names
    /// them) taking precedence over the environment's.
    pub fn from_url_with(url: &str, s3_options: &[(&str, &str)]) -> anyhow::Result<Blobs> {
        if url == "memory://" || url == "memory:" {
            return Ok(Blobs::in_memory());
        }
        if url.starts_with("s3://") {
            let mut builder = AmazonS3Builder::from_env().with_url(url);
            for (key, value) in s3_options {
                let key: AmazonS3ConfigKey = key
                    .parse()
                    .with_context(|| format!("unknown S3 option {key}"))?;
                builder = builder.with_config(key, *value);
            }
            let s3 = Arc::new(
                builder
                    .build()
                    .context("BLOB_STORE_URL: cannot configure S3")?,
            );
            // The builder takes the bucket from the URL and drops its path: keep the prefix, so
            // that deployments sharing a bucket never see (or sweep) each other's files.
            let prefix = s3_prefix(url)?;
            let plain: Arc<dyn ObjectStore> = s3.clone();
            let store: Arc<dyn ObjectStore> = if prefix.is_empty() {
                plain
            } else {
                Arc::new(PrefixStore::new(plain, prefix.as_str()))
            };
            return Ok(Blobs {
                store,
                part_size: 5 * 1024 * 1024,
                backend: Backend::S3 {
                    multipart: s3,
                    prefix,
                },
                metrics: Metrics::default(),
            });
        }
        let dir = match url.strip_prefix("file://") {
            Some(path) => PathBuf::from(path),
            None if url.contains("://") => {
                anyhow::bail!("BLOB_STORE_URL: unsupported scheme in {url}")
            }
            None => PathBuf::from(url),
        };
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("BLOB_STORE_URL: cannot create {}", dir.display()))?;
        let root = std::fs::canonicalize(&dir)
            .with_context(|| format!("BLOB_STORE_URL: cannot open {}", dir.display()))?;
        local::create_dir_durably(&root.join(DOCUMENTS_PREFIX))
            .with_context(|| format!("BLOB_STORE_URL: cannot create {}", dir.display()))?;
        let store = LocalFileSystem::new_with_prefix(&root)
            .with_context(|| format!("BLOB_STORE_URL: cannot open {}", dir.display()))?;
        Ok(Blobs {
            store: Arc::new(store),
            part_size: 256 * 1024,
            backend: Backend::Local { root },
            metrics: Metrics::default(),
        })
    }

    pub fn in_memory() -> Blobs {
        Blobs {
            store: Arc::new(InMemory::new()),
            part_size: 256 * 1024,
            backend: Backend::Memory,
            metrics: Metrics::default(),
        }
    }

    /// The same store, counting its bytes and failures in `metrics`.
    pub fn with_metrics(self, metrics: Metrics) -> Blobs {
        Blobs { metrics, ..self }
    }

    /// Counts a failure of `operation` (a missing object is not one).
    fn observe<T>(
        &self,
        operation: &'static str,
        result: object_store::Result<T>,
    ) -> object_store::Result<T> {
        if let Err(e) = &result {
            if !matches!(e, object_store::Error::NotFound { .. }) {
                self.metrics.blob_error(operation);
            }
        }
        result
    }

    /// A fresh, unguessable key for a document's bytes.
    pub fn new_key() -> String {
        format!("{DOCUMENTS_PREFIX}/{}", uuid::Uuid::new_v4().simple())
    }

    /// Starts writing `key`; bytes become visible only when the writer finishes, and on a local
    /// directory they are on stable storage by then. On S3 the upload's id is recorded first, so
    /// that a sweep can abort it if this process dies.
    pub async fn writer(&self, key: &str) -> object_store::Result<BlobWriter> {
        let started = self.start_upload(key).await;
        let upload = self.observe("write", started)?;
        Ok(BlobWriter {
            inner: WriteMultipart::new_with_chunk_size(upload, self.part_size),
            blobs: self.clone(),
        })
    }

    async fn start_upload(&self, key: &str) -> object_store::Result<Box<dyn MultipartUpload>> {
        let upload: Box<dyn MultipartUpload> = match &self.backend {
            Backend::S3 { multipart, prefix } => {
                let path = full_path(prefix, key);
                let id = multipart.create_multipart(&path).await?;
                let marker = upload_marker(key);
                let recorded = self.store.put(&marker, id.clone().into()).await;
                if let Err(e) = recorded {
                    let _ = multipart.abort_multipart(&path, &id).await;
                    return Err(e);
                }
                Box::new(TrackedUpload {
                    multipart: multipart.clone(),
                    store: self.store.clone(),
                    path,
                    id,
                    marker,
                    parts: Arc::default(),
                })
            }
            Backend::Local { root } => {
                Box::new(local::DurableUpload::start(root.clone(), key.to_owned()).await?)
            }
            Backend::Memory => self.store.put_multipart(&Path::from(key)).await?,
        };
        Ok(upload)
    }

    /// Writes `key` whole (durably on a local directory, as `writer` does).
    /// One trip to the blocking pool on a local directory, one request on S3 (no multipart
    /// upload, so nothing for a sweep to find should this process die).
    pub async fn put(&self, key: &str, bytes: Bytes) -> object_store::Result<()> {
        let size = bytes.len();
        let put = match &self.backend {
            Backend::Local { root } => {
                local::write_whole(root.clone(), key.to_owned(), bytes).await
            }
            _ => self
                .store
                .put(&Path::from(key), bytes.into())
                .await
                .map(|_| ()),
        };
        self.observe("write", put)?;
        self.metrics.uploaded(size);
        Ok(())
    }

    /// The bytes of `key`, streamed.
    pub async fn get(
        &self,
        key: &str,
    ) -> object_store::Result<BoxStream<'static, object_store::Result<Bytes>>> {
        self.get_range(key, None).await
    }

    /// The whole of `key`, in memory (`size_hint`: what it is expected to weigh). A local file
    /// is read on one blocking task straight into one buffer of its size: the stream's chunks
    /// would each be allocated, copied again into the buffer and carried back from the blocking
    /// pool, which for a 10 MB file was a tenth of its upload's time.
    pub async fn read_whole(&self, key: &str, size_hint: u64) -> object_store::Result<Vec<u8>> {
        let found = self
            .store
            .get_opts(&Path::from(key), GetOptions::default())
            .await;
        let found = self.observe("read", found)?;
        let bytes = match found.payload {
            GetResultPayload::File(file, path) => {
                local::read_whole(file, path, found.range.end - found.range.start).await
            }
            GetResultPayload::Stream(stream) => {
                let buffer = Vec::with_capacity(usize::try_from(size_hint).unwrap_or(0));
                stream
                    .try_fold(buffer, |mut bytes, chunk| async move {
                        bytes.extend_from_slice(&chunk);
                        Ok(bytes)
                    })
                    .await
            }
        };
        match &bytes {
            Ok(bytes) => self.metrics.downloaded(bytes.len()),
            Err(_) => self.metrics.blob_error("read"),
        }
        bytes
    }

    /// The bytes of `key` in `range` (all of them without one), streamed: S3 is asked for that
    /// range only. A local file is read in large chunks on the runtime's own file I/O:
    /// `object_store`'s stream reads 8 KiB per blocking task, which costs a context switch
    /// every 8 KiB.
    pub async fn get_range(
        &self,
        key: &str,
        range: Option<Range<u64>>,
    ) -> object_store::Result<BoxStream<'static, object_store::Result<Bytes>>> {
        let options = GetOptions {
            range: range.map(GetRange::Bounded),
            ..GetOptions::default()
        };
        let found = self.store.get_opts(&Path::from(key), options).await;
        let found = self.observe("read", found)?;
        let metrics = self.metrics.clone();
        let count = move |chunk: &object_store::Result<Bytes>| match chunk {
            Ok(bytes) => metrics.downloaded(bytes.len()),
            Err(_) => metrics.blob_error("read"),
        };
        let stream = match found.payload {
            GetResultPayload::File(mut file, path) => {
                let local_error = move |source| local::error(&path, source);
                // The store checked the range against the file; it is read from its start.
                let range = found.range;
                if let Err(e) = file.seek(SeekFrom::Start(range.start)) {
                    return Err(local_error(e));
                }
                local::read(file, range.end - range.start)
                    .map_err(local_error)
                    .boxed()
            }
            GetResultPayload::Stream(_) => found.into_stream(),
        };
        Ok(stream.inspect(count).boxed())
    }

    pub async fn delete(&self, key: &str) -> object_store::Result<()> {
        match self.store.delete(&Path::from(key)).await {
            Err(object_store::Error::NotFound { .. }) => Ok(()),
            other => self.observe("delete", other),
        }
    }

    /// Every document blob, with when it was last written.
    pub fn list(&self) -> BoxStream<'static, object_store::Result<ObjectMeta>> {
        self.store.list(Some(&Path::from(DOCUMENTS_PREFIX)))
    }

    /// Every document blob key, for tests and checks.
    pub async fn keys(&self) -> object_store::Result<Vec<String>> {
        self.list()
            .map_ok(|m| m.location.to_string())
            .try_collect()
            .await
    }

    /// Removes what uploads that never finished left behind and that is at least `grace` old
    /// at `now`: on a local disk the staged `<key>#<n>` files (`LocalFileSystem`'s `list`
    /// never shows them), on S3 the multipart uploads recorded by `writer` (aborted, so that
    /// their parts stop being stored). Returns how many it removed.
    pub async fn sweep_partial_uploads(
        &self,
        now: DateTime<Utc>,
        grace: TimeDelta,
    ) -> anyhow::Result<usize> {
        match &self.backend {
            Backend::Memory => Ok(0),
            Backend::Local { root } => {
                sweep_staged_files(&root.join(DOCUMENTS_PREFIX), now, grace).await
            }
            Backend::S3 { multipart, prefix } => {
                let markers: Vec<ObjectMeta> = self
                    .store
                    .list(Some(&Path::from(UPLOADS_PREFIX)))
                    .try_collect()
                    .await?;
                let mut removed = 0;
                for marker in markers {
                    if now - marker.last_modified < grace {
                        continue;
                    }
                    let Some(key) = marker
                        .location
                        .as_ref()
                        .strip_prefix(UPLOADS_PREFIX)
                        .and_then(|k| k.strip_prefix('/'))
                    else {
                        continue;
                    };
                    let id = match self.store.get(&marker.location).await {
                        Ok(found) => found.bytes().await?,
                        Err(object_store::Error::NotFound { .. }) => continue,
                        Err(e) => return Err(e.into()),
                    };
                    let id = String::from_utf8_lossy(&id).into_owned();
                    match multipart
                        .abort_multipart(&full_path(prefix, key), &id)
                        .await
                    {
                        // Finished (or aborted) after all, before its marker went.
                        Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                        Err(e) => return Err(e.into()),
                    }
                    self.delete(marker.location.as_ref()).await?;
                    tracing::info!(blob = %key, "aborted an upload that never finished");
                    removed += 1;
                }
                Ok(removed)
            }
        }
    }
}

/// Removes the staged `<name>#<digits>` files in `dir` older than `grace`.
async fn sweep_staged_files(
    dir: &std::path::Path,
    now: DateTime<Utc>,
    grace: TimeDelta,
) -> anyhow::Result<usize> {
    let mut entries = match tokio::fs::read_dir(dir).await {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", dir.display())),
    };
    let mut removed = 0;
    while let Some(entry) = entries.next_entry().await? {
        let name = entry.file_name();
        let Some((_, suffix)) = name.to_str().and_then(|n| n.rsplit_once('#')) else {
            continue;
        };
        if suffix.is_empty() || !suffix.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let modified: DateTime<Utc> = match entry.metadata().await.and_then(|m| m.modified()) {
            Ok(at) => at.into(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e.into()),
        };
        if now - modified < grace {
            continue;
        }
        match tokio::fs::remove_file(entry.path()).await {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e.into()),
        }
        tracing::info!(file = %entry.path().display(), "removed an upload that never finished");
        removed += 1;
    }
    Ok(removed)
}

/// `key` inside the S3 prefix, as the multipart API (which no `PrefixStore` wraps) needs it.
fn full_path(prefix: &str, key: &str) -> Path {
    if prefix.is_empty() {
        Path::from(key)
    } else {
        Path::from(format!("{prefix}/{key}"))
    }
}

/// Where the id of an S3 upload of `key` is kept while it runs.
fn upload_marker(key: &str) -> Path {
    Path::from(format!("{UPLOADS_PREFIX}/{key}"))
}

/// An S3 multipart upload whose id is recorded under `uploads/`: the record goes when the
/// upload completes or is aborted.
struct TrackedUpload {
    multipart: Arc<dyn MultipartStore>,
    store: Arc<dyn ObjectStore>,
    path: Path,
    id: MultipartId,
    marker: Path,
    /// Each part's id, by index, as its write finishes.
    parts: Arc<Mutex<Vec<Option<PartId>>>>,
}

impl std::fmt::Debug for TrackedUpload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TrackedUpload({})", self.path)
    }
}

impl TrackedUpload {
    async fn forget(&self) -> object_store::Result<()> {
        match self.store.delete(&self.marker).await {
            Err(object_store::Error::NotFound { .. }) => Ok(()),
            other => other,
        }
    }
}

#[async_trait]
impl MultipartUpload for TrackedUpload {
    fn put_part(&mut self, data: PutPayload) -> UploadPart {
        let index = {
            let mut parts = self.parts.lock().expect("the part list");
            parts.push(None);
            parts.len() - 1
        };
        let (multipart, path, id, parts) = (
            self.multipart.clone(),
            self.path.clone(),
            self.id.clone(),
            self.parts.clone(),
        );
        Box::pin(async move {
            let part = multipart.put_part(&path, &id, index, data).await?;
            parts.lock().expect("the part list")[index] = Some(part);
            Ok(())
        })
    }

    async fn complete(&mut self) -> object_store::Result<PutResult> {
        let parts: Option<Vec<PartId>> = self
            .parts
            .lock()
            .expect("the part list")
            .iter()
            .cloned()
            .collect();
        let parts = parts.ok_or_else(|| object_store::Error::Generic {
            store: "S3",
            source: "an upload completed before all its parts were written".into(),
        })?;
        let done = self
            .multipart
            .complete_multipart(&self.path, &self.id, parts)
            .await?;
        self.forget().await?;
        Ok(done)
    }

    async fn abort(&mut self) -> object_store::Result<()> {
        self.multipart.abort_multipart(&self.path, &self.id).await?;
        self.forget().await
    }
}

/// The path of an `s3://bucket/prefix` URL, without its slashes.
fn s3_prefix(url: &str) -> anyhow::Result<String> {
    let parsed = url::Url::parse(url).context("BLOB_STORE_URL is not a URL")?;
    Ok(parsed.path().trim_matches('/').to_owned())
}

/// An upload in progress. Dropping it without `finish` leaves nothing visible; `abort` also
/// removes what was staged.
pub struct BlobWriter {
    inner: WriteMultipart,
    blobs: Blobs,
}

impl BlobWriter {
    /// Buffers `bytes`, waiting first while a part is still being written so that at most one
    /// part per upload is in memory.
    pub async fn write(&mut self, bytes: &[u8]) -> object_store::Result<()> {
        let waited = self.inner.wait_for_capacity(1).await;
        self.blobs.observe("write", waited)?;
        self.inner.write(bytes);
        self.blobs.metrics.uploaded(bytes.len());
        Ok(())
    }

    pub async fn finish(self) -> object_store::Result<()> {
        let finished = self.inner.finish().await.map(|_| ());
        self.blobs.observe("write", finished)
    }

    pub async fn abort(self) -> object_store::Result<()> {
        self.inner.abort().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_s3_url_keeps_its_prefix() {
        assert_eq!(s3_prefix("s3://bucket/staging/eu/").unwrap(), "staging/eu");
        assert_eq!(s3_prefix("s3://bucket").unwrap(), "");
    }

    #[tokio::test]
    async fn two_prefixes_in_one_store_do_not_see_each_other() {
        let shared: Arc<dyn ObjectStore> = Arc::new(InMemory::new());
        let at = |prefix: &str| Blobs {
            store: Arc::new(PrefixStore::new(shared.clone(), prefix)),
            part_size: 1024,
            backend: Backend::Memory,
            metrics: Metrics::default(),
        };
        let (staging, production) = (at("staging"), at("production"));
        staging
            .put("documents/a", Bytes::from_static(b"a"))
            .await
            .unwrap();
        production
            .put("documents/b", Bytes::from_static(b"b"))
            .await
            .unwrap();
        assert_eq!(staging.keys().await.unwrap(), ["documents/a"]);
        assert_eq!(production.keys().await.unwrap(), ["documents/b"]);
    }
}

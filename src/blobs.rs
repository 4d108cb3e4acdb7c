//! File bytes, through the `object_store` crate: a local directory by default, S3-compatible
//! storage or memory by configuration. Keys are generated here and never derived from anything
//! a client sent.

use std::sync::Arc;

use anyhow::Context;
use bytes::Bytes;
use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use object_store::local::LocalFileSystem;
use object_store::memory::InMemory;
use object_store::path::Path;
use object_store::prefix::PrefixStore;
use object_store::{GetResultPayload, ObjectMeta, ObjectStore, WriteMultipart};
use tokio_util::io::ReaderStream;

/// How much of a local file one read takes when streaming a download.
const READ_CHUNK: usize = 256 * 1024;

/// Where documents' blobs live inside the store.
const DOCUMENTS_PREFIX: &str = "documents";

#[derive(Clone)]
pub struct Blobs {
    store: Arc<dyn ObjectStore>,
    /// How many bytes an upload buffers before writing them out: small for local disks and
    /// memory, S3's minimum part size for S3.
    part_size: usize,
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
        if url == "memory://" || url == "memory:" {
            return Ok(Blobs::in_memory());
        }
        if url.starts_with("s3://") {
            let store = object_store::aws::AmazonS3Builder::from_env()
                .with_url(url)
                .build()
                .context("BLOB_STORE_URL: cannot configure S3")?;
            // The builder takes the bucket from the URL and drops its path: keep the prefix, so
            // that deployments sharing a bucket never see (or sweep) each other's files.
            let prefix = s3_prefix(url)?;
            let store: Arc<dyn ObjectStore> = if prefix.is_empty() {
                Arc::new(store)
            } else {
                Arc::new(PrefixStore::new(store, prefix))
            };
            return Ok(Blobs {
                store,
                part_size: 5 * 1024 * 1024,
            });
        }
        let dir = match url.strip_prefix("file://") {
            Some(path) => std::path::PathBuf::from(path),
            None if url.contains("://") => {
                anyhow::bail!("BLOB_STORE_URL: unsupported scheme in {url}")
            }
            None => std::path::PathBuf::from(url),
        };
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("BLOB_STORE_URL: cannot create {}", dir.display()))?;
        let store = LocalFileSystem::new_with_prefix(&dir)
            .with_context(|| format!("BLOB_STORE_URL: cannot open {}", dir.display()))?;
        Ok(Blobs {
            store: Arc::new(store),
            part_size: 256 * 1024,
        })
    }

    pub fn in_memory() -> Blobs {
        Blobs {
            store: Arc::new(InMemory::new()),
            part_size: 256 * 1024,
        }
    }

    /// A fresh, unguessable key for a document's bytes.
    pub fn new_key() -> String {
        format!("{DOCUMENTS_PREFIX}/{}", uuid::Uuid::new_v4().simple())
    }

    /// Starts writing `key`; bytes become visible only when the writer finishes.
    pub async fn writer(&self, key: &str) -> object_store::Result<BlobWriter> {
        let upload = self.store.put_multipart(&Path::from(key)).await?;
        Ok(BlobWriter {
            inner: WriteMultipart::new_with_chunk_size(upload, self.part_size),
        })
    }

    pub async fn put(&self, key: &str, bytes: Bytes) -> object_store::Result<()> {
        self.store
            .put(&Path::from(key), bytes.into())
            .await
            .map(|_| ())
    }

    /// The bytes of `key`, streamed. A local file is read in large chunks on the runtime's
    /// own file I/O: `object_store`'s stream reads 8 KiB per blocking task, which costs a
    /// context switch every 8 KiB.
    pub async fn get(
        &self,
        key: &str,
    ) -> object_store::Result<BoxStream<'static, object_store::Result<Bytes>>> {
        let found = self.store.get(&Path::from(key)).await?;
        match found.payload {
            GetResultPayload::File(file, path) => {
                let file = tokio::fs::File::from_std(file);
                let stream = ReaderStream::with_capacity(file, READ_CHUNK).map_err(move |source| {
                    object_store::Error::Generic {
                        store: "LocalFileSystem",
                        source: format!("{}: {source}", path.display()).into(),
                    }
                });
                Ok(stream.boxed())
            }
            GetResultPayload::Stream(_) => Ok(found.into_stream()),
        }
    }

    pub async fn delete(&self, key: &str) -> object_store::Result<()> {
        match self.store.delete(&Path::from(key)).await {
            Err(object_store::Error::NotFound { .. }) => Ok(()),
            other => other,
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
}

impl BlobWriter {
    /// Buffers `bytes`, waiting first while a part is still being written so that at most one
    /// part per upload is in memory.
    pub async fn write(&mut self, bytes: &[u8]) -> object_store::Result<()> {
        self.inner.wait_for_capacity(1).await?;
        self.inner.write(bytes);
        Ok(())
    }

    pub async fn finish(self) -> object_store::Result<()> {
        self.inner.finish().await.map(|_| ())
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

//! The local directory's write path, durable before it returns, and its read path for downloads
//! (`read`: large chunks, few trips to the blocking pool). `object_store`'s
//! `LocalFileSystem` stages an upload in `<key>#<n>` and renames it into place without ever
//! calling `fsync`: a power loss or a kernel crash after the row naming the file committed could
//! leave that row pointing at a short, empty or missing file. Here an upload is staged the same
//! way (so `LocalFileSystem` reads, lists and deletes the result as its own, and the sweep finds
//! what a killed process left), but `complete` returns only once the file's bytes are on stable
//! storage (`fdatasync`), the file is renamed into place, and the directory entry that makes it
//! visible is on stable storage too (`fsync` of the directory). Callers write the row after
//! `complete`, so an acknowledged file survives a crash.

use std::fs::{File, OpenOptions};
use std::io::{ErrorKind, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use bytes::Bytes;
use futures::TryStreamExt;
use object_store::{MultipartUpload, PutPayload, PutResult, UploadPart};

const STORE: &str = "LocalFileSystem";

/// An upload staged in `<dest>#<n>`, moved to `dest` by `complete`. Dropped or aborted before
/// that, it removes its staged file.
#[derive(Debug)]
pub(super) struct DurableUpload {
    file: Arc<Mutex<File>>,
    /// The staged file; `None` once completed or aborted.
    staged: Option<PathBuf>,
    dest: PathBuf,
    /// Where the next part starts.
    offset: u64,
}

impl DurableUpload {
    /// Stages an upload of `key` under `root`, creating (durably) any directory it needs.
    pub(super) async fn start(root: PathBuf, key: String) -> object_store::Result<DurableUpload> {
        blocking(move || {
            let dest = file_path(&root, &key)?;
            let (file, staged) = stage(&dest).map_err(|e| error(&dest, e))?;
            Ok(DurableUpload {
                file: Arc::new(Mutex::new(file)),
                staged: Some(staged),
                dest,
                offset: 0,
            })
        })
        .await
    }
}

#[async_trait]
impl MultipartUpload for DurableUpload {
    fn put_part(&mut self, data: PutPayload) -> UploadPart {
        let offset = self.offset;
        self.offset += data.content_length() as u64;
        let (file, dest) = (self.file.clone(), self.dest.clone());
        Box::pin(blocking(move || {
            let mut file = file.lock().expect("the staged file");
            file.seek(SeekFrom::Start(offset))
                .and_then(|_| data.iter().try_for_each(|chunk| file.write_all(chunk)))
                .map_err(|e| error(&dest, e))
        }))
    }

    async fn complete(&mut self) -> object_store::Result<PutResult> {
        let Some(staged) = self.staged.take() else {
            return Err(error(&self.dest, ErrorKind::InvalidInput.into()));
        };
        let (file, dest) = (self.file.clone(), self.dest.clone());
        blocking(move || {
            // Every part's write is done: `WriteMultipart` waits for them before completing.
            let file = file.lock().expect("the staged file");
            put_in_place(&file, &staged, &dest)?;
            Ok(PutResult {
                e_tag: None,
                version: None,
            })
        })
        .await
    }

    async fn abort(&mut self) -> object_store::Result<()> {
        let Some(staged) = self.staged.take() else {
            return Ok(());
        };
        blocking(move || match std::fs::remove_file(&staged) {
            Err(e) if e.kind() != ErrorKind::NotFound => Err(error(&staged, e)),
            _ => Ok(()),
        })
        .await
    }
}

impl Drop for DurableUpload {
    fn drop(&mut self) {
        if let Some(staged) = self.staged.take() {
            // An upload cut off (a client gone): its staged file goes now, or with the sweep.
            match tokio::runtime::Handle::try_current() {
                Ok(runtime) => drop(runtime.spawn_blocking(move || std::fs::remove_file(staged))),
                Err(_) => drop(std::fs::remove_file(staged)),
            }
        }
    }
}

/// Writes `bytes` as `key` under `root` in one trip to the blocking pool, as durably as an
/// upload's `complete`: staged, synced, renamed into place and its directory synced. On failure
/// nothing is left staged.
pub(super) async fn write_whole(
    root: PathBuf,
    key: String,
    bytes: Bytes,
) -> object_store::Result<()> {
    blocking(move || {
        let dest = file_path(&root, &key)?;
        let (mut file, staged) = stage(&dest).map_err(|e| error(&dest, e))?;
        if let Err(e) = file.write_all(&bytes) {
            let _ = std::fs::remove_file(&staged);
            return Err(error(&staged, e));
        }
        put_in_place(&file, &staged, &dest)
    })
    .await
}

/// Moves a fully written staged `file` to `dest` durably: its bytes synced, renamed into place,
/// then the directory entry synced. Until the rename, a failure removes the staged file; should
/// the directory's sync fail, the file is there under its name, and the caller removes it (or
/// the sweep will).
fn put_in_place(file: &File, staged: &Path, dest: &Path) -> object_store::Result<()> {
    if let Err(e) = file.sync_data() {
        let _ = std::fs::remove_file(staged);
        return Err(error(staged, e));
    }
    if let Err(e) = std::fs::rename(staged, dest) {
        let _ = std::fs::remove_file(staged);
        return Err(error(dest, e));
    }
    sync_parent(dest).map_err(|e| error(dest, e))
}

/// Creates `dir` and any missing parent, each new entry synced into its parent directory: a
/// directory created for a file must survive a crash as the file does.
pub(super) fn create_dir_durably(dir: &Path) -> std::io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    if let Some(parent) = dir.parent() {
        create_dir_durably(parent)?;
    }
    match std::fs::create_dir(dir) {
        Ok(()) => {}
        // Made by someone else just now, who may not have synced it yet: sync it here too.
        Err(e) if e.kind() == ErrorKind::AlreadyExists => {}
        Err(e) => return Err(e),
    }
    sync_parent(dir)
}

/// Where `key` lives under `root`, as `LocalFileSystem` places it. Keys are the blob store's
/// own (`documents/<hex>`): anything but plain segments of letters, digits, `-`, `_` and `.`
/// is refused rather than mapped.
fn file_path(root: &Path, key: &str) -> object_store::Result<PathBuf> {
    let plain = |segment: &str| {
        !segment.is_empty()
            && segment != "."
            && segment != ".."
            && segment
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    };
    if !key.split('/').all(plain) {
        return Err(object_store::Error::Generic {
            store: STORE,
            source: format!("not a blob key: {key:?}").into(),
        });
    }
    Ok(key
        .split('/')
        .fold(root.to_path_buf(), |path, s| path.join(s)))
}

/// Opens a new `<dest>#<n>`, creating its directory if it is missing.
fn stage(dest: &Path) -> std::io::Result<(File, PathBuf)> {
    let mut n: u32 = 1;
    let mut created_dir = false;
    loop {
        let mut staged = dest.as_os_str().to_owned();
        staged.push(format!("#{n}"));
        let staged = PathBuf::from(staged);
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&staged)
        {
            Ok(file) => return Ok((file, staged)),
            Err(e) if e.kind() == ErrorKind::AlreadyExists => n += 1,
            Err(e) if e.kind() == ErrorKind::NotFound && !created_dir => {
                let dir = dest.parent().ok_or(e)?;
                create_dir_durably(dir)?;
                created_dir = true;
            }
            Err(e) => return Err(e),
        }
    }
}

/// Puts the directory entry of `path` on stable storage.
fn sync_parent(path: &Path) -> std::io::Result<()> {
    match path.parent() {
        Some(dir) => sync_dir(dir),
        None => Ok(()),
    }
}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Elsewhere a directory cannot be opened to be synced; the rename is what there is.
#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> std::io::Result<()> {
    Ok(())
}

pub(super) fn error(path: &Path, source: std::io::Error) -> object_store::Error {
    object_store::Error::Generic {
        store: STORE,
        source: format!("{}: {source}", path.display()).into(),
    }
}

/// Runs file system calls off the runtime's workers.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> object_store::Result<T> + Send + 'static,
) -> object_store::Result<T> {
    tokio::task::spawn_blocking(work).await?
}

/// How much of a local file each chunk of a download holds: below the allocator's fixed mmap
/// threshold (128 KiB, `crate::process`), so that a chunk's buffer comes from the heap and goes
/// back to it. A larger one was mapped and unmapped for every chunk: with 256 KiB, page faults
/// and unmapping took a fifth of a 1 MB download's time.
const READ_CHUNK: usize = 64 * 1024;

/// How many chunks one blocking task reads: each hop to the blocking pool and back costs two
/// context switches, which were most of a 1 MB download's time at one chunk a hop.
const CHUNKS_PER_READ: usize = 4;

/// `len` bytes of `file` from where it stands, in chunks of `READ_CHUNK`, read on the blocking
/// pool `CHUNKS_PER_READ` at a time straight into the buffers that are sent (one copy, as
/// `tokio::fs` makes two); a file that ends early is an error, not a short body.
pub(super) fn read(
    file: std::fs::File,
    len: u64,
) -> impl futures::Stream<Item = std::io::Result<Bytes>> + Send + 'static {
    use std::io::Read;
    futures::stream::try_unfold((file, len), |(mut file, left)| async move {
        if left == 0 {
            return Ok::<_, std::io::Error>(None);
        }
        let (file, chunks, left) = tokio::task::spawn_blocking(move || {
            let mut chunks = Vec::with_capacity(CHUNKS_PER_READ);
            let mut left = left;
            while left > 0 && chunks.len() < CHUNKS_PER_READ {
                let want = left.min(READ_CHUNK as u64);
                let mut chunk = Vec::with_capacity(want as usize);
                (&mut file).take(want).read_to_end(&mut chunk)?;
                if chunk.is_empty() {
                    return Err(std::io::Error::from(std::io::ErrorKind::UnexpectedEof));
                }
                left -= chunk.len() as u64;
                chunks.push(Bytes::from(chunk));
            }
            Ok((file, chunks, left))
        })
        .await
        .map_err(std::io::Error::other)??;
        Ok(Some((
            futures::stream::iter(chunks.into_iter().map(Ok)),
            (file, left),
        )))
    })
    .try_flatten()
}

/// The `len` bytes of `file` (found at `path`) from its start, read on the blocking pool by
/// `read_all`.
pub(super) async fn read_whole(
    file: std::fs::File,
    path: PathBuf,
    len: u64,
) -> object_store::Result<Vec<u8>> {
    blocking(move || read_all(file, len).map_err(|e| error(&path, e))).await
}

/// The `len` bytes of `file` from its start, in one buffer of that size (one copy); a file
/// that ends early is an error.
pub(super) fn read_all(mut file: std::fs::File, len: u64) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    (&mut file).take(len).read_to_end(&mut bytes)?;
    if (bytes.len() as u64) < len {
        return Err(std::io::Error::from(ErrorKind::UnexpectedEof));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::StreamExt;

    fn staged_files(dir: &Path) -> Vec<String> {
        std::fs::read_dir(dir)
            .map(|entries| {
                entries
                    .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                    .filter(|n| n.contains('#'))
                    .collect()
            })
            .unwrap_or_default()
    }

    #[tokio::test]
    async fn a_completed_upload_is_in_place_in_order_and_nothing_is_left_staged() {
        let root = tempfile::tempdir().unwrap();
        let mut upload = DurableUpload::start(root.path().into(), "documents/abc".into())
            .await
            .unwrap();
        let (first, second) = (upload.put_part(b"hello ".to_vec().into()), {
            upload.put_part(b"world".to_vec().into())
        });
        // Parts may finish in any order; each lands at its own offset.
        second.await.unwrap();
        first.await.unwrap();
        assert_eq!(staged_files(&root.path().join("documents")).len(), 1);
        upload.complete().await.unwrap();
        let path = root.path().join("documents/abc");
        assert_eq!(std::fs::read(path).unwrap(), b"hello world");
        assert!(staged_files(&root.path().join("documents")).is_empty());
    }

    #[tokio::test]
    async fn a_whole_write_is_in_place_in_a_new_directory_and_nothing_is_left_staged() {
        let root = tempfile::tempdir().unwrap();
        let bytes = Bytes::from_static(b"hello world");
        write_whole(root.path().into(), "documents/new/abc".into(), bytes)
            .await
            .unwrap();
        let dir = root.path().join("documents/new");
        assert_eq!(std::fs::read(dir.join("abc")).unwrap(), b"hello world");
        assert!(staged_files(&dir).is_empty());
        // A key that is no plain file name is refused before anything is written.
        let refused = write_whole(root.path().into(), "documents/../x".into(), Bytes::new()).await;
        assert!(refused.is_err());
        assert!(!root.path().join("x").exists());
    }

    #[tokio::test]
    async fn an_aborted_upload_leaves_nothing() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("documents");
        let mut aborted = DurableUpload::start(root.path().into(), "documents/a".into())
            .await
            .unwrap();
        aborted.put_part(b"bytes".to_vec().into()).await.unwrap();
        aborted.abort().await.unwrap();
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
    }

    #[test]
    fn a_dropped_upload_leaves_nothing() {
        let root = tempfile::tempdir().unwrap();
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let dropped = runtime.block_on(async {
            let mut upload = DurableUpload::start(root.path().into(), "documents/b".into())
                .await
                .unwrap();
            upload.put_part(b"bytes".to_vec().into()).await.unwrap();
            upload
        });
        let dir = root.path().join("documents");
        assert_eq!(staged_files(&dir).len(), 1);
        // Outside a runtime the staged file goes at once (inside one, in a blocking task).
        drop(dropped);
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
    }

    #[test]
    fn only_plain_keys_map_to_files() {
        let root = Path::new("/srv/blobs");
        assert_eq!(
            file_path(root, "documents/0a1b").unwrap(),
            Path::new("/srv/blobs/documents/0a1b")
        );
        for bad in [
            "",
            "documents//x",
            "../x",
            "documents/./x",
            "a#1",
            "a b",
            "/abs",
        ] {
            assert!(file_path(root, bad).is_err(), "{bad}");
        }
    }

    #[tokio::test]
    async fn a_local_file_streams_whole_and_in_ranges_in_chunks_below_the_mmap_threshold() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = super::super::Blobs::from_url(dir.path().to_str().unwrap()).unwrap();
        // Five and a bit chunks: one blocking read takes four, the next the rest.
        let data: Vec<u8> = (0..5 * READ_CHUNK + 7)
            .map(|i| (i * 7 % 251) as u8)
            .collect();
        blobs
            .put("documents/big", Bytes::from(data.clone()))
            .await
            .unwrap();
        for range in [
            None,
            Some(0..1),
            Some(100..70_000),
            Some(READ_CHUNK as u64 - 1..4 * READ_CHUNK as u64 + 1),
            Some(3..data.len() as u64),
        ] {
            let chunks: Vec<Bytes> = blobs
                .get_range("documents/big", range.clone())
                .await
                .unwrap()
                .try_collect::<Vec<Bytes>>()
                .await
                .unwrap();
            assert!(
                chunks
                    .iter()
                    .all(|c| !c.is_empty() && c.len() <= READ_CHUNK)
            );
            let (start, end) =
                range.map_or((0, data.len()), |r| (r.start as usize, r.end as usize));
            assert_eq!(chunks.concat(), data[start..end], "{start}..{end}");
        }
    }

    #[tokio::test]
    async fn a_local_file_cut_short_while_it_streams_is_an_error_not_a_short_body() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = super::super::Blobs::from_url(dir.path().to_str().unwrap()).unwrap();
        let data = vec![7u8; 6 * READ_CHUNK];
        blobs.put("documents/cut", Bytes::from(data)).await.unwrap();
        let mut stream = blobs.get("documents/cut").await.unwrap();
        let first = stream.next().await.unwrap().unwrap();
        assert_eq!(first.len(), READ_CHUNK);
        std::fs::File::options()
            .write(true)
            .open(dir.path().join("documents/cut"))
            .unwrap()
            .set_len(2 * READ_CHUNK as u64)
            .unwrap();
        let rest: Vec<object_store::Result<Bytes>> = stream.collect().await;
        let read: usize = rest.iter().flatten().map(Bytes::len).sum();
        assert!(read < 5 * READ_CHUNK, "read {read} bytes after the cut");
        assert!(
            rest.last().unwrap().is_err(),
            "the stream ends with an error"
        );
    }

    #[tokio::test]
    async fn a_blob_is_read_whole_into_one_buffer_of_its_size_from_a_local_file_or_memory() {
        let dir = tempfile::tempdir().unwrap();
        let data: Vec<u8> = (0..5 * READ_CHUNK + 7)
            .map(|i| (i * 13 % 251) as u8)
            .collect();
        for blobs in [
            super::super::Blobs::from_url(dir.path().to_str().unwrap()).unwrap(),
            super::super::Blobs::in_memory(),
        ] {
            blobs
                .put("documents/whole", Bytes::from(data.clone()))
                .await
                .unwrap();
            // The hint is only a hint: too small or too large, the bytes are the blob's.
            for hint in [0, 10, data.len() as u64, 1 << 30] {
                let read = blobs.read_whole("documents/whole", hint).await.unwrap();
                assert_eq!(read, data);
            }
            assert!(matches!(
                blobs.read_whole("documents/absent", 10).await,
                Err(object_store::Error::NotFound { .. })
            ));
        }
        let whole = read_all(
            std::fs::File::open(dir.path().join("documents/whole")).unwrap(),
            data.len() as u64,
        )
        .unwrap();
        assert_eq!(
            whole.capacity(),
            data.len(),
            "one buffer, of the file's size"
        );
    }

    #[test]
    fn a_local_file_shorter_than_its_length_is_an_error_not_a_short_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("short");
        std::fs::write(&path, vec![1u8; 100]).unwrap();
        let e = read_all(std::fs::File::open(&path).unwrap(), 101).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::UnexpectedEof);
        assert_eq!(
            read_all(std::fs::File::open(&path).unwrap(), 100)
                .unwrap()
                .len(),
            100
        );
    }
}

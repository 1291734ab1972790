//! Content-addressed blob storage: the [`BlobStore`] trait (so S3-compatible storage can
//! follow) and [`FsBlobStore`], files under `<data_dir>/blobs`.
//!
//! A blob's address is the SHA-256 of its bytes, computed by the store while it writes, never
//! taken from the caller. On disk it lives at `sha256/ab/cd/<64 hex>`. Bytes are first written
//! to `tmp/<random>.part` inside the same root (one file system, so the final rename is atomic),
//! fsync'd, then renamed into place and the directory fsync'd: a crash leaves at most a stray
//! temporary file, never a half file under a real address. Writing content that is already
//! stored keeps one copy and refreshes its modification time.
//!
//! The modification time is what garbage collection ages blobs by; it is set from the store's
//! [`Clock`] so tests can move time. A commit (rename or refresh) and an age-checked delete
//! exclude each other, so a blob deduplicated a moment ago is never collected under the
//! upload that is about to refer to it. That lock is per process: several servers sharing one
//! blob directory would need the collector to run on one of them only.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, RwLock};
use std::time::SystemTime;

use bytes::Bytes;
use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tongban_domain::clock::Clock;
use uuid::Uuid;

/// A blob's address: the lower-case hex SHA-256 of its content.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BlobAddress(String);

impl BlobAddress {
    /// The address of `hex`, when it is 64 hexadecimal digits (either case); anything else,
    /// such as a path, is refused, so an address can always be joined to a directory safely.
    pub fn parse(hex: &str) -> Option<BlobAddress> {
        (hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
            .then(|| BlobAddress(hex.to_ascii_lowercase()))
    }

    /// The address of some bytes.
    pub fn of(content: &[u8]) -> BlobAddress {
        BlobAddress(hex::encode(Sha256::digest(content)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for BlobAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A stored blob as a listing reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobInfo {
    pub address: BlobAddress,
    pub size: u64,
    /// When it was last written or deduplicated.
    pub modified: SystemTime,
}

/// What [`BlobStore::put`] stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PutOutcome {
    pub address: BlobAddress,
    pub size: u64,
    /// The same content was stored already; nothing new was kept.
    pub deduplicated: bool,
}

/// A reader over one blob's bytes.
pub type BlobReader = Pin<Box<dyn AsyncRead + Send>>;

/// Where blobs live. Implementations compute the address themselves and never expose a
/// partly written blob under a real address.
#[async_trait::async_trait]
pub trait BlobStore: Send + Sync {
    /// Stores the bytes of `chunks`. The first `Err` item aborts: whatever was written is
    /// removed and that error is returned.
    async fn put(&self, chunks: BoxStream<'_, io::Result<Bytes>>) -> io::Result<PutOutcome>;

    /// A reader over a blob; `None` when it is not stored.
    async fn open(&self, address: &BlobAddress) -> io::Result<Option<BlobReader>>;

    /// A whole blob in memory; `None` when it is not stored. For small files and tests.
    async fn read(&self, address: &BlobAddress) -> io::Result<Option<Bytes>> {
        let Some(mut reader) = self.open(address).await? else {
            return Ok(None);
        };
        let mut out = Vec::new();
        reader.read_to_end(&mut out).await?;
        Ok(Some(out.into()))
    }

    async fn exists(&self, address: &BlobAddress) -> io::Result<bool>;

    /// Removes a blob; `false` when it was not stored.
    async fn delete(&self, address: &BlobAddress) -> io::Result<bool>;

    /// Removes a blob only if it was last written or deduplicated before `cutoff`, atomically
    /// with respect to [`BlobStore::put`]; `false` when it was kept or absent.
    async fn delete_if_older(&self, address: &BlobAddress, cutoff: SystemTime) -> io::Result<bool>;

    /// Every stored blob.
    async fn list(&self) -> io::Result<Vec<BlobInfo>>;

    /// Removes leftovers of writes that never finished (a crash mid-upload) started before
    /// `cutoff`; returns how many.
    async fn remove_partial(&self, cutoff: SystemTime) -> io::Result<u64>;
}

/// Blobs as files under a root directory (`<data_dir>/blobs`).
pub struct FsBlobStore {
    root: PathBuf,
    clock: Arc<dyn Clock>,
    /// Commits take it shared, age-checked deletes exclusively.
    commit_lock: Arc<RwLock<()>>,
}

impl std::fmt::Debug for FsBlobStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FsBlobStore")
            .field("root", &self.root)
            .finish_non_exhaustive()
    }
}

const TMP_DIR: &str = "tmp";
const HASH_DIR: &str = "sha256";
const PART_SUFFIX: &str = ".part";

impl FsBlobStore {
    /// A store rooted at `root`, created when missing.
    pub fn open(root: impl Into<PathBuf>, clock: Arc<dyn Clock>) -> io::Result<FsBlobStore> {
        let root = root.into();
        std::fs::create_dir_all(root.join(TMP_DIR))?;
        std::fs::create_dir_all(root.join(HASH_DIR))?;
        Ok(FsBlobStore {
            root,
            clock,
            commit_lock: Arc::new(RwLock::new(())),
        })
    }

    /// The store of a data directory: `<data_dir>/blobs`.
    pub fn in_data_dir(data_dir: &Path, clock: Arc<dyn Clock>) -> io::Result<FsBlobStore> {
        FsBlobStore::open(data_dir.join("blobs"), clock)
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where temporary files are written (exposed so tests can check none is left).
    pub fn tmp_dir(&self) -> PathBuf {
        self.root.join(TMP_DIR)
    }

    /// The file of an address: `sha256/ab/cd/<hex>`.
    pub fn path_of(&self, address: &BlobAddress) -> PathBuf {
        let hex = address.as_str();
        self.root
            .join(HASH_DIR)
            .join(&hex[0..2])
            .join(&hex[2..4])
            .join(hex)
    }

    fn now(&self) -> SystemTime {
        self.clock.now().into()
    }

    async fn write_temp(
        &self,
        mut chunks: BoxStream<'_, io::Result<Bytes>>,
        tmp: &Path,
    ) -> io::Result<(BlobAddress, u64)> {
        let mut file = tokio::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(tmp)
            .await?;
        let mut hasher = Sha256::new();
        let mut size = 0u64;
        while let Some(chunk) = chunks.next().await {
            let chunk = chunk?;
            hasher.update(&chunk);
            size += chunk.len() as u64;
            file.write_all(&chunk).await?;
        }
        file.flush().await?;
        let file = file.into_std().await;
        let now = self.now();
        tokio::task::spawn_blocking(move || {
            file.set_modified(now)?;
            file.sync_all()
        })
        .await
        .map_err(io::Error::other)??;
        Ok((BlobAddress(hex::encode(hasher.finalize())), size))
    }
}

fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

fn commit(
    lock: &RwLock<()>,
    tmp: &Path,
    dest: &Path,
    now: SystemTime,
) -> io::Result<bool /* deduplicated */> {
    // A poisoned lock only means another commit panicked; the files are still consistent.
    let _shared = lock.read().unwrap_or_else(|e| e.into_inner());
    if dest.exists() {
        // Same address, same bytes: keep the stored copy, mark it freshly used.
        std::fs::remove_file(tmp)?;
        File::options().write(true).open(dest)?.set_modified(now)?;
        return Ok(true);
    }
    let dir = dest
        .parent()
        .ok_or_else(|| io::Error::other("blob path without a directory"))?;
    std::fs::create_dir_all(dir)?;
    std::fs::rename(tmp, dest)?;
    sync_dir(dir)?;
    Ok(false)
}

#[async_trait::async_trait]
impl BlobStore for FsBlobStore {
    async fn put(&self, chunks: BoxStream<'_, io::Result<Bytes>>) -> io::Result<PutOutcome> {
        let tmp = self
            .root
            .join(TMP_DIR)
            .join(format!("{}{PART_SUFFIX}", Uuid::now_v7().simple()));
        let written = self.write_temp(chunks, &tmp).await;
        let (address, size) = match written {
            Ok(done) => done,
            Err(error) => {
                // The write is abandoned (too large, wrong type, client gone, disk full):
                // nothing of it may stay behind.
                if let Err(remove) = tokio::fs::remove_file(&tmp).await
                    && remove.kind() != io::ErrorKind::NotFound
                {
                    tracing::warn!(path = %tmp.display(), error = %remove, "cannot remove partial blob");
                }
                return Err(error);
            }
        };
        let dest = self.path_of(&address);
        let lock = Arc::clone(&self.commit_lock);
        let now = self.now();
        let tmp_for_commit = tmp.clone();
        let committed =
            tokio::task::spawn_blocking(move || commit(&lock, &tmp_for_commit, &dest, now))
                .await
                .map_err(io::Error::other)?;
        match committed {
            Ok(deduplicated) => Ok(PutOutcome {
                address,
                size,
                deduplicated,
            }),
            Err(error) => {
                tokio::fs::remove_file(&tmp).await.ok();
                Err(error)
            }
        }
    }

    async fn open(&self, address: &BlobAddress) -> io::Result<Option<BlobReader>> {
        match tokio::fs::File::open(self.path_of(address)).await {
            Ok(file) => Ok(Some(Box::pin(file))),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn exists(&self, address: &BlobAddress) -> io::Result<bool> {
        tokio::fs::try_exists(self.path_of(address)).await
    }

    async fn delete(&self, address: &BlobAddress) -> io::Result<bool> {
        match tokio::fs::remove_file(self.path_of(address)).await {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e),
        }
    }

    async fn delete_if_older(&self, address: &BlobAddress, cutoff: SystemTime) -> io::Result<bool> {
        let path = self.path_of(address);
        let lock = Arc::clone(&self.commit_lock);
        tokio::task::spawn_blocking(move || {
            let _exclusive = lock.write().unwrap_or_else(|e| e.into_inner());
            let modified = match std::fs::metadata(&path) {
                Ok(meta) => meta.modified()?,
                Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
                Err(e) => return Err(e),
            };
            if modified >= cutoff {
                return Ok(false);
            }
            std::fs::remove_file(&path)?;
            Ok(true)
        })
        .await
        .map_err(io::Error::other)?
    }

    async fn list(&self) -> io::Result<Vec<BlobInfo>> {
        let root = self.root.join(HASH_DIR);
        tokio::task::spawn_blocking(move || list_blobs(&root))
            .await
            .map_err(io::Error::other)?
    }

    async fn remove_partial(&self, cutoff: SystemTime) -> io::Result<u64> {
        let dir = self.root.join(TMP_DIR);
        tokio::task::spawn_blocking(move || {
            let mut removed = 0;
            for entry in std::fs::read_dir(&dir)? {
                let entry = entry?;
                let is_part = entry.file_name().to_string_lossy().ends_with(PART_SUFFIX);
                let meta = entry.metadata()?;
                if is_part && meta.is_file() && meta.modified()? < cutoff {
                    std::fs::remove_file(entry.path())?;
                    removed += 1;
                }
            }
            Ok(removed)
        })
        .await
        .map_err(io::Error::other)?
    }
}

/// Walks `sha256/ab/cd/<hex>`, skipping anything that is not a well-formed blob file in its
/// right place (an operator's stray file is not ours to delete).
fn list_blobs(root: &Path) -> io::Result<Vec<BlobInfo>> {
    let mut out = Vec::new();
    for first in std::fs::read_dir(root)? {
        let first = first?;
        if !first.file_type()?.is_dir() {
            continue;
        }
        for second in std::fs::read_dir(first.path())? {
            let second = second?;
            if !second.file_type()?.is_dir() {
                continue;
            }
            for file in std::fs::read_dir(second.path())? {
                let file = file?;
                let name = file.file_name();
                let Some(address) = name.to_str().and_then(BlobAddress::parse) else {
                    continue;
                };
                let in_place = address.as_str().get(0..2) == first.file_name().to_str()
                    && address.as_str().get(2..4) == second.file_name().to_str();
                let meta = file.metadata()?;
                if in_place && meta.is_file() {
                    out.push(BlobInfo {
                        address,
                        size: meta.len(),
                        modified: meta.modified()?,
                    });
                }
            }
        }
    }
    out.sort_by(|a, b| a.address.cmp(&b.address));
    Ok(out)
}

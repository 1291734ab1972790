//! Uploads for online applications: files streamed into content-addressed storage, checked by
//! content while they stream, recorded per region and account, served back only to whom the
//! caller allows, and collected once nothing refers to them.
//!
//! - [`blobs`]: the [`BlobStore`] trait and the file-system store under `<data_dir>/blobs`.
//! - [`receive`] (the function) streams one upload into a store under [`UploadLimits`]; the
//!   checks themselves live in the [`receive`](mod@receive) module.
//! - [`names`]: file names made safe; the stored extension comes from the detected kind.
//! - [`store_upload`], [`open_upload`], [`discard_upload`]: the use cases the web layer calls.
//! - [`collect_garbage`]: removes blobs no upload row refers to, a day after their last write.
//!
//! Who may read an upload is the web layer's decision (the applicant, their agents, staff
//! handling the case), passed in as a closure; a record the caller may not read is answered
//! exactly like a missing one, so ids cannot be probed. The caller also checks, before
//! [`store_upload`], that the draft it names is the caller's.

pub mod blobs;
pub mod names;
pub mod receive;

use std::io;
use std::time::SystemTime;

use bytes::Bytes;
use chrono::{DateTime, Duration, Utc};
use fluent_bundle::FluentArgs;
use futures_util::{Stream, StreamExt};
use tongban_domain::clock::Clock;
use tongban_domain::forms::{FieldKind, FileKind, FileRef};
use tongban_store::Connection;
use tongban_store::uploads::{self as rows, UploadRow};
use uuid::Uuid;

pub use blobs::{BlobAddress, BlobInfo, BlobReader, BlobStore, FsBlobStore, PutOutcome};
pub use names::{MAX_FILENAME_CHARS, sanitise_filename, stored_filename};
use receive::{Inspected, Inspector, Refusal};

use crate::StoreError;
use crate::identity::CurrentUser;

/// How long an unreferenced blob is kept after its last write: an upload in progress writes
/// its blob before its row, and must not lose it in between.
pub const GARBAGE_AGE: Duration = Duration::days(1);

/// What one upload may be: its largest size and the kinds a form field accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadLimits {
    pub max_size_kb: u32,
    pub accept: Vec<FileKind>,
}

impl UploadLimits {
    /// The limits of a file-upload field; `None` for any other kind of field.
    pub fn of_field(kind: &FieldKind) -> Option<UploadLimits> {
        match kind {
            FieldKind::File {
                accept,
                max_size_kb,
                ..
            } => Some(UploadLimits {
                max_size_kb: *max_size_kb,
                accept: accept.clone(),
            }),
            _ => None,
        }
    }

    pub fn max_bytes(&self) -> u64 {
        u64::from(self.max_size_kb) * 1024
    }
}

/// Why an upload failed. `Display` is for logs; [`UploadError::message`] gives the Fluent
/// message the person sees, which never carries internals.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error("upload larger than the limit of {limit_kb} KB")]
    TooLarge { limit_kb: u32 },
    #[error("upload content is {detected:?}, allowed: {allowed:?}")]
    WrongType {
        allowed: Vec<FileKind>,
        /// What the content looked like (a ZIP without `OFD.xml` shows as `Ofd`); for logs.
        detected: Option<FileKind>,
    },
    #[error("the uploaded file is empty")]
    Empty,
    /// No such upload in the region, or the caller may not see it: one answer for both.
    #[error("no such upload for this caller")]
    NotFound,
    /// The client stopped sending (connection dropped, malformed body).
    #[error("upload interrupted: {0}")]
    Interrupted(String),
    #[error("blob storage failed: {0}")]
    Storage(#[from] io::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl UploadError {
    /// The Fluent message id and its arguments for the person uploading: `upload-too-large`
    /// (`limit-kb`), `upload-wrong-type` (`allowed`, e.g. `PDF, JPG`), `upload-empty`,
    /// `upload-not-found`, `upload-interrupted`, `upload-failed` (storage or database, told
    /// only that it failed).
    pub fn message(&self) -> (&'static str, FluentArgs<'static>) {
        let mut args = FluentArgs::new();
        let key = match self {
            UploadError::TooLarge { limit_kb } => {
                args.set("limit-kb", *limit_kb);
                "upload-too-large"
            }
            UploadError::WrongType { allowed, .. } => {
                let names: Vec<String> = allowed
                    .iter()
                    .map(|k| k.extension().to_ascii_uppercase())
                    .collect();
                args.set("allowed", names.join(", "));
                "upload-wrong-type"
            }
            UploadError::Empty => "upload-empty",
            UploadError::NotFound => "upload-not-found",
            UploadError::Interrupted(_) => "upload-interrupted",
            UploadError::Storage(_) | UploadError::Store(_) => "upload-failed",
        };
        (key, args)
    }

    /// Whether the fault is the platform's (log as an error) rather than the upload's.
    pub fn is_internal(&self) -> bool {
        matches!(self, UploadError::Storage(_) | UploadError::Store(_))
    }
}

/// A blob that passed every check and is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredBlob {
    pub address: BlobAddress,
    pub size: u64,
    pub kind: FileKind,
}

/// Streams `chunks` into `store` under `limits` (see the [`receive`](mod@receive) module for
/// the checks). A refused upload leaves nothing stored, and the stream is not read past the
/// chunk that broke a rule.
pub async fn receive<S, E>(
    store: &dyn BlobStore,
    chunks: S,
    limits: &UploadLimits,
) -> Result<StoredBlob, UploadError>
where
    S: Stream<Item = Result<Bytes, E>> + Send,
    E: std::fmt::Display,
{
    let mut inspector = Inspector::new(limits.max_bytes(), &limits.accept);
    let chunks = std::pin::pin!(chunks);
    let put = store
        .put(Inspected::new(chunks, &mut inspector).boxed())
        .await;
    match (put, inspector.refusal().cloned()) {
        (_, Some(refusal)) => Err(match refusal {
            Refusal::TooLarge => UploadError::TooLarge {
                limit_kb: limits.max_size_kb,
            },
            Refusal::WrongType { detected } => UploadError::WrongType {
                allowed: limits.accept.clone(),
                detected,
            },
            Refusal::Empty => UploadError::Empty,
            Refusal::Interrupted(why) => UploadError::Interrupted(why),
        }),
        (Err(e), None) => Err(UploadError::Storage(e)),
        (Ok(stored), None) => match inspector.kind() {
            Some(kind) => Ok(StoredBlob {
                address: stored.address,
                size: stored.size,
                kind,
            }),
            // finish() decides the kind before the stream may end cleanly.
            None => Err(UploadError::Storage(io::Error::other(
                "upload stored without a detected kind",
            ))),
        },
    }
}

/// An upload as the rest of the platform sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadRecord {
    pub id: Uuid,
    pub region_id: Uuid,
    /// The account that uploaded it.
    pub owner_id: Uuid,
    pub sha256: String,
    pub size: u64,
    pub kind: FileKind,
    /// Sanitised, with the extension of `kind`; for display and `Content-Disposition`.
    pub filename: String,
    pub created_at: DateTime<Utc>,
    pub draft_id: Option<Uuid>,
    pub case_id: Option<Uuid>,
    /// Only staff handling the case may read it.
    pub internal: bool,
}

impl UploadRecord {
    /// The reference a form answer keeps.
    pub fn file_ref(&self) -> FileRef {
        FileRef {
            id: self.id.to_string(),
            name: self.filename.clone(),
            size: self.size,
            kind: self.kind,
        }
    }

    /// The media type to serve it with.
    pub fn media_type(&self) -> &'static str {
        self.kind.media_type()
    }
}

impl From<UploadRow> for UploadRecord {
    fn from(row: UploadRow) -> Self {
        UploadRecord {
            id: row.id,
            region_id: row.region_id,
            owner_id: row.owner_id,
            sha256: row.sha256,
            size: row.size,
            kind: row.kind,
            filename: row.filename,
            created_at: row.created_at,
            draft_id: row.draft_id,
            case_id: row.case_id,
            internal: row.internal,
        }
    }
}

/// Receives an upload from `caller` for `draft_id` in `region_id` and records it. The caller
/// must have checked that the draft is theirs. A blob stored but not recorded (the database
/// failed) is left to [`collect_garbage`].
#[allow(clippy::too_many_arguments)]
pub async fn store_upload<S, E>(
    db: &Connection,
    blobs: &dyn BlobStore,
    clock: &dyn Clock,
    caller: &CurrentUser,
    region_id: Uuid,
    draft_id: Option<Uuid>,
    limits: &UploadLimits,
    filename: &str,
    chunks: S,
) -> Result<UploadRecord, UploadError>
where
    S: Stream<Item = Result<Bytes, E>> + Send,
    E: std::fmt::Display,
{
    let stored = receive(blobs, chunks, limits).await?;
    let row = UploadRow {
        id: Uuid::now_v7(),
        region_id,
        owner_id: caller.account_id,
        sha256: stored.address.as_str().to_owned(),
        size: stored.size,
        kind: stored.kind,
        filename: stored_filename(filename, stored.kind),
        created_at: clock.now(),
        draft_id,
        case_id: None,
        internal: false,
    };
    rows::insert(db, &row).await?;
    tracing::info!(
        upload = %row.id,
        region = %region_id,
        size = row.size,
        kind = row.kind.key(),
        "upload stored"
    );
    Ok(row.into())
}

/// The record, when it is in the region and `may` allows it; `NotFound` otherwise.
async fn readable(
    db: &Connection,
    region_id: Uuid,
    id: Uuid,
    may: impl Fn(&UploadRecord) -> bool,
) -> Result<UploadRecord, UploadError> {
    match rows::by_id(db, region_id, id).await? {
        Some(row) => {
            let record = UploadRecord::from(row);
            if may(&record) {
                Ok(record)
            } else {
                Err(UploadError::NotFound)
            }
        }
        None => Err(UploadError::NotFound),
    }
}

/// An upload and a reader over its bytes, when it is in `region_id` and `may_read` allows it;
/// [`UploadError::NotFound`] otherwise, the same answer whether the record is missing, in
/// another region or not the caller's to read. Serve it as an attachment with
/// [`UploadRecord::media_type`].
pub async fn open_upload(
    db: &Connection,
    blobs: &dyn BlobStore,
    region_id: Uuid,
    id: Uuid,
    may_read: impl Fn(&UploadRecord) -> bool,
) -> Result<(UploadRecord, BlobReader), UploadError> {
    let record = readable(db, region_id, id, may_read).await?;
    let address = BlobAddress::parse(&record.sha256).ok_or_else(|| {
        UploadError::Storage(io::Error::other(format!(
            "upload {} has a malformed address",
            record.id
        )))
    })?;
    match blobs.open(&address).await? {
        Some(reader) => Ok((record, reader)),
        // A row whose bytes are gone is the platform's fault, not a missing upload.
        None => Err(UploadError::Storage(io::Error::new(
            io::ErrorKind::NotFound,
            format!("blob {address} of upload {} is missing", record.id),
        ))),
    }
}

/// Removes an upload the caller made and has not yet submitted (an applicant replacing a
/// file on a draft). Anything else is [`UploadError::NotFound`]. The blob goes later, with
/// [`collect_garbage`], if nothing else refers to it.
pub async fn discard_upload(
    db: &Connection,
    caller: &CurrentUser,
    region_id: Uuid,
    id: Uuid,
) -> Result<(), UploadError> {
    let record = readable(db, region_id, id, |r| {
        r.owner_id == caller.account_id && r.case_id.is_none()
    })
    .await?;
    if rows::delete_unattached(db, region_id, record.id).await? {
        Ok(())
    } else {
        // Submitted between the read and the delete.
        Err(UploadError::NotFound)
    }
}

/// What a garbage collection did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Collected {
    /// Unreferenced blobs removed.
    pub blobs: u64,
    /// Leftovers of interrupted writes removed.
    pub partial: u64,
}

/// Removes blobs no upload row of any region refers to and last written more than
/// [`GARBAGE_AGE`] before `now`, and temporary files of writes that old. Run it periodically.
pub async fn collect_garbage(
    db: &Connection,
    blobs: &dyn BlobStore,
    now: DateTime<Utc>,
) -> Result<Collected, UploadError> {
    let cutoff: SystemTime = (now - GARBAGE_AGE).into();
    let old: Vec<BlobInfo> = blobs
        .list()
        .await?
        .into_iter()
        .filter(|b| b.modified < cutoff)
        .collect();
    let hashes: Vec<String> = old.iter().map(|b| b.address.to_string()).collect();
    let referenced = rows::referenced(db, &hashes).await?;
    let mut collected = Collected::default();
    for blob in old {
        if referenced.contains(blob.address.as_str()) {
            continue;
        }
        // Re-checked under the store's commit lock: an upload of the same bytes since the
        // listing refreshed the time and keeps the blob.
        if blobs.delete_if_older(&blob.address, cutoff).await? {
            collected.blobs += 1;
        }
    }
    collected.partial = blobs.remove_partial(cutoff).await?;
    if collected != Collected::default() {
        tracing::info!(
            blobs = collected.blobs,
            partial = collected.partial,
            "upload garbage collected"
        );
    }
    Ok(collected)
}

//! The single writer of submissions: every submitted application, whatever the channel, becomes
//! a case through one task that groups what is waiting into one transaction.
//!
//! On SQLite each statement costs about 50 µs in sqlx and each durable commit an fsync, so
//! writing cases one transaction at a time caps a server at a few hundred a second. Callers
//! hand their checked, encrypted submission to [`SubmissionWriter::submit`]; the task takes the
//! first waiting item, drains whatever else has queued meanwhile (up to a limit), writes them all
//! with [`tongban_store::cases::insert_batch`] in one transaction, commits, and only then answers
//! each caller, so a tracking number is never shown for a case that is not on disk.
//!
//! If a batch fails, its items are retried one by one, so one bad item cannot fail its
//! neighbours; an item that still fails gets [`SubmitError::Unavailable`]. Retries and double
//! clicks arrive with the same submission key and come back as the case already made. The task
//! ends once every handle is dropped and the queue is drained.

use chrono::{DateTime, Utc};
use tokio::sync::{mpsc, oneshot};
use tongban_domain::forms::{TrackingNumber, TrackingNumberError};
use tongban_store::StoreResult;
use tongban_store::cases::{self, BatchOutcome, CaseRow, NewCase};
use tongban_store::sea_orm::DatabaseConnection;
use uuid::Uuid;

/// The most submissions written in one transaction.
pub const DEFAULT_BATCH_LIMIT: usize = 512;

/// What the applicant is told once their case is committed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    pub case_id: Uuid,
    pub tracking_number: TrackingNumber,
    pub submitted_at: DateTime<Utc>,
    /// The submission key had already made this case: a retry, answered as the first time.
    pub duplicate: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubmitError {
    /// The case could not be written (the database failed, or the writer is gone); nothing was
    /// committed for it, so trying again with the same key is safe.
    #[error("the submission could not be stored now")]
    Unavailable,
    /// The key already made a case from a different request (an `Idempotency-Key` reused for
    /// another application).
    #[error("the submission key was already used for a different request")]
    KeyReused,
    /// No tracking number can be made for it (the region's prefix is unusable or the day's
    /// sequence is exhausted).
    #[error("no tracking number can be issued: {0}")]
    Refused(TrackingNumberError),
}

struct Job {
    case: NewCase,
    reply: oneshot::Sender<Result<Receipt, SubmitError>>,
}

/// A handle on the writer task; cheap to clone, one per request is fine.
#[derive(Clone)]
pub struct SubmissionWriter {
    queue: mpsc::Sender<Job>,
}

impl SubmissionWriter {
    /// Spawns the writer task on the current tokio runtime.
    pub fn start(db: DatabaseConnection) -> SubmissionWriter {
        SubmissionWriter::with_batch_limit(db, DEFAULT_BATCH_LIMIT)
    }

    /// As [`start`](Self::start), writing at most `limit` submissions per transaction.
    pub fn with_batch_limit(db: DatabaseConnection, limit: usize) -> SubmissionWriter {
        let limit = limit.max(1);
        // Room for a few batches: beyond that, callers wait to enqueue (back-pressure) rather
        // than pile up memory.
        let (queue, jobs) = mpsc::channel(limit * 4);
        tokio::spawn(run(db, jobs, limit));
        SubmissionWriter { queue }
    }

    /// Hands a submission to the writer and waits until it is committed (or refused).
    pub async fn submit(&self, case: NewCase) -> Result<Receipt, SubmitError> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send(Job { case, reply })
            .await
            .map_err(|_| SubmitError::Unavailable)?;
        answer.await.map_err(|_| SubmitError::Unavailable)?
    }
}

async fn run(db: DatabaseConnection, mut queue: mpsc::Receiver<Job>, limit: usize) {
    let mut jobs = Vec::with_capacity(limit);
    // Waits for one job, then takes whatever else is already queued; 0 once every handle is
    // gone and the queue is empty.
    while queue.recv_many(&mut jobs, limit).await > 0 {
        let (batch, replies): (Vec<NewCase>, Vec<_>) =
            jobs.drain(..).map(|job| (job.case, job.reply)).unzip();
        let answers = write(&db, &batch).await;
        for (reply, answer) in replies.into_iter().zip(answers) {
            // A caller that went away (closed connection) still has its case: its retry with
            // the same key will find it.
            let _ = reply.send(answer);
        }
    }
    tracing::debug!("submission writer stopped: every handle is gone");
}

/// One answer per submission, in order: the whole batch in one transaction, or, if that fails,
/// each submission in a transaction of its own.
async fn write(db: &DatabaseConnection, batch: &[NewCase]) -> Vec<Result<Receipt, SubmitError>> {
    match write_once(db, batch).await {
        Ok(outcomes) => outcomes.into_iter().map(answer).collect(),
        Err(error) if batch.len() == 1 => {
            tracing::error!(%error, "a submission could not be stored");
            vec![Err(SubmitError::Unavailable)]
        }
        Err(error) => {
            tracing::warn!(%error, size = batch.len(), "a batch of submissions failed; writing them one by one");
            let mut answers = Vec::with_capacity(batch.len());
            for item in batch {
                answers.push(match write_once(db, std::slice::from_ref(item)).await {
                    Ok(mut outcomes) => {
                        outcomes.pop().map_or(Err(SubmitError::Unavailable), answer)
                    }
                    Err(error) => {
                        tracing::error!(%error, "a submission could not be stored");
                        Err(SubmitError::Unavailable)
                    }
                });
            }
            answers
        }
    }
}

async fn write_once(db: &DatabaseConnection, batch: &[NewCase]) -> StoreResult<Vec<BatchOutcome>> {
    let txn = cases::begin_write(db).await?;
    match cases::insert_batch(&txn, batch).await {
        Ok(outcomes) => {
            txn.commit().await?;
            Ok(outcomes)
        }
        Err(error) => {
            // The failed transaction is useless; give its connection back clean.
            if let Err(rollback) = txn.rollback().await {
                tracing::warn!(error = %rollback, "rolling back a failed batch");
            }
            Err(error)
        }
    }
}

fn answer(outcome: BatchOutcome) -> Result<Receipt, SubmitError> {
    match outcome {
        BatchOutcome::Created(case) => receipt(&case, false),
        BatchOutcome::Duplicate {
            case,
            digest_matches: true,
        } => receipt(&case, true),
        BatchOutcome::Duplicate {
            digest_matches: false,
            ..
        } => Err(SubmitError::KeyReused),
        BatchOutcome::Refused(reason) => Err(SubmitError::Refused(reason)),
    }
}

fn receipt(case: &CaseRow, duplicate: bool) -> Result<Receipt, SubmitError> {
    let tracking_number = TrackingNumber::parse(&case.tracking_number).map_err(|error| {
        tracing::error!(case = %case.id, %error, "a stored tracking number does not parse");
        SubmitError::Unavailable
    })?;
    Ok(Receipt {
        case_id: case.id,
        tracking_number,
        submitted_at: case.submitted_at,
        duplicate,
    })
}

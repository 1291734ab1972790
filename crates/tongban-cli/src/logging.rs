//! Structured logs through `tracing`, written by a background thread so a slow terminal or
//! disk never holds up a request.

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

use crate::settings::{Log, LogFormat};

/// Installs the global subscriber; keep the guard alive so buffered lines are flushed at exit.
pub fn init(log: &Log) -> WorkerGuard {
    let filter = std::env::var("TONGBAN_LOG")
        .or_else(|_| std::env::var("RUST_LOG"))
        .ok()
        .and_then(|f| EnvFilter::try_new(f).ok())
        .or_else(|| EnvFilter::try_new(&log.filter).ok())
        .unwrap_or_else(|| EnvFilter::new("info"));
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .lossy(true)
        .finish(std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer);
    let result = match log.format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Text => builder.compact().try_init(),
    };
    if let Err(error) = result {
        eprintln!("logging already initialised: {error}");
    }
    guard
}

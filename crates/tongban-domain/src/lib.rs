//! Tongban's domain: the rules and types of the platform, free of I/O.
//!
//! Nothing here talks to a database, the network or the clock; CI checks that this crate
//! pulls in no sea-orm, sqlx, axum or tokio. One module per feature, named as in every layer.

pub mod access;
pub mod calendar;
pub mod catalog;
pub mod certificate_types;
pub mod certificates;
pub mod clock;
pub mod divisions;
pub mod forms;
pub mod identity;
pub mod locale;
pub mod money;
pub mod notices;
pub mod workflow;

pub use locale::{Direction, Locale, LocalizedText};
pub use money::Fen;

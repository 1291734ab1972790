//! Tongban's use cases: each function takes what it needs (connection, clock, caller), checks
//! rights, runs one transaction and returns domain types. The web and CLI layers call these,
//! never the store directly for anything that changes data.

pub mod applications;
pub mod audit;
pub mod catalog;
pub mod catalog_admin;
pub mod catalog_io;
pub mod certificates;
pub mod crypto;
pub mod form_admin;
pub mod identity;
pub mod mail;
pub mod notifications;
pub mod oidc;
pub mod search_terms;
pub mod submissions;
#[cfg(feature = "testing")]
pub mod testing;
pub mod text;
pub mod uploads;
pub mod workflow;
pub mod workflow_admin;
pub mod yaml_lines;

pub use tongban_store::StoreError;

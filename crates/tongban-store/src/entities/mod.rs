//! SeaORM entities, one module per table, shared by SQLite and PostgreSQL.
//!
//! Structured content (guides, contacts, multilingual names) is stored as JSON documents beside
//! the columns that queries filter and join on; every table carries `region_id`, the tenant.

pub mod account;
pub mod account_email;
pub mod application_draft;
pub mod audit_entry;
pub mod audit_head;
pub mod calendar_mark;
pub mod case;
pub mod case_alert;
pub mod case_document;
pub mod case_event;
pub mod case_task;
pub mod certificate;
pub mod certificate_key;
pub mod department;
pub mod enterprise;
pub mod exchange_log;
pub mod exchange_log_head;
pub mod hall;
pub mod login_throttle;
pub mod mandate;
pub mod notice_counter;
pub mod notification;
pub mod notification_delivery;
pub mod oidc_client;
pub mod oidc_code;
pub mod oidc_consent;
pub mod oidc_key;
pub mod oidc_token;
pub mod progress_lookup;
pub mod recovery_code;
pub mod region;
pub mod role_assignment;
pub mod search_miss;
pub mod search_synonym;
pub mod search_synonym_term;
pub mod service;
pub mod service_version;
pub mod service_version_author;
pub mod session;
pub mod shared_certificate;
pub mod status_list;
pub mod tracking_counter;
pub mod upload;
pub mod verification_code;

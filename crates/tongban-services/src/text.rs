//! Localised text from Project Fluent files, one bundle per locale: the web layer's interface
//! strings and the notification templates both load through [`Texts`].
//!
//! A key missing in a locale falls back to zh-CN and is logged once; tests make sure no locale
//! misses a key, so the fallback is a safety net, not a habit.

use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource};
use tongban_domain::Locale;

/// Messages of every locale of one set of Fluent files.
pub struct Texts {
    bundles: HashMap<Locale, FluentBundle<FluentResource>>,
    reported_missing: Mutex<BTreeSet<(Locale, String)>>,
}

impl std::fmt::Debug for Texts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Texts").finish_non_exhaustive()
    }
}

/// A problem in a shipped Fluent file, found at start-up and by tests.
#[derive(Debug, thiserror::Error)]
#[error("{locale}.ftl: {message}")]
pub struct FluentFileError {
    pub locale: Locale,
    pub message: String,
}

impl Texts {
    /// Parses every locale's source; an error names the file and the problem.
    pub fn load(sources: &[(Locale, &str)]) -> Result<Texts, FluentFileError> {
        let mut bundles = HashMap::new();
        for &(locale, source) in sources {
            let resource = FluentResource::try_new(source.to_owned()).map_err(|(_, errors)| {
                FluentFileError {
                    locale,
                    message: format!("syntax errors: {errors:?}"),
                }
            })?;
            let langid = locale.tag().parse().map_err(|e| FluentFileError {
                locale,
                message: format!("bad language tag: {e}"),
            })?;
            let mut bundle = FluentBundle::new_concurrent(vec![langid]);
            // HTML and SMS give direction otherwise; isolation marks would only litter the text.
            bundle.set_use_isolating(false);
            bundle
                .add_resource(resource)
                .map_err(|errors| FluentFileError {
                    locale,
                    message: format!("duplicate messages: {errors:?}"),
                })?;
            bundles.insert(locale, bundle);
        }
        Ok(Texts {
            bundles,
            reported_missing: Mutex::new(BTreeSet::new()),
        })
    }

    /// The message `key` in `locale`, with arguments, falling back to zh-CN and then to the key.
    /// Whether `locale`'s bundle has a message `key` (no fallback).
    pub fn has(&self, locale: Locale, key: &str) -> bool {
        self.bundles
            .get(&locale)
            .is_some_and(|bundle| bundle.has_message(key))
    }

    pub fn message(&self, locale: Locale, key: &str, args: Option<&FluentArgs>) -> String {
        if let Some(text) = self.format(locale, key, args) {
            return text;
        }
        self.report_missing(locale, key);
        self.format(Locale::DEFAULT, key, args)
            .unwrap_or_else(|| key.to_owned())
    }

    fn format(&self, locale: Locale, key: &str, args: Option<&FluentArgs>) -> Option<String> {
        let bundle = self.bundles.get(&locale)?;
        let message = bundle.get_message(key)?;
        let pattern = message.value()?;
        let mut errors = Vec::new();
        let text = bundle.format_pattern(pattern, args, &mut errors);
        if !errors.is_empty() {
            tracing::warn!(%locale, key, ?errors, "fluent formatting errors");
        }
        Some(text.into_owned())
    }

    fn report_missing(&self, locale: Locale, key: &str) {
        let mut reported = self
            .reported_missing
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if reported.insert((locale, key.to_owned())) {
            tracing::warn!(%locale, key, "localised text missing");
        }
    }
}

/// The message ids defined in a Fluent source.
pub fn message_ids(source: &str) -> BTreeSet<String> {
    let resource = match FluentResource::try_new(source.to_owned()) {
        Ok(r) => r,
        Err((r, _)) => r,
    };
    resource
        .entries()
        .filter_map(|entry| match entry {
            fluent_syntax::ast::Entry::Message(m) => Some(m.id.name.to_owned()),
            _ => None,
        })
        .collect()
}

//! Interface strings from Project Fluent files, one bundle per locale, compiled into the binary.
//!
//! A key missing in a locale falls back to zh-CN and is logged once; a test makes sure no
//! locale misses any key, so the fallback is a safety net, not a habit.

use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use tongban_domain::Locale;

/// The Fluent source of each locale, as shipped.
pub const SOURCES: [(Locale, &str); 4] = [
    (Locale::ZhCn, include_str!("../locales/zh-CN.ftl")),
    (Locale::En, include_str!("../locales/en.ftl")),
    (Locale::Ug, include_str!("../locales/ug.ftl")),
    (Locale::Bo, include_str!("../locales/bo.ftl")),
];

/// All interface strings of all locales.
pub struct I18n {
    bundles: HashMap<Locale, FluentBundle<FluentResource>>,
    reported_missing: Mutex<BTreeSet<(Locale, String)>>,
}

impl std::fmt::Debug for I18n {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("I18n").finish_non_exhaustive()
    }
}

/// A problem in a shipped Fluent file, found at start-up and by tests.
#[derive(Debug, thiserror::Error)]
#[error("{locale}.ftl: {message}")]
pub struct FluentFileError {
    pub locale: Locale,
    pub message: String,
}

impl I18n {
    /// Parses every shipped locale; an error names the file and the problem.
    pub fn load() -> Result<I18n, FluentFileError> {
        let mut bundles = HashMap::new();
        for (locale, source) in SOURCES {
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
            // HTML gives direction through `dir`; isolation marks would only litter the text.
            bundle.set_use_isolating(false);
            bundle
                .add_resource(resource)
                .map_err(|errors| FluentFileError {
                    locale,
                    message: format!("duplicate messages: {errors:?}"),
                })?;
            bundles.insert(locale, bundle);
        }
        Ok(I18n {
            bundles,
            reported_missing: Mutex::new(BTreeSet::new()),
        })
    }

    /// The message `key` in `locale`, with arguments, falling back to zh-CN and then to the key.
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
            tracing::warn!(%locale, key, "interface string missing");
        }
    }

    /// A translator bound to one locale, for templates.
    pub fn tr(&self, locale: Locale) -> Tr<'_> {
        Tr { i18n: self, locale }
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

/// Looks up interface strings in one locale.
#[derive(Clone, Copy)]
pub struct Tr<'a> {
    i18n: &'a I18n,
    pub locale: Locale,
}

impl Tr<'_> {
    pub fn t(&self, key: &str) -> String {
        self.i18n.message(self.locale, key, None)
    }

    /// A message with one named argument.
    pub fn t1(&self, key: &str, name: &str, value: impl Into<ArgValue>) -> String {
        let mut args = FluentArgs::new();
        args.set(name.to_owned(), value.into().0);
        self.i18n.message(self.locale, key, Some(&args))
    }
}

/// A value passed into a Fluent message.
pub struct ArgValue(FluentValue<'static>);

impl From<&str> for ArgValue {
    fn from(value: &str) -> Self {
        ArgValue(FluentValue::from(value.to_owned()))
    }
}

impl From<String> for ArgValue {
    fn from(value: String) -> Self {
        ArgValue(FluentValue::from(value))
    }
}

impl From<i64> for ArgValue {
    fn from(value: i64) -> Self {
        ArgValue(FluentValue::from(value))
    }
}

impl From<usize> for ArgValue {
    fn from(value: usize) -> Self {
        ArgValue(FluentValue::from(value as i64))
    }
}

impl From<u16> for ArgValue {
    fn from(value: u16) -> Self {
        ArgValue(FluentValue::from(i64::from(value)))
    }
}

impl From<u8> for ArgValue {
    fn from(value: u8) -> Self {
        ArgValue(FluentValue::from(i64::from(value)))
    }
}

/// Templates pass values by reference.
macro_rules! arg_from_ref {
    ($($t:ty),*) => {$(
        impl From<&$t> for ArgValue {
            fn from(value: &$t) -> Self {
                ArgValue::from(*value)
            }
        }
    )*};
}
arg_from_ref!(i64, usize, u16, u8);

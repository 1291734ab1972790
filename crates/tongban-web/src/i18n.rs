//! Interface strings from Project Fluent files, one bundle per locale, compiled into the binary
//! and loaded through [`tongban_services::text::Texts`].

use fluent_bundle::{FluentArgs, FluentValue};
use tongban_domain::Locale;
use tongban_services::text::Texts;
pub use tongban_services::text::{FluentFileError, message_ids};

/// One locale's interface strings: the portal's file, then one file per feature under
/// `locales/<feature>/<lang>.ftl`, so a feature brings its strings without editing a long
/// shared file. A message id defined twice fails at start-up and in tests.
macro_rules! locale_source {
    ($lang:literal) => {
        concat!(
            include_str!(concat!("../locales/", $lang, ".ftl")),
            "\n",
            include_str!(concat!("../locales/admin/", $lang, ".ftl")),
            "\n",
            include_str!(concat!("../locales/email/", $lang, ".ftl")),
            "\n",
            include_str!(concat!("../locales/agency/", $lang, ".ftl")),
            "\n",
            include_str!(concat!("../locales/oidc/", $lang, ".ftl")),
            "\n",
            include_str!(concat!("../locales/pdf/", $lang, ".ftl")),
            "\n",
            include_str!(concat!("../locales/catalog_io/", $lang, ".ftl")),
            "\n",
            include_str!(concat!("../locales/catalog_admin/", $lang, ".ftl")),
            "\n",
            include_str!(concat!("../locales/search_admin/", $lang, ".ftl")),
            "\n",
            include_str!(concat!("../locales/search/", $lang, ".ftl")),
            "\n",
            include_str!(concat!("../locales/applications/", $lang, ".ftl")),
            "\n",
            include_str!(concat!("../locales/form_pdf/", $lang, ".ftl")),
            "\n",
            include_str!(concat!("../locales/form_editor/", $lang, ".ftl")),
            "\n",
            include_str!(concat!("../locales/workflow_editor/", $lang, ".ftl")),
            "\n",
            include_str!(concat!("../locales/cases/", $lang, ".ftl")),
            "\n",
            include_str!(concat!("../locales/certificates/", $lang, ".ftl")),
            "\n",
            include_str!(concat!("../locales/data_use/", $lang, ".ftl")),
            include_str!(concat!("../locales/notices/", $lang, ".ftl")),
            "\n",
        )
    };
}

/// The Fluent source of each locale, as shipped.
pub const SOURCES: [(Locale, &str); 4] = [
    (Locale::ZhCn, locale_source!("zh-CN")),
    (Locale::En, locale_source!("en")),
    (Locale::Ug, locale_source!("ug")),
    (Locale::Bo, locale_source!("bo")),
];

/// All interface strings of all locales.
#[derive(Debug)]
pub struct I18n(Texts);

impl I18n {
    /// Parses every shipped locale; an error names the file and the problem.
    pub fn load() -> Result<I18n, FluentFileError> {
        Texts::load(&SOURCES).map(I18n)
    }

    /// The message `key` in `locale`, with arguments, falling back to zh-CN and then to the key.
    pub fn message(&self, locale: Locale, key: &str, args: Option<&FluentArgs>) -> String {
        self.0.message(locale, key, args)
    }

    /// A translator bound to one locale, for templates.
    pub fn tr(&self, locale: Locale) -> Tr<'_> {
        Tr { i18n: self, locale }
    }
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

    /// A message with several named text arguments.
    pub fn tn(&self, key: &str, named: &[(&str, String)]) -> String {
        let mut args = FluentArgs::new();
        for (name, value) in named {
            args.set((*name).to_owned(), FluentValue::from(value.clone()));
        }
        self.i18n.message(self.locale, key, Some(&args))
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

impl From<u32> for ArgValue {
    fn from(value: u32) -> Self {
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
arg_from_ref!(i64, usize, u32, u16, u8);

impl From<&&str> for ArgValue {
    fn from(value: &&str) -> Self {
        ArgValue::from(*value)
    }
}

//! What every page shares: the chrome around the content (language, direction, display mode,
//! region, demo ribbon) and the helpers templates use to show localised content.

use tongban_domain::catalog::{Contact, MaterialForm};
use tongban_domain::{Locale, LocalizedText};
use tongban_services::catalog::PortalCatalog;
use tongban_services::identity::CurrentUser;

use crate::i18n::Tr;
use crate::prefs::Prefs;

/// The frame of a page, built per render from the request's preferences and the snapshot.
pub struct Chrome<'a> {
    pub tr: Tr<'a>,
    pub locale: Locale,
    pub lang: &'static str,
    pub dir: &'static str,
    pub elder: bool,
    pub demo: bool,
    pub region_name: &'a str,
    pub css_href: &'a str,
    /// The page's path, for the language links and the elder-mode toggle.
    pub path: &'a str,
    pub catalog: &'a PortalCatalog,
    /// The signed-in user, on pages rendered for them (never on cached pages).
    pub user: Option<&'a CurrentUser>,
    /// The CSRF token for forms on this page (the header's sign-out button among them).
    pub csrf: Option<String>,
}

/// Shows a UTC time in the region's zone as `YYYY-MM-DD HH:MM`. Mainland China has kept UTC+8
/// without daylight saving since 1991, which covers every region the platform serves today; a
/// deployment elsewhere adds a time-zone database here.
pub fn local_time(at: chrono::DateTime<chrono::Utc>) -> String {
    local(at).format("%Y-%m-%d %H:%M").to_string()
}

/// The date of a UTC time in the region's zone.
pub fn local_date(at: chrono::DateTime<chrono::Utc>) -> String {
    local(at).format("%Y-%m-%d").to_string()
}

fn local(at: chrono::DateTime<chrono::Utc>) -> chrono::DateTime<chrono::FixedOffset> {
    match chrono::FixedOffset::east_opt(8 * 3600) {
        Some(offset) => at.with_timezone(&offset),
        None => at.fixed_offset(),
    }
}

/// One entry of the language switcher.
pub struct LanguageLink {
    pub tag: &'static str,
    pub endonym: &'static str,
    pub href: String,
    pub current: bool,
}

impl<'a> Chrome<'a> {
    pub fn new(
        tr: Tr<'a>,
        prefs: Prefs,
        demo: bool,
        css_href: &'a str,
        path: &'a str,
        catalog: &'a PortalCatalog,
    ) -> Chrome<'a> {
        let locale = prefs.locale;
        Chrome {
            tr,
            locale,
            lang: locale.tag(),
            dir: locale.direction().as_str(),
            elder: prefs.elder,
            demo,
            region_name: catalog.region.name.get(locale),
            css_href,
            path,
            catalog,
            user: None,
            csrf: None,
        }
    }

    /// The same chrome for a page rendered for a signed-in user.
    pub fn for_user(mut self, user: Option<&'a CurrentUser>, csrf: Option<String>) -> Chrome<'a> {
        self.user = user;
        self.csrf = csrf;
        self
    }

    /// The CSRF token, for templates (empty where the page has no form).
    pub fn csrf_token(&self) -> &str {
        self.csrf.as_deref().unwrap_or("")
    }

    /// Content text in the page's language, falling back to zh-CN, as plain text (for
    /// `<title>` and for building strings).
    pub fn l<'t>(&self, text: &'t LocalizedText) -> &'t str {
        text.get(self.locale)
    }

    /// Content text for the page body: a fallback to zh-CN is marked with its own `lang` and
    /// `dir`, so screen readers switch voice and Chinese punctuation stays in place on
    /// right-to-left pages.
    pub fn lx<'t>(&self, text: &'t LocalizedText) -> Shown<'t> {
        let shown = text.shown_locale(self.locale);
        Shown {
            text: text.get(self.locale),
            marked: (shown != self.locale).then_some(shown),
        }
    }

    pub fn contact(&self) -> &'a Contact {
        &self.catalog.region.contact
    }

    pub fn languages(&self) -> Vec<LanguageLink> {
        Locale::ALL
            .into_iter()
            .map(|locale| LanguageLink {
                tag: locale.tag(),
                endonym: locale.endonym(),
                href: format!("{}?lang={}", self.path, locale.tag()),
                current: locale == self.locale,
            })
            .collect()
    }

    pub fn elder_href(&self) -> String {
        let mode = if self.elder { "off" } else { "on" };
        format!("/preferences/elder?mode={mode}&back={}", self.path)
    }

    /// "3 working days", or "on the spot" for 0.
    pub fn time_limit(&self, days: &u16) -> String {
        if *days == 0 {
            self.tr.t("time-limit-immediate")
        } else {
            self.tr.t1("time-limit-days", "days", *days)
        }
    }

    /// "no visit needed", "at most one visit", or "N visits".
    pub fn visits(&self, visits: &u8) -> String {
        match *visits {
            0 => self.tr.t("visits-none"),
            1 => self.tr.t("visits-one"),
            n => self.tr.t1("visits-many", "count", n),
        }
    }

    pub fn material_form(&self, form: &MaterialForm) -> String {
        self.tr.t(match form {
            MaterialForm::Upload => "material-form-upload",
            MaterialForm::FormField => "material-form-field",
        })
    }
}

/// Escaped content text, wrapped in a `lang`/`dir` span when it is in another language than
/// the page.
pub struct Shown<'t> {
    text: &'t str,
    marked: Option<Locale>,
}

impl std::fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.marked {
            Some(locale) => {
                write!(
                    f,
                    "<span lang=\"{}\" dir=\"{}\">",
                    locale.tag(),
                    locale.direction().as_str()
                )?;
                escape_html(f, self.text)?;
                f.write_str("</span>")
            }
            None => escape_html(f, self.text),
        }
    }
}

/// `Shown` escapes its text itself.
impl askama::filters::HtmlSafe for Shown<'_> {}

/// Escapes like askama does (numeric character references), so pages are uniform.
fn escape_html(f: &mut std::fmt::Formatter<'_>, text: &str) -> std::fmt::Result {
    let mut rest = text;
    while let Some(at) = rest.find(['&', '<', '>', '"', '\'']) {
        f.write_str(&rest[..at])?;
        f.write_str(match rest.as_bytes()[at] {
            b'&' => "&#38;",
            b'<' => "&#60;",
            b'>' => "&#62;",
            b'"' => "&#34;",
            _ => "&#39;",
        })?;
        rest = &rest[at + 1..];
    }
    f.write_str(rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fallback_text_is_marked_and_everything_is_escaped() {
        let text = LocalizedText::new("<b>\"示范\" & 'x'</b>");
        let shown = Shown {
            text: text.get(Locale::Ug),
            marked: Some(Locale::ZhCn),
        };
        assert_eq!(
            shown.to_string(),
            "<span lang=\"zh-CN\" dir=\"ltr\">&#60;b&#62;&#34;示范&#34; &#38; &#39;x&#39;&#60;/b&#62;</span>"
        );
        let own = Shown {
            text: "plain",
            marked: None,
        };
        assert_eq!(own.to_string(), "plain");
    }
}

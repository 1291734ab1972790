//! What every page shares: the chrome around the content (language, direction, display mode,
//! region, demo ribbon) and the helpers templates use to show localised content.

use tongban_domain::catalog::{Contact, MaterialForm};
use tongban_domain::{Locale, LocalizedText};
use tongban_services::catalog::PortalCatalog;

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
        }
    }

    /// Content text in the page's language, falling back to zh-CN.
    pub fn l<'t>(&self, text: &'t LocalizedText) -> &'t str {
        text.get(self.locale)
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

//! E-mail addresses people give for notifications and password reset.
//!
//! Validation is deliberately practical rather than the full RFC 5321 grammar: a local part of
//! printable ASCII without spaces or quotes, one `@`, and a domain of at least two labels
//! (letters of any script, digits, hyphens). That accepts every address a mail provider hands
//! out and refuses typing mistakes (a missing `@` or dot, a comma, a space) before a code is
//! sent to nowhere. The domain is kept in lower case; the local part as typed, since a few
//! servers still treat it case-sensitively, while [`EmailAddress::key`] folds it for look-ups.

use std::fmt;

use super::{IdentifierError, mask, serde_as_validated_string};

/// A syntactically valid e-mail address.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct EmailAddress(String);

/// RFC 5321's limits on the whole path and on the local part.
const MAX_LENGTH: usize = 254;
const MAX_LOCAL: usize = 64;
const MAX_LABEL: usize = 63;

impl EmailAddress {
    pub fn parse(input: &str) -> Result<EmailAddress, IdentifierError> {
        let text = input.trim();
        if text.is_empty() {
            return Err(IdentifierError::Empty);
        }
        let length = text.chars().count();
        if !(3..=MAX_LENGTH).contains(&length) {
            return Err(IdentifierError::LengthOutOfRange {
                min: 3,
                max: MAX_LENGTH,
                found: length,
            });
        }
        if let Some((position, found)) = text.chars().enumerate().find(|(_, c)| {
            c.is_whitespace()
                || c.is_control()
                || matches!(
                    c,
                    '"' | ',' | ';' | '<' | '>' | '(' | ')' | '[' | ']' | '\\'
                )
        }) {
            return Err(IdentifierError::InvalidCharacter {
                position: position + 1,
                found,
            });
        }
        let (local, domain) = text
            .rsplit_once('@')
            .ok_or(IdentifierError::NotEmailAddress)?;
        let local_ok = !local.is_empty()
            && local.len() <= MAX_LOCAL
            && !local.contains('@')
            && local.is_ascii()
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..");
        let labels: Vec<&str> = domain.split('.').collect();
        let domain_ok = labels.len() >= 2
            && labels.iter().all(|label| {
                !label.is_empty()
                    && label.chars().count() <= MAX_LABEL
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label.chars().all(|c| c.is_alphanumeric() || c == '-')
            })
            && labels
                .last()
                .is_some_and(|tld| !tld.chars().all(|c| c.is_ascii_digit()));
        if !(local_ok && domain_ok) {
            return Err(IdentifierError::NotEmailAddress);
        }
        Ok(EmailAddress(format!("{local}@{}", domain.to_lowercase())))
    }

    /// The address in full, for sending and for encryption before storage.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The address folded to lower case: two spellings of one mailbox give one key, so an
    /// address cannot be registered twice and a reset finds it however it is typed.
    pub fn key(&self) -> String {
        self.0.to_lowercase()
    }

    /// The domain, e.g. for a `Message-ID`.
    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map_or("", |(_, domain)| domain)
    }

    /// `z******n@shifan.example`: enough for its owner to recognise, not enough to write to.
    pub fn masked(&self) -> String {
        match self.0.rsplit_once('@') {
            Some((local, domain)) => format!("{}@{domain}", mask(local, 1, 1)),
            None => mask(&self.0, 1, 1),
        }
    }
}

impl fmt::Debug for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EmailAddress({})", self.masked())
    }
}

/// The masked form, for screens.
impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

serde_as_validated_string!(EmailAddress);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_addresses_and_folds_the_domain() {
        for (input, stored) in [
            ("zhangsan@shifan.example", "zhangsan@shifan.example"),
            (
                "  Li.Si+tongban@Mail.Example.CN ",
                "Li.Si+tongban@mail.example.cn",
            ),
            ("a@b.cn", "a@b.cn"),
            ("user@政务.中国", "user@政务.中国"),
        ] {
            assert_eq!(
                EmailAddress::parse(input).unwrap().as_str(),
                stored,
                "{input}"
            );
        }
        let address = EmailAddress::parse("Li.Si@Mail.Example").unwrap();
        assert_eq!(address.key(), "li.si@mail.example");
        assert_eq!(address.domain(), "mail.example");
    }

    #[test]
    fn refuses_typing_mistakes() {
        for input in [
            "zhangsan",
            "zhangsan@",
            "@shifan.example",
            "zhangsan@shifan",
            "zhang san@shifan.example",
            "zhangsan@shifan..example",
            "zhangsan@-shifan.example",
            ".zhangsan@shifan.example",
            "zhang..san@shifan.example",
            "zhangsan@shifan.example,lisi@shifan.example",
            "zhangsan@10.0.0.1",
            "张三@shifan.example",
        ] {
            assert!(EmailAddress::parse(input).is_err(), "{input}");
        }
        assert_eq!(EmailAddress::parse(" "), Err(IdentifierError::Empty));
    }

    #[test]
    fn screens_and_logs_see_only_the_masked_form() {
        let address = EmailAddress::parse("zhangsan@shifan.example").unwrap();
        assert_eq!(address.to_string(), "z******n@shifan.example");
        assert_eq!(
            format!("{address:?}"),
            "EmailAddress(z******n@shifan.example)"
        );
        assert_eq!(
            EmailAddress::parse("ab@x.cn").unwrap().to_string(),
            "**@x.cn"
        );
    }
}

//! Notifications: an outbox written in the same transaction as the change that causes it,
//! delivered by a background worker with retries and a delivery log.
//!
//! Channels: the in-app inbox (always; delivered by being written), SMS through a
//! [`SmsGateway`] (in demo mode [`LogSms`], whose messages appear in the server log and in the
//! recipient's inbox). A crash loses nothing: an undelivered row stays in the outbox and a
//! claim whose worker died expires and is taken again. Each message carries its notification id
//! as the gateway's idempotency key, so a gateway that honours it never delivers one twice.
//!
//! E-mail goes through an [`EmailSender`](crate::mail::EmailSender) (SMTP, or the demo log
//! sink): its `Message-ID` is made from the notification id, the same guarantee in SMTP's terms.
//! A send is cut off well before its claim expires, so no second worker takes a notification
//! while the first may still be talking to the relay; permanent refusals (5xx) are not retried.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use fluent_bundle::FluentArgs;
use tongban_domain::Locale;
use tongban_domain::clock::Clock;
use tongban_domain::identity::{EmailAddress, MobileNumber};
use tongban_store::Connection;
use tongban_store::notifications::{NewNotification, NotificationRow};
use uuid::Uuid;

use crate::StoreError;
use crate::crypto::FieldCipher;
use crate::mail::{EmailError, EmailMessage, EmailSender, html_body};
use crate::text::{FluentFileError, Texts};

/// The Fluent source of each locale's templates.
pub const TEMPLATE_SOURCES: [(Locale, &str); 4] = [
    (Locale::ZhCn, include_str!("../notifications/zh-CN.ftl")),
    (Locale::En, include_str!("../notifications/en.ftl")),
    (Locale::Ug, include_str!("../notifications/ug.ftl")),
    (Locale::Bo, include_str!("../notifications/bo.ftl")),
];

/// Where SMS and e-mail recipients' addresses are encrypted.
pub const RECIPIENT_FIELD: &str = "notifications.recipient";

/// The name that signs messages, e.g. 示范市政务服务网.
pub fn site_param(site: &str) -> (&'static str, serde_json::Value) {
    ("site", serde_json::Value::String(site.to_owned()))
}

/// Templates in every locale.
#[derive(Debug)]
pub struct Templates(Texts);

impl Templates {
    pub fn load() -> Result<Templates, FluentFileError> {
        Texts::load(&TEMPLATE_SOURCES).map(Templates)
    }

    /// Renders `template-part` (e.g. `welcome-title`) with the notification's parameters.
    /// Whether the locale (or the default locale) has a template part `key`.
    pub fn has(&self, locale: Locale, key: &str) -> bool {
        self.0.has(locale, key) || self.0.has(Locale::DEFAULT, key)
    }

    /// An e-mail's subject and plain text: `TEMPLATE-email-subject` and `TEMPLATE-email-body`
    /// where the template has them (codes, which have no inbox text), else the inbox parts
    /// `-title` and `-body`, signed with the site name.
    pub fn render_email(
        &self,
        locale: Locale,
        template: &str,
        params: &serde_json::Value,
    ) -> (String, String) {
        let part = |email: &str, inbox: &str| {
            let key = format!("{template}-{email}");
            let key = if self.has(locale, &key) {
                key
            } else {
                format!("{template}-{inbox}")
            };
            self.render(locale, &key, params)
        };
        let subject = part("email-subject", "title");
        let mut text = part("email-body", "body");
        if let Some(site) = params.get("site").and_then(|s| s.as_str()) {
            text.push_str("\n\n-- \n");
            text.push_str(site);
        }
        (subject, text)
    }

    pub fn render(&self, locale: Locale, key: &str, params: &serde_json::Value) -> String {
        let mut args = FluentArgs::new();
        if let Some(map) = params.as_object() {
            for (name, value) in map {
                match value {
                    serde_json::Value::String(s) => args.set(name.clone(), s.clone()),
                    serde_json::Value::Number(n) => {
                        args.set(name.clone(), n.as_f64().unwrap_or(0.0))
                    }
                    other => args.set(name.clone(), other.to_string()),
                }
            }
        }
        self.0.message(locale, key, Some(&args))
    }
}

/// One text message for a gateway.
#[derive(Debug, Clone)]
pub struct SmsMessage {
    pub to: MobileNumber,
    pub text: String,
    /// The notification id: a gateway that supports idempotency keys must not deliver the same
    /// key twice, which makes a retry after a crash harmless.
    pub idempotency_key: Uuid,
    /// The recipient's account, when there is one.
    pub account_id: Option<Uuid>,
}

type Delivery<'a> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), String>> + Send + 'a>>;

/// Sends text messages (a provincial SMS platform, a carrier's API …).
pub trait SmsGateway: Send + Sync {
    fn send<'a>(&'a self, message: &'a SmsMessage) -> Delivery<'a>;
}

/// The demo gateway: nothing leaves the machine. Each message is written to the server log and,
/// when the recipient has an account, copied to their inbox so a demo shows what was sent.
pub struct LogSms {
    pub db: Connection,
    pub clock: Arc<dyn Clock>,
}

/// Inbox template for copies of demo text messages.
pub const SMS_COPY_TEMPLATE: &str = "sms-copy";

impl SmsGateway for LogSms {
    fn send<'a>(&'a self, message: &'a SmsMessage) -> Delivery<'a> {
        Box::pin(async move {
            tracing::info!(to = %message.to, key = %message.idempotency_key, text = %message.text, "SMS (demo gateway, not sent)");
            if let Some(account) = message.account_id {
                tongban_store::notifications::enqueue(
                    &self.db,
                    NewNotification {
                        account_id: Some(account),
                        channel: "inbox",
                        template: SMS_COPY_TEMPLATE.to_owned(),
                        locale: Locale::DEFAULT.tag().to_owned(),
                        params: serde_json::json!({ "text": message.text }),
                        recipient_ciphertext: None,
                    },
                    self.clock.now(),
                )
                .await
                .map_err(|e| e.to_string())?;
            }
            Ok(())
        })
    }
}

/// After this many failed attempts a notification is given up (and stays in the log).
pub const MAX_ATTEMPTS: i32 = 8;
/// How long a claimed notification is reserved for its worker.
const LEASE: i64 = 60;
/// The longest one e-mail delivery may take: half the lease.
const SEND_WITHIN: std::time::Duration = std::time::Duration::from_secs(LEASE as u64 / 2);

/// Delivers due notifications from the outbox.
pub struct Worker {
    pub db: Connection,
    pub cipher: Arc<dyn FieldCipher>,
    pub templates: Arc<Templates>,
    pub sms: Arc<dyn SmsGateway>,
    /// `None` when no e-mail channel is configured: e-mail notifications then fail for good
    /// (none are queued while the identity settings say e-mail is off).
    pub email: Option<Arc<dyn EmailSender>>,
    pub clock: Arc<dyn Clock>,
}

/// A failed attempt: permanent failures are not tried again.
struct Failure {
    detail: String,
    permanent: bool,
}

impl From<String> for Failure {
    fn from(detail: String) -> Failure {
        Failure {
            detail,
            permanent: false,
        }
    }
}

impl From<&str> for Failure {
    fn from(detail: &str) -> Failure {
        Failure::from(detail.to_owned())
    }
}

impl Worker {
    /// Delivers what is due now; returns how many were delivered.
    pub async fn run_once(&self) -> Result<usize, StoreError> {
        let now = self.clock.now();
        let claimed = tongban_store::notifications::claim_due(
            &self.db,
            now,
            now + Duration::seconds(LEASE),
            50,
        )
        .await?;
        let mut delivered = 0;
        for row in claimed {
            let outcome = self.deliver(&row).await;
            let retry_at = outcome
                .as_ref()
                .err()
                .is_some_and(|f| !f.permanent && row.attempts < MAX_ATTEMPTS)
                .then(|| backoff(now, row.attempts));
            if let Err(failure) = &outcome {
                tracing::warn!(id = %row.id, channel = %row.channel, attempt = row.attempts, permanent = failure.permanent, error = %failure.detail, "notification delivery failed");
            } else {
                delivered += 1;
            }
            let outcome = outcome.map_err(|f| {
                if f.permanent {
                    format!("permanent: {}", f.detail)
                } else {
                    f.detail
                }
            });
            tongban_store::notifications::record_attempt(
                &self.db,
                &row,
                self.clock.now(),
                outcome,
                retry_at,
            )
            .await?;
        }
        Ok(delivered)
    }

    async fn deliver(&self, row: &NotificationRow) -> Result<(), Failure> {
        let locale = Locale::from_tag(&row.locale).unwrap_or(Locale::DEFAULT);
        match row.channel.as_str() {
            "sms" => {
                let sealed = row.recipient_ciphertext.as_ref().ok_or("no recipient")?;
                let number = self
                    .cipher
                    .decrypt(RECIPIENT_FIELD, sealed)
                    .map_err(|e| e.to_string())?;
                let to = MobileNumber::parse(&number).map_err(|e| e.to_string())?;
                let text =
                    self.templates
                        .render(locale, &format!("{}-sms", row.template), &row.params);
                self.sms
                    .send(&SmsMessage {
                        to,
                        text,
                        idempotency_key: row.id,
                        account_id: row.account_id,
                    })
                    .await
                    .map_err(Failure::from)
            }
            "email" => self.deliver_email(row, locale).await,
            other => Err(Failure::from(format!("no gateway for channel {other}"))),
        }
    }

    async fn deliver_email(&self, row: &NotificationRow, locale: Locale) -> Result<(), Failure> {
        let permanent = |detail: String| Failure {
            detail,
            permanent: true,
        };
        let sender = self
            .email
            .as_ref()
            .ok_or_else(|| permanent("no e-mail channel is configured".to_owned()))?;
        let sealed = row
            .recipient_ciphertext
            .as_ref()
            .ok_or_else(|| permanent("no recipient".to_owned()))?;
        let address = self
            .cipher
            .decrypt(RECIPIENT_FIELD, sealed)
            .map_err(|e| e.to_string())?;
        let to = EmailAddress::parse(&address).map_err(|e| permanent(e.to_string()))?;
        let (subject, text) = self
            .templates
            .render_email(locale, &row.template, &row.params);
        let message = EmailMessage {
            to,
            html: html_body(locale, &subject, &text),
            subject,
            text,
            notification_id: row.id,
            account_id: row.account_id,
        };
        // Give up well inside the claim, so that no other worker takes this notification
        // while this one may still be talking to the relay.
        match tokio::time::timeout(SEND_WITHIN, sender.send(&message)).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(EmailError::Permanent(detail))) => Err(permanent(detail)),
            Ok(Err(EmailError::Transient(detail))) => Err(Failure::from(detail)),
            Err(_) => Err(Failure::from(format!(
                "no answer from the e-mail channel within {} s",
                SEND_WITHIN.as_secs()
            ))),
        }
    }

    /// Runs until `stop` resolves, waking every second or when `wake` is notified.
    pub async fn run(
        self,
        wake: Arc<tokio::sync::Notify>,
        stop: impl std::future::Future<Output = ()>,
    ) {
        tokio::pin!(stop);
        loop {
            if let Err(error) = self.run_once().await {
                tracing::error!(%error, "notification worker");
            }
            tokio::select! {
                () = &mut stop => break,
                () = wake.notified() => {},
                () = tokio::time::sleep(std::time::Duration::from_secs(1)) => {},
            }
        }
    }
}

/// 30 s, 1 min, 2 min … up to 2 h between attempts.
fn backoff(now: DateTime<Utc>, attempts: i32) -> DateTime<Utc> {
    let exponent = attempts.clamp(1, 9) as u32 - 1;
    now + Duration::seconds((30i64 * 2i64.pow(exponent)).min(7200))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_render_in_every_locale() {
        let templates = Templates::load().unwrap();
        let params =
            serde_json::json!({ "site": "示范市政务服务网", "code": "123456", "minutes": 10 });
        for locale in Locale::ALL {
            let text = templates.render(locale, "register-code-sms", &params);
            assert!(
                text.contains("123456") && text.contains("10"),
                "{locale}: {text}"
            );
        }
    }

    #[test]
    fn every_locale_has_every_template() {
        let reference = crate::text::message_ids(TEMPLATE_SOURCES[0].1);
        for (locale, source) in TEMPLATE_SOURCES {
            assert_eq!(crate::text::message_ids(source), reference, "{locale}");
        }
    }

    #[test]
    fn back_off_grows_and_is_bounded() {
        let now = DateTime::<Utc>::from_timestamp(0, 0).unwrap();
        assert_eq!(backoff(now, 1) - now, Duration::seconds(30));
        assert_eq!(backoff(now, 2) - now, Duration::seconds(60));
        assert_eq!(backoff(now, 8) - now, Duration::seconds(3840));
        assert_eq!(backoff(now, 20) - now, Duration::seconds(7200));
    }
}

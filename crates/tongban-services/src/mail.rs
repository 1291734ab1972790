//! The e-mail channel: an [`EmailSender`] next to the SMS gateway, an SMTP implementation on
//! `lettre` ([`SmtpEmail`]) and the demo sink [`LogEmail`], whose messages appear in the server
//! log and the recipient's inbox.
//!
//! Every message carries a `Message-ID` made from its notification id, so a retry after a crash
//! sends the very same message again and a receiving system that drops duplicates (as most
//! mail stores do) shows it once. SMTP offers nothing stronger: see docs/notifications.md for
//! the remaining window.
//!
//! TLS is not built in (it would add a TLS stack to every build for one feature): the platform
//! hands mail to an SMTP relay on the same host or network (`smtp://`), and the relay does TLS
//! to the outside world. An `smtps://` URL is refused with that explanation.

use std::sync::Arc;
use std::time::Duration;

use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::extension::ClientId;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use tongban_domain::Locale;
use tongban_domain::clock::Clock;
use tongban_domain::identity::EmailAddress;
use tongban_store::Connection;
use tongban_store::notifications::NewNotification;
use uuid::Uuid;

/// One e-mail, rendered and ready to send.
#[derive(Debug, Clone)]
pub struct EmailMessage {
    pub to: EmailAddress,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// The notification id: the `Message-ID` is made from it, so every attempt at one
    /// notification is the same message to the receiving system.
    pub notification_id: Uuid,
    /// The recipient's account, when there is one.
    pub account_id: Option<Uuid>,
}

/// Why a message was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    /// Worth trying again later: a 4xx reply, a refused or dropped connection, a timeout.
    #[error("temporary failure: {0}")]
    Transient(String),
    /// Trying again cannot help: a 5xx reply (no such mailbox, refused sender), a bad address.
    #[error("permanent failure: {0}")]
    Permanent(String),
}

type Delivery<'a> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), EmailError>> + Send + 'a>>;

/// Sends e-mail (an SMTP relay, a provider's API …).
pub trait EmailSender: Send + Sync {
    fn send<'a>(&'a self, message: &'a EmailMessage) -> Delivery<'a>;
    /// What the start-up log says about this channel (never a credential).
    fn describe(&self) -> String;
}

/// How to reach the SMTP relay.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpConfig {
    /// `smtp://HOST[:PORT]` (port 25 by default).
    pub url: String,
    /// Empty: no authentication.
    pub username: String,
    pub password: String,
    /// `通办 <noreply@example.gov.cn>` or a bare address.
    pub from: String,
    /// Empty: no `Reply-To`.
    pub reply_to: String,
    /// Longest wait for any one step of a delivery (connect, each command).
    pub timeout: Duration,
}

/// The password stays out of logs and panic messages.
impl std::fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("url", &self.url)
            .field("username", &self.username)
            .field(
                "password",
                &if self.password.is_empty() { "" } else { "***" },
            )
            .field("from", &self.from)
            .field("reply_to", &self.reply_to)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// Where an `smtp://` URL points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpEndpoint {
    pub host: String,
    pub port: u16,
}

/// Reads `smtp://HOST[:PORT]`; refuses TLS schemes and credentials inside the URL (they belong
/// in the password setting, which is never printed).
pub fn parse_smtp_url(url: &str) -> Result<SmtpEndpoint, String> {
    let url = url.trim();
    let rest = if let Some(rest) = url.strip_prefix("smtp://") {
        rest
    } else if url.starts_with("smtps://") {
        return Err(
            "smtps:// is not supported: this build has no TLS; send through an SMTP relay on this host or network (smtp://) that does TLS onwards"
                .to_owned(),
        );
    } else {
        return Err(format!(
            "{url:?} is not an SMTP URL: use smtp://HOST[:PORT]"
        ));
    };
    let rest = rest.trim_end_matches('/');
    if rest.contains('@') {
        return Err(
            "put SMTP credentials in email.username and email.password (TONGBAN__EMAIL__PASSWORD), not in the URL"
                .to_owned(),
        );
    }
    if rest.contains(['/', '?', '#']) {
        return Err(format!(
            "{url:?}: an SMTP URL has no path or query: smtp://HOST[:PORT]"
        ));
    }
    let (host, port) = match rest.rsplit_once(':') {
        Some((host, port)) if !host.ends_with(']') || host.starts_with('[') => (
            host,
            port.parse::<u16>()
                .map_err(|_| format!("{url:?}: {port:?} is not a port number"))?,
        ),
        _ => (rest, 25),
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.is_empty() {
        return Err(format!("{url:?} names no host: use smtp://HOST[:PORT]"));
    }
    Ok(SmtpEndpoint {
        host: host.to_owned(),
        port,
    })
}

/// E-mail through an SMTP relay.
pub struct SmtpEmail {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    endpoint: SmtpEndpoint,
    from: Mailbox,
    reply_to: Option<Mailbox>,
    authenticated: bool,
}

impl SmtpEmail {
    pub fn new(config: &SmtpConfig) -> Result<SmtpEmail, String> {
        let endpoint = parse_smtp_url(&config.url)?;
        let from: Mailbox = config
            .from
            .trim()
            .parse()
            .map_err(|e| format!("email.from {:?} is not an address: {e}", config.from))?;
        let reply_to = match config.reply_to.trim() {
            "" => None,
            text => Some(
                text.parse::<Mailbox>()
                    .map_err(|e| format!("email.reply_to {text:?} is not an address: {e}"))?,
            ),
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&endpoint.host)
            .port(endpoint.port)
            .timeout(Some(config.timeout))
            // Introduce ourselves with the sending domain rather than "localhost".
            .hello_name(ClientId::Domain(from.email.domain().to_owned()));
        let authenticated = !config.username.is_empty();
        if authenticated {
            builder = builder.credentials(Credentials::new(
                config.username.clone(),
                config.password.clone(),
            ));
        }
        Ok(SmtpEmail {
            transport: builder.build(),
            endpoint,
            from,
            reply_to,
            authenticated,
        })
    }

    /// The message as it goes on the wire: text and HTML alternatives, base64 so that every
    /// script survives 7-bit relays, and a `Message-ID` from the notification id.
    pub fn build(&self, message: &EmailMessage) -> Result<Message, EmailError> {
        let to: Mailbox = message
            .to
            .as_str()
            .parse()
            .map_err(|e| EmailError::Permanent(format!("recipient refused by lettre: {e}")))?;
        let mut builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(message.subject.clone())
            .message_id(Some(message_id(
                message.notification_id,
                self.from.email.domain(),
            )));
        if let Some(reply_to) = &self.reply_to {
            builder = builder.reply_to(reply_to.clone());
        }
        let part = |kind: ContentType, body: &str| {
            SinglePart::builder()
                .header(kind)
                .header(ContentTransferEncoding::Base64)
                .body(body.to_owned())
        };
        builder
            .multipart(
                MultiPart::alternative()
                    .singlepart(part(ContentType::TEXT_PLAIN, &message.text))
                    .singlepart(part(ContentType::TEXT_HTML, &message.html)),
            )
            .map_err(|e| EmailError::Permanent(format!("cannot build the message: {e}")))
    }
}

/// `<NOTIFICATION-ID@SENDING-DOMAIN>`.
pub fn message_id(notification_id: Uuid, domain: &str) -> String {
    format!("<{notification_id}@{domain}>")
}

impl EmailSender for SmtpEmail {
    fn send<'a>(&'a self, message: &'a EmailMessage) -> Delivery<'a> {
        Box::pin(async move {
            let email = self.build(message)?;
            match self.transport.send(email).await {
                Ok(_) => Ok(()),
                Err(error) if error.is_permanent() => Err(EmailError::Permanent(error.to_string())),
                Err(error) => Err(EmailError::Transient(error.to_string())),
            }
        })
    }

    fn describe(&self) -> String {
        format!(
            "SMTP relay {}:{} (no TLS{}), from {}",
            self.endpoint.host,
            self.endpoint.port,
            if self.authenticated {
                ", with authentication"
            } else {
                ""
            },
            self.from
        )
    }
}

/// The demo sink: nothing leaves the machine. Each message is written to the server log and,
/// when the recipient has an account, copied to their inbox so a demo shows what was sent.
pub struct LogEmail {
    pub db: Connection,
    pub clock: Arc<dyn Clock>,
}

/// Inbox template for copies of demo e-mails.
pub const EMAIL_COPY_TEMPLATE: &str = "email-copy";

impl EmailSender for LogEmail {
    fn send<'a>(&'a self, message: &'a EmailMessage) -> Delivery<'a> {
        Box::pin(async move {
            tracing::info!(to = %message.to, id = %message.notification_id, subject = %message.subject, text = %message.text, "e-mail (demo sink, not sent)");
            if let Some(account) = message.account_id {
                tongban_store::notifications::enqueue(
                    &self.db,
                    NewNotification {
                        account_id: Some(account),
                        channel: "inbox",
                        template: EMAIL_COPY_TEMPLATE.to_owned(),
                        locale: Locale::DEFAULT.tag().to_owned(),
                        params: serde_json::json!({
                            "subject": message.subject,
                            "text": message.text,
                        }),
                        recipient_ciphertext: None,
                    },
                    self.clock.now(),
                )
                .await
                .map_err(|e| EmailError::Transient(e.to_string()))?;
            }
            Ok(())
        })
    }

    fn describe(&self) -> String {
        "demo sink (written to the log and the inbox, not sent)".to_owned()
    }
}

/// A plain-text body as a small HTML document in the message's language and direction.
pub fn html_body(locale: Locale, subject: &str, text: &str) -> String {
    let dir = match locale.direction() {
        tongban_domain::Direction::Rtl => "rtl",
        tongban_domain::Direction::Ltr => "ltr",
    };
    let mut html = format!(
        "<!DOCTYPE html>\n<html lang=\"{}\" dir=\"{dir}\">\n<head><meta charset=\"utf-8\"><title>{}</title></head>\n<body style=\"font-family: sans-serif; line-height: 1.6;\">\n",
        locale.tag(),
        escape(subject)
    );
    for paragraph in text.split("\n\n").filter(|p| !p.trim().is_empty()) {
        html.push_str("<p>");
        html.push_str(&escape(paragraph.trim()).replace('\n', "<br>\n"));
        html.push_str("</p>\n");
    }
    html.push_str("</body>\n</html>\n");
    html
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smtp_urls_name_a_relay_without_secrets() {
        assert_eq!(
            parse_smtp_url("smtp://relay.example.gov.cn").unwrap(),
            SmtpEndpoint {
                host: "relay.example.gov.cn".into(),
                port: 25
            }
        );
        assert_eq!(parse_smtp_url("smtp://127.0.0.1:2525/").unwrap().port, 2525);
        assert_eq!(parse_smtp_url("smtp://[::1]:587").unwrap().host, "::1");
        assert!(
            parse_smtp_url("smtps://relay:465")
                .unwrap_err()
                .contains("no TLS")
        );
        assert!(
            parse_smtp_url("smtp://user:secret@relay")
                .unwrap_err()
                .contains("TONGBAN__EMAIL__PASSWORD")
        );
        assert!(parse_smtp_url("http://relay").is_err());
        assert!(parse_smtp_url("smtp://relay:port").is_err());
        assert!(parse_smtp_url("smtp://").is_err());
    }

    #[test]
    fn the_password_is_never_printed() {
        let config = SmtpConfig {
            url: "smtp://relay".into(),
            username: "tongban".into(),
            password: "hunter2-secret".into(),
            from: "noreply@example.gov.cn".into(),
            reply_to: String::new(),
            timeout: Duration::from_secs(10),
        };
        assert!(!format!("{config:?}").contains("hunter2"));
        let sender = SmtpEmail::new(&config).unwrap();
        assert!(!sender.describe().contains("hunter2"));
    }

    #[test]
    fn html_keeps_the_direction_and_escapes() {
        let html = html_body(Locale::Ug, "a<b", "x & y\n\nz");
        assert!(html.contains("dir=\"rtl\"") && html.contains("lang=\"ug\""));
        assert!(html.contains("<title>a&lt;b</title>"));
        assert!(html.contains("<p>x &amp; y</p>\n<p>z</p>"));
    }
}

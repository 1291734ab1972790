//! Test support shared by the crates' test suites (feature `testing`).
//!
//! [`SmtpSink`] is a real SMTP server on a random local TCP port, in-process: it speaks enough
//! of RFC 5321 for any client (greeting, EHLO/HELO, MAIL FROM, RCPT TO, DATA with dot-stuffing,
//! RSET, NOOP, QUIT), keeps every message it accepts, and can be told to refuse the next
//! messages with a reply of the test's choosing (`451` to test retries, `550` for permanent
//! refusals). Tests send through the production sender to it, never through a mock.

pub mod smtp {
    use std::collections::VecDeque;
    use std::net::SocketAddr;
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    use tokio::net::TcpListener;

    /// A message the sink accepted.
    #[derive(Debug, Clone)]
    pub struct Captured {
        pub mail_from: String,
        pub rcpt_to: Vec<String>,
        /// The message as received (headers and body), dot-stuffing undone.
        pub data: String,
    }

    /// When a scripted refusal is given.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Stage {
        /// In reply to `RCPT TO` (e.g. `550 no such mailbox`).
        Rcpt,
        /// After the message's final dot: the server received it and refuses it.
        Data,
    }

    #[derive(Default)]
    struct Shared {
        messages: Vec<Captured>,
        refusals: VecDeque<(Stage, String)>,
        /// Every command line received, for tests of the dialogue itself.
        commands: Vec<String>,
    }

    /// The SMTP server; stops when dropped.
    pub struct SmtpSink {
        pub addr: SocketAddr,
        shared: Arc<Mutex<Shared>>,
        task: tokio::task::JoinHandle<()>,
    }

    impl Drop for SmtpSink {
        fn drop(&mut self) {
            self.task.abort();
        }
    }

    impl SmtpSink {
        /// Listens on 127.0.0.1 on a port the system picks.
        pub async fn start() -> SmtpSink {
            let listener = TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind the SMTP sink");
            let addr = listener.local_addr().expect("sink address");
            let shared = Arc::new(Mutex::new(Shared::default()));
            let accepting = shared.clone();
            let task = tokio::spawn(async move {
                while let Ok((stream, _)) = listener.accept().await {
                    let shared = accepting.clone();
                    tokio::spawn(async move {
                        // A client that goes away mid-dialogue is normal (timeouts, errors).
                        let _ = session(stream, shared).await;
                    });
                }
            });
            SmtpSink { addr, shared, task }
        }

        /// `smtp://127.0.0.1:PORT`, for the sender's settings.
        pub fn url(&self) -> String {
            format!("smtp://{}", self.addr)
        }

        /// Answers the next message at `stage` with `reply` (e.g. `"451 4.3.0 try later"`).
        pub fn refuse_next(&self, stage: Stage, reply: &str) {
            self.lock().refusals.push_back((stage, reply.to_owned()));
        }

        /// Every message accepted so far.
        pub fn messages(&self) -> Vec<Captured> {
            self.lock().messages.clone()
        }

        /// Every command line received so far.
        pub fn commands(&self) -> Vec<String> {
            self.lock().commands.clone()
        }

        /// Waits up to five seconds for at least `count` messages.
        pub async fn wait_for(&self, count: usize) -> Vec<Captured> {
            for _ in 0..500 {
                let messages = self.messages();
                if messages.len() >= count {
                    return messages;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            self.messages()
        }

        fn lock(&self) -> std::sync::MutexGuard<'_, Shared> {
            self.shared
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
        }
    }

    async fn session(
        stream: tokio::net::TcpStream,
        shared: Arc<Mutex<Shared>>,
    ) -> std::io::Result<()> {
        let lock = || shared.lock().unwrap_or_else(|p| p.into_inner());
        let (read, mut write) = stream.into_split();
        let mut lines = BufReader::new(read);
        write
            .write_all(b"220 sink.test ESMTP Tongban test sink\r\n")
            .await?;
        let mut from: Option<String> = None;
        let mut rcpt: Vec<String> = Vec::new();
        let mut line = String::new();
        loop {
            line.clear();
            if lines.read_line(&mut line).await? == 0 {
                return Ok(());
            }
            let command = line.trim_end_matches(['\r', '\n']).to_owned();
            lock().commands.push(command.clone());
            let verb = command
                .split_whitespace()
                .next()
                .unwrap_or("")
                .to_ascii_uppercase();
            let reply: String = match verb.as_str() {
                "EHLO" => "250-sink.test greets you\r\n250-8BITMIME\r\n250 SIZE 10485760".into(),
                "HELO" => "250 sink.test".into(),
                "MAIL" => {
                    from = Some(path_of(&command));
                    rcpt.clear();
                    "250 2.1.0 OK".into()
                }
                "RCPT" if from.is_none() => "503 5.5.1 MAIL first".into(),
                "RCPT" => match take_refusal(&shared, Stage::Rcpt) {
                    Some(refusal) => refusal,
                    None => {
                        rcpt.push(path_of(&command));
                        "250 2.1.5 OK".into()
                    }
                },
                "DATA" if rcpt.is_empty() => "503 5.5.1 RCPT first".into(),
                "DATA" => {
                    write.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await?;
                    let mut data = String::new();
                    loop {
                        line.clear();
                        if lines.read_line(&mut line).await? == 0 {
                            // The client went away before the final dot: nothing was received.
                            return Ok(());
                        }
                        let content = line.trim_end_matches(['\r', '\n']);
                        if content == "." {
                            break;
                        }
                        data.push_str(content.strip_prefix('.').unwrap_or(content));
                        data.push_str("\r\n");
                    }
                    let refusal = take_refusal(&shared, Stage::Data);
                    let reply = match refusal {
                        Some(refusal) => refusal,
                        None => {
                            lock().messages.push(Captured {
                                mail_from: from.take().unwrap_or_default(),
                                rcpt_to: std::mem::take(&mut rcpt),
                                data,
                            });
                            "250 2.0.0 queued".into()
                        }
                    };
                    from = None;
                    rcpt.clear();
                    reply
                }
                "RSET" => {
                    from = None;
                    rcpt.clear();
                    "250 2.0.0 OK".into()
                }
                "NOOP" => "250 2.0.0 OK".into(),
                "QUIT" => {
                    write.write_all(b"221 2.0.0 bye\r\n").await?;
                    return Ok(());
                }
                _ => "502 5.5.2 command not implemented".into(),
            };
            write.write_all(reply.as_bytes()).await?;
            write.write_all(b"\r\n").await?;
        }
    }

    fn take_refusal(shared: &Mutex<Shared>, stage: Stage) -> Option<String> {
        let mut shared = shared.lock().unwrap_or_else(|p| p.into_inner());
        match shared.refusals.front() {
            Some((at, _)) if *at == stage => shared.refusals.pop_front().map(|(_, reply)| reply),
            _ => None,
        }
    }

    /// `MAIL FROM:<a@b> SIZE=…` → `a@b`.
    fn path_of(command: &str) -> String {
        command
            .split_once(':')
            .map(|(_, rest)| rest.trim())
            .and_then(|rest| rest.split_whitespace().next())
            .unwrap_or("")
            .trim_matches(['<', '>'])
            .to_owned()
    }

    impl Captured {
        /// A header's value (unfolded, RFC 2047 encoded words decoded).
        pub fn header(&self, name: &str) -> Option<String> {
            let head = self.data.split("\r\n\r\n").next().unwrap_or("");
            let mut value: Option<String> = None;
            for line in head.split("\r\n") {
                if line.starts_with([' ', '\t']) {
                    if let Some(v) = value.as_mut() {
                        v.push_str(line);
                    }
                    continue;
                }
                if value.is_some() {
                    break;
                }
                if let Some((key, rest)) = line.split_once(':')
                    && key.eq_ignore_ascii_case(name)
                {
                    value = Some(rest.trim().to_owned());
                }
            }
            value.map(|v| decode_words(&v))
        }

        /// The decoded body of the first part of this content type (`text/plain`,
        /// `text/html`).
        pub fn part(&self, content_type: &str) -> Option<String> {
            for section in self.data.split("\r\n--") {
                let Some((head, body)) = section.split_once("\r\n\r\n") else {
                    continue;
                };
                let head_lower = head.to_ascii_lowercase();
                if !head_lower.contains(&format!("content-type: {content_type}")) {
                    continue;
                }
                let body = body.trim_end();
                return Some(
                    if head_lower.contains("content-transfer-encoding: base64") {
                        let joined: String = body.split_whitespace().collect();
                        String::from_utf8(STANDARD.decode(joined).ok()?).ok()?
                    } else {
                        body.to_owned()
                    },
                );
            }
            None
        }
    }

    /// Decodes `=?utf-8?b?…?=` words (the form lettre writes) and joins adjacent ones.
    fn decode_words(value: &str) -> String {
        let mut out = String::new();
        let mut last_was_word = false;
        for token in value.split_whitespace() {
            let lower = token.to_ascii_lowercase();
            let decoded = (lower.starts_with("=?utf-8?b?") && token.ends_with("?="))
                .then(|| STANDARD.decode(&token[10..token.len() - 2]).ok())
                .flatten()
                .and_then(|bytes| String::from_utf8(bytes).ok());
            // Whitespace between two encoded words is folding, not content (RFC 2047 §6.2).
            let folded = last_was_word && decoded.is_some();
            if !out.is_empty() && !folded {
                out.push(' ');
            }
            last_was_word = decoded.is_some();
            out.push_str(decoded.as_deref().unwrap_or(token));
        }
        out
    }
}

//! Receiving an upload: the bytes stream through an [`Inspector`] into the blob store, which
//! refuses them the moment they break a rule, so a refused upload is never stored and is not
//! read further than needed.
//!
//! - Size: counted per chunk; the chunk that would pass the limit is not written, the stream is
//!   not polled again and the store removes its temporary file.
//! - Type: decided from the first bytes by [`FileKind::sniff`] as soon as eight have arrived
//!   (the longest signature, PNG's); the client's content type and the file name's extension
//!   play no part.
//! - OFD: a ZIP claiming to be OFD must contain an `OFD.xml` entry. The first local header is
//!   checked as it streams past (producers normally write `OFD.xml` first); otherwise the
//!   central directory is read from the last [`ZIP_TAIL`] bytes once the stream ends. ZIP64
//!   archives and central directories larger than that tail are refused: no OFD a form accepts
//!   comes near either.
//! - Empty content is refused.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_util::Stream;
use tongban_domain::forms::FileKind;

/// How many bytes decide the type.
const SNIFF_LEN: usize = 8;
/// How much of the start is kept to read the first ZIP entry's name.
const HEAD_KEEP: usize = 512;
/// How much of the end is kept to find the ZIP central directory.
pub const ZIP_TAIL: usize = 256 * 1024;
/// The name that makes a ZIP an OFD package (GB/T 33190).
const OFD_ENTRY: &[u8] = b"OFD.xml";

/// Why the inspector stopped an upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    TooLarge,
    /// Not a kind we recognise, a kind not allowed, or a ZIP that is not an OFD.
    WrongType {
        detected: Option<FileKind>,
    },
    Empty,
    /// The client's stream failed (connection dropped, body error); the text is for logs.
    Interrupted(String),
}

/// Follows the bytes of one upload and decides whether they may be kept.
#[derive(Debug)]
pub struct Inspector {
    max_bytes: u64,
    allowed: Vec<FileKind>,
    size: u64,
    head: Vec<u8>,
    kind: Option<FileKind>,
    /// Set once the stream proved itself an OFD (its first entry is `OFD.xml`).
    ofd_confirmed: bool,
    tail: Vec<u8>,
    refusal: Option<Refusal>,
}

impl Inspector {
    pub fn new(max_bytes: u64, allowed: &[FileKind]) -> Inspector {
        Inspector {
            max_bytes,
            allowed: allowed.to_vec(),
            size: 0,
            head: Vec::new(),
            kind: None,
            ofd_confirmed: false,
            tail: Vec::new(),
            refusal: None,
        }
    }

    /// The bytes seen so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The kind detected, once decided.
    pub fn kind(&self) -> Option<FileKind> {
        self.kind
    }

    pub fn refusal(&self) -> Option<&Refusal> {
        self.refusal.as_ref()
    }

    fn refuse(&mut self, refusal: Refusal) -> io::Error {
        let error = io::Error::other(format!("upload refused: {refusal:?}"));
        self.refusal = Some(refusal);
        error
    }

    /// Takes the next chunk; an error means stop, and [`Inspector::refusal`] says why.
    pub fn feed(&mut self, chunk: &[u8]) -> io::Result<()> {
        if self.refusal.is_some() {
            return Err(io::Error::other("upload already refused"));
        }
        let size = self.size + chunk.len() as u64;
        if size > self.max_bytes {
            return Err(self.refuse(Refusal::TooLarge));
        }
        self.size = size;
        if self.head.len() < HEAD_KEEP {
            let take = (HEAD_KEEP - self.head.len()).min(chunk.len());
            self.head.extend_from_slice(&chunk[..take]);
        }
        if self.kind.is_none() && self.head.len() >= SNIFF_LEN {
            self.decide_kind()?;
        }
        // Until the kind is known every byte may belong to a ZIP's end.
        if matches!(self.kind, None | Some(FileKind::Ofd)) && !self.ofd_confirmed {
            self.ofd_confirmed = self.kind.is_some() && first_entry_is_ofd(&self.head);
            if !self.ofd_confirmed {
                self.keep_tail(chunk);
            }
        }
        Ok(())
    }

    fn decide_kind(&mut self) -> io::Result<()> {
        match FileKind::sniff(&self.head) {
            Some(kind) if self.allowed.contains(&kind) => {
                self.kind = Some(kind);
                Ok(())
            }
            detected => Err(self.refuse(Refusal::WrongType { detected })),
        }
    }

    fn keep_tail(&mut self, chunk: &[u8]) {
        if chunk.len() >= ZIP_TAIL {
            self.tail.clear();
            self.tail
                .extend_from_slice(&chunk[chunk.len() - ZIP_TAIL..]);
            return;
        }
        let overflow = (self.tail.len() + chunk.len()).saturating_sub(ZIP_TAIL);
        if overflow > 0 {
            self.tail.drain(..overflow);
        }
        self.tail.extend_from_slice(chunk);
    }

    /// The stream ended: the checks that need all of it. An error means discard.
    pub fn finish(&mut self) -> io::Result<FileKind> {
        if let Some(refusal) = &self.refusal {
            return Err(io::Error::other(format!("upload refused: {refusal:?}")));
        }
        if self.size == 0 {
            return Err(self.refuse(Refusal::Empty));
        }
        if self.kind.is_none() {
            // Fewer than eight bytes in all: a JPEG signature is only three.
            self.decide_kind()?;
        }
        let Some(kind) = self.kind else {
            return Err(self.refuse(Refusal::WrongType { detected: None }));
        };
        if kind == FileKind::Ofd
            && !self.ofd_confirmed
            && !central_directory_has(&self.tail, self.size, OFD_ENTRY)
        {
            return Err(self.refuse(Refusal::WrongType {
                detected: Some(FileKind::Ofd),
            }));
        }
        Ok(kind)
    }

    /// Records that the client's stream failed.
    pub fn interrupted(&mut self, why: String) -> io::Error {
        self.refuse(Refusal::Interrupted(why))
    }
}

fn u16_at(bytes: &[u8], at: usize) -> Option<usize> {
    let b = bytes.get(at..at + 2)?;
    Some(u16::from_le_bytes([b[0], b[1]]) as usize)
}

fn u32_at(bytes: &[u8], at: usize) -> Option<u64> {
    let b = bytes.get(at..at + 4)?;
    Some(u64::from(u32::from_le_bytes([b[0], b[1], b[2], b[3]])))
}

/// Whether the ZIP's first local file header names `OFD.xml`.
fn first_entry_is_ofd(head: &[u8]) -> bool {
    if !head.starts_with(b"PK\x03\x04") {
        return false;
    }
    let Some(name_len) = u16_at(head, 26) else {
        return false;
    };
    head.get(30..30 + name_len) == Some(OFD_ENTRY)
}

/// Whether the central directory of a ZIP of `total` bytes, whose last bytes are `tail`, lists
/// an entry named `wanted`. Anything malformed, ZIP64 or not inside `tail` answers `false`.
pub fn central_directory_has(tail: &[u8], total: u64, wanted: &[u8]) -> bool {
    const EOCD_SIG: &[u8] = b"PK\x05\x06";
    const EOCD_LEN: usize = 22;
    const CDH_SIG: &[u8] = b"PK\x01\x02";
    const CDH_LEN: usize = 46;
    if tail.len() < EOCD_LEN {
        return false;
    }
    // The end record sits in the last 22 + 65 535 bytes (its comment is at most that long);
    // the last signature whose comment length reaches exactly to the end is the real one.
    let earliest = tail.len().saturating_sub(EOCD_LEN + u16::MAX as usize);
    let Some(eocd) = (earliest..=tail.len() - EOCD_LEN).rev().find(|&at| {
        tail[at..].starts_with(EOCD_SIG)
            && u16_at(tail, at + 20).is_some_and(|c| at + EOCD_LEN + c == tail.len())
    }) else {
        return false;
    };
    let (Some(entries), Some(cd_size), Some(cd_offset)) = (
        u16_at(tail, eocd + 10),
        u32_at(tail, eocd + 12),
        u32_at(tail, eocd + 16),
    ) else {
        return false;
    };
    if entries == 0xFFFF || cd_size == 0xFFFF_FFFF || cd_offset == 0xFFFF_FFFF {
        return false; // ZIP64
    }
    // Where the end record is in the whole file must agree with the directory's place.
    let tail_start = total.saturating_sub(tail.len() as u64);
    if tail_start + eocd as u64 != cd_offset + cd_size || cd_offset < tail_start {
        return false;
    }
    let Ok(mut at) = usize::try_from(cd_offset - tail_start) else {
        return false;
    };
    for _ in 0..entries {
        if at + CDH_LEN > eocd || !tail[at..].starts_with(CDH_SIG) {
            return false;
        }
        let (Some(name_len), Some(extra_len), Some(comment_len)) = (
            u16_at(tail, at + 28),
            u16_at(tail, at + 30),
            u16_at(tail, at + 32),
        ) else {
            return false;
        };
        let name_start = at + CDH_LEN;
        let Some(name) = tail.get(name_start..name_start + name_len) else {
            return false;
        };
        if name == wanted {
            return true;
        }
        at = name_start + name_len + extra_len + comment_len;
    }
    false
}

/// The client's chunks seen through an [`Inspector`]: a refused chunk is replaced by an error
/// (and nothing more is read), and the end of the stream runs the final checks.
pub struct Inspected<'a, S> {
    inner: Pin<&'a mut S>,
    inspector: &'a mut Inspector,
    done: bool,
}

impl<'a, S> Inspected<'a, S> {
    pub fn new(inner: Pin<&'a mut S>, inspector: &'a mut Inspector) -> Self {
        Inspected {
            inner,
            inspector,
            done: false,
        }
    }
}

impl<S, E> Stream for Inspected<'_, S>
where
    S: Stream<Item = Result<Bytes, E>>,
    E: std::fmt::Display,
{
    type Item = io::Result<Bytes>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.done {
            return Poll::Ready(None);
        }
        let item = match this.inner.as_mut().poll_next(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(item) => item,
        };
        let out = match item {
            Some(Ok(chunk)) => match this.inspector.feed(&chunk) {
                Ok(()) => return Poll::Ready(Some(Ok(chunk))),
                Err(e) => Err(e),
            },
            Some(Err(e)) => Err(this.inspector.interrupted(e.to_string())),
            None => match this.inspector.finish() {
                Ok(_) => {
                    this.done = true;
                    return Poll::Ready(None);
                }
                Err(e) => Err(e),
            },
        };
        this.done = true;
        Poll::Ready(Some(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal stored (uncompressed) ZIP with the given entry names, in order.
    fn zip(names: &[&str]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut central = Vec::new();
        for name in names {
            let offset = out.len() as u32;
            let data = b"<x/>";
            out.extend_from_slice(b"PK\x03\x04");
            out.extend_from_slice(&[20, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
            out.extend_from_slice(&0u32.to_le_bytes()); // crc (unchecked here)
            out.extend_from_slice(&(data.len() as u32).to_le_bytes());
            out.extend_from_slice(&(data.len() as u32).to_le_bytes());
            out.extend_from_slice(&(name.len() as u16).to_le_bytes());
            out.extend_from_slice(&0u16.to_le_bytes());
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(data);
            central.extend_from_slice(b"PK\x01\x02");
            central.extend_from_slice(&[20, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
            central.extend_from_slice(&0u32.to_le_bytes());
            central.extend_from_slice(&(data.len() as u32).to_le_bytes());
            central.extend_from_slice(&(data.len() as u32).to_le_bytes());
            central.extend_from_slice(&(name.len() as u16).to_le_bytes());
            central.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
            central.extend_from_slice(&offset.to_le_bytes());
            central.extend_from_slice(name.as_bytes());
        }
        let cd_offset = out.len() as u32;
        out.extend_from_slice(&central);
        out.extend_from_slice(b"PK\x05\x06");
        out.extend_from_slice(&[0, 0, 0, 0]);
        out.extend_from_slice(&(names.len() as u16).to_le_bytes());
        out.extend_from_slice(&(names.len() as u16).to_le_bytes());
        out.extend_from_slice(&(central.len() as u32).to_le_bytes());
        out.extend_from_slice(&cd_offset.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out
    }

    fn inspect(bytes: &[u8], chunk: usize, allowed: &[FileKind]) -> Result<FileKind, Refusal> {
        let mut inspector = Inspector::new(10 * 1024 * 1024, allowed);
        for piece in bytes.chunks(chunk.max(1)) {
            if inspector.feed(piece).is_err() {
                return Err(inspector.refusal().cloned().expect("a refusal"));
            }
        }
        inspector
            .finish()
            .map_err(|_| inspector.refusal().cloned().expect("a refusal"))
    }

    #[test]
    fn ofd_is_a_zip_with_ofd_xml_anywhere() {
        let all = FileKind::ALL;
        let first = zip(&["OFD.xml", "Doc_0/Document.xml"]);
        let later = zip(&[
            "Doc_0/Document.xml",
            "Doc_0/Pages/Page_0/Content.xml",
            "OFD.xml",
        ]);
        let plain = zip(&["word/document.xml", "[Content_Types].xml"]);
        let nested = zip(&["Doc_0/OFD.xml"]);
        for chunk in [1, 7, 64, 100_000] {
            assert_eq!(inspect(&first, chunk, &all), Ok(FileKind::Ofd));
            assert_eq!(inspect(&later, chunk, &all), Ok(FileKind::Ofd));
            assert_eq!(
                inspect(&plain, chunk, &all),
                Err(Refusal::WrongType {
                    detected: Some(FileKind::Ofd)
                })
            );
            assert!(inspect(&nested, chunk, &all).is_err());
        }
        // A trailing comment on the archive is allowed; truncation is not.
        let mut commented = later.clone();
        let n = commented.len();
        commented[n - 2..].copy_from_slice(&5u16.to_le_bytes());
        commented.extend_from_slice(b"hello");
        assert_eq!(inspect(&commented, 3, &all), Ok(FileKind::Ofd));
        assert!(inspect(&later[..later.len() - 1], 3, &all).is_err());
    }

    #[test]
    fn short_and_empty_content() {
        assert_eq!(
            inspect(&[0xFF, 0xD8, 0xFF], 1, &[FileKind::Jpeg]),
            Ok(FileKind::Jpeg)
        );
        assert_eq!(inspect(b"", 1, &FileKind::ALL), Err(Refusal::Empty));
        assert_eq!(
            inspect(b"%PDF", 1, &FileKind::ALL),
            Err(Refusal::WrongType { detected: None })
        );
    }

    #[test]
    fn a_kind_not_allowed_is_refused_at_its_first_bytes() {
        let mut inspector = Inspector::new(1 << 20, &[FileKind::Png]);
        assert!(inspector.feed(b"%PDF-1.7\n").is_err());
        assert_eq!(
            inspector.refusal(),
            Some(&Refusal::WrongType {
                detected: Some(FileKind::Pdf)
            })
        );
    }

    #[test]
    fn the_limit_is_exact() {
        let mut inspector = Inspector::new(10, &[FileKind::Pdf]);
        assert!(inspector.feed(b"%PDF-1.7\n").is_ok());
        assert!(inspector.feed(b"x").is_ok());
        assert!(inspector.feed(b"x").is_err());
        assert_eq!(inspector.refusal(), Some(&Refusal::TooLarge));
        assert_eq!(inspector.size(), 10);
    }
}

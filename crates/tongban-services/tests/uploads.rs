//! Uploads end to end on SQLite and (when configured) PostgreSQL, with a real blob directory:
//! content addressing and deduplication, limits enforced while streaming (a 100 MB stream is
//! cut off after the first megabyte and leaves no temporary file), types decided by content,
//! path tricks in names, region- and caller-scoped reading, and garbage collection.

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::Bytes;
use chrono::{DateTime, Duration, TimeZone, Utc};
use futures_util::stream;
use tokio::io::AsyncReadExt;
use tongban_domain::clock::FixedClock;
use tongban_domain::forms::FileKind;
use tongban_services::identity::{AccountKind, CurrentUser, PasswordDue, SecondFactor};
use tongban_services::uploads::{
    self, BlobAddress, BlobStore, Collected, FsBlobStore, UploadError, UploadLimits, receive,
};
use tongban_store::sea_orm::{ActiveValue::Set, EntityTrait};
use tongban_store::testing::TestDb;
use tongban_store::uploads::{self as rows, UploadRow};
use uuid::Uuid;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 4, 8, 0, 0).unwrap()
}

fn blob_store(dir: &std::path::Path, at: DateTime<Utc>) -> FsBlobStore {
    FsBlobStore::in_data_dir(dir, Arc::new(FixedClock(at))).unwrap()
}

fn person() -> CurrentUser {
    CurrentUser {
        account_id: Uuid::now_v7(),
        kind: AccountKind::Person,
        display_name: "张三".into(),
        roles: vec![],
        session_hash: String::new(),
        second_factor: SecondFactor::Passed,
        acting_for: None,
        password_due: PasswordDue::No,
    }
}

fn limits(max_size_kb: u32, accept: &[FileKind]) -> UploadLimits {
    UploadLimits {
        max_size_kb,
        accept: accept.to_vec(),
    }
}

/// `content` as a stream of chunks of `size` bytes.
fn chunks(
    content: &[u8],
    size: usize,
) -> impl futures_util::Stream<Item = Result<Bytes, io::Error>> + Send + use<> {
    let pieces: Vec<Result<Bytes, io::Error>> = content
        .chunks(size)
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect();
    stream::iter(pieces)
}

fn pdf(body: &str) -> Vec<u8> {
    format!("%PDF-1.7\n{body}\n%%EOF\n").into_bytes()
}

fn tmp_files(store: &FsBlobStore) -> usize {
    std::fs::read_dir(store.tmp_dir()).unwrap().count()
}

async fn region(db: &TestDb, code: &str) -> Uuid {
    use tongban_store::entities::region;
    let id = Uuid::now_v7();
    region::Entity::insert(region::ActiveModel {
        id: Set(id),
        code: Set(code.into()),
        parent_id: Set(None),
        content: Set(serde_json::json!({})),
        created_at: Set(t0()),
        updated_at: Set(t0()),
    })
    .exec_without_returning(&db.conn)
    .await
    .unwrap();
    id
}

#[tokio::test]
async fn blobs_round_trip_and_identical_content_is_stored_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = blob_store(dir.path(), t0());
    let content = pdf("营业执照 scan");
    let first = store.put(Box::pin(chunks(&content, 3))).await.unwrap();
    assert_eq!(first.address, BlobAddress::of(&content));
    assert_eq!(first.size, content.len() as u64);
    assert!(!first.deduplicated);
    let hex = first.address.as_str();
    assert_eq!(
        store.path_of(&first.address),
        dir.path()
            .join("blobs/sha256")
            .join(&hex[0..2])
            .join(&hex[2..4])
            .join(hex)
    );
    assert!(store.exists(&first.address).await.unwrap());
    assert_eq!(
        store.read(&first.address).await.unwrap().unwrap(),
        &content[..]
    );

    let second = store.put(Box::pin(chunks(&content, 1000))).await.unwrap();
    assert_eq!(second.address, first.address);
    assert!(second.deduplicated);
    assert_eq!(store.list().await.unwrap().len(), 1);
    assert_eq!(tmp_files(&store), 0);

    let other = BlobAddress::of(b"never stored");
    assert!(!store.exists(&other).await.unwrap());
    assert!(store.read(&other).await.unwrap().is_none());
    assert!(store.delete(&first.address).await.unwrap());
    assert!(!store.delete(&first.address).await.unwrap());
    assert!(store.list().await.unwrap().is_empty());

    // Addresses are 64 hex digits and nothing else: a path cannot become one.
    assert!(BlobAddress::parse("../../etc/passwd").is_none());
    assert!(BlobAddress::parse(&"g".repeat(64)).is_none());
    assert_eq!(
        BlobAddress::parse(&hex.to_ascii_uppercase()).unwrap(),
        first.address
    );
}

#[tokio::test]
async fn an_oversized_upload_is_cut_off_mid_stream_and_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = blob_store(dir.path(), t0());
    const CHUNK: usize = 64 * 1024;
    const CHUNKS: usize = 1600; // 100 MiB in all, if anyone read it
    let mut first = pdf("").into_iter().collect::<Vec<u8>>();
    first.resize(CHUNK, b' ');
    let first = Bytes::from(first);
    let rest = Bytes::from(vec![b' '; CHUNK]);
    let pulled = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&pulled);
    let huge = stream::iter((0..CHUNKS).map(move |i| {
        counter.fetch_add(1, Ordering::SeqCst);
        Ok::<_, io::Error>(if i == 0 { first.clone() } else { rest.clone() })
    }));

    let error = receive(&store, huge, &limits(1024, &[FileKind::Pdf]))
        .await
        .unwrap_err();
    assert!(
        matches!(error, UploadError::TooLarge { limit_kb: 1024 }),
        "{error:?}"
    );
    // 1 MiB is 16 chunks; the 17th passes the limit and nothing after it is read.
    assert_eq!(pulled.load(Ordering::SeqCst), 17);
    assert_eq!(tmp_files(&store), 0);
    assert!(store.list().await.unwrap().is_empty());

    // Exactly at the limit is fine.
    let exact = {
        let mut v = pdf("");
        v.resize(1024 * 1024, b' ');
        v
    };
    let stored = receive(
        &store,
        chunks(&exact, CHUNK),
        &limits(1024, &[FileKind::Pdf]),
    )
    .await
    .unwrap();
    assert_eq!(stored.size, 1024 * 1024);
}

/// A stored ZIP with the given entry names.
fn zip(names: &[&str]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for name in names {
        let offset = out.len() as u32;
        let data = b"<ofd:OFD/>";
        let mut header = Vec::new();
        header.extend_from_slice(&[20, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        header.extend_from_slice(&0u32.to_le_bytes());
        header.extend_from_slice(&(data.len() as u32).to_le_bytes());
        header.extend_from_slice(&(data.len() as u32).to_le_bytes());
        header.extend_from_slice(&(name.len() as u16).to_le_bytes());
        out.extend_from_slice(b"PK\x03\x04");
        out.extend_from_slice(&header);
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(data);
        central.extend_from_slice(b"PK\x01\x02");
        central.extend_from_slice(&[20, 0]);
        central.extend_from_slice(&header);
        central.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name.as_bytes());
    }
    let cd_offset = out.len() as u32;
    out.extend_from_slice(&central);
    out.extend_from_slice(b"PK\x05\x06\0\0\0\0");
    out.extend_from_slice(&(names.len() as u16).to_le_bytes());
    out.extend_from_slice(&(names.len() as u16).to_le_bytes());
    out.extend_from_slice(&(central.len() as u32).to_le_bytes());
    out.extend_from_slice(&cd_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

#[tokio::test]
async fn the_type_is_decided_by_content_not_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let store = blob_store(dir.path(), t0());
    let pdf_only = limits(1024, &[FileKind::Pdf]);
    let documents = limits(1024, &[FileKind::Pdf, FileKind::Ofd]);

    let mut exe = b"MZ\x90\x00\x03\x00\x00\x00".to_vec();
    exe.extend_from_slice(&[0u8; 200]);
    let html = b"<!DOCTYPE html><html><script>alert(1)</script></html>".to_vec();
    let jpeg = [&[0xFF, 0xD8, 0xFF, 0xE0][..], &[0u8; 100]].concat();
    let not_ofd = zip(&["word/document.xml", "[Content_Types].xml"]);
    for (what, content, allowed) in [
        ("an .exe", &exe, &pdf_only),
        ("HTML", &html, &pdf_only),
        ("a JPEG where only PDF is allowed", &jpeg, &pdf_only),
        ("a ZIP that is not an OFD", &not_ofd, &documents),
    ] {
        let error = receive(&store, chunks(content, 5), allowed)
            .await
            .unwrap_err();
        assert!(
            matches!(&error, UploadError::WrongType { allowed: a, .. } if a == &allowed.accept),
            "{what}: {error:?}"
        );
        let (key, args) = error.message();
        assert_eq!(key, "upload-wrong-type");
        assert!(args.get("allowed").is_some());
    }
    assert_eq!(tmp_files(&store), 0);
    assert!(store.list().await.unwrap().is_empty());

    let error = receive(&store, chunks(b"", 1), &pdf_only)
        .await
        .unwrap_err();
    assert!(matches!(error, UploadError::Empty), "{error:?}");

    // An OFD is a ZIP with OFD.xml, wherever its entry stands.
    for names in [
        &["OFD.xml", "Doc_0/Document.xml"][..],
        &["Doc_0/Document.xml", "OFD.xml"][..],
    ] {
        let ofd = zip(names);
        let stored = receive(&store, chunks(&ofd, 4), &documents).await.unwrap();
        assert_eq!(stored.kind, FileKind::Ofd);
    }
    assert_eq!(store.list().await.unwrap().len(), 2);
}

#[tokio::test]
async fn a_client_that_stops_sending_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = blob_store(dir.path(), t0());
    let broken = stream::iter(vec![
        Ok(Bytes::from(pdf("part"))),
        Err(io::Error::new(io::ErrorKind::ConnectionReset, "reset")),
        Ok(Bytes::from_static(b"never read")),
    ]);
    let error = receive(&store, broken, &limits(1024, &[FileKind::Pdf]))
        .await
        .unwrap_err();
    assert!(matches!(error, UploadError::Interrupted(_)), "{error:?}");
    assert_eq!(tmp_files(&store), 0);
    assert!(store.list().await.unwrap().is_empty());
}

#[tokio::test]
async fn upload_records_are_region_scoped_on_every_backend() {
    for db in TestDb::all("upload_records_are_region_scoped").await {
        let region_a = region(&db, "990100").await;
        let region_b = region(&db, "990200").await;
        let owner = Uuid::now_v7();
        let draft = Uuid::now_v7();
        let row = |region_id, draft_id, sha: &str, minute| UploadRow {
            id: Uuid::now_v7(),
            region_id,
            owner_id: owner,
            sha256: sha.to_owned(),
            size: 5_000_000_000, // beyond 32 bits: the column is a bigint
            kind: FileKind::Ofd,
            filename: "营业执照𠀀.ofd".into(),
            created_at: t0() + Duration::minutes(minute),
            draft_id,
            case_id: None,
            internal: false,
        };
        let sha_x = "a".repeat(64);
        let sha_y = "b".repeat(64);
        let first = row(region_a, Some(draft), &sha_x, 1);
        let second = row(region_a, Some(draft), &sha_y, 2);
        let elsewhere = row(region_b, Some(draft), &sha_x, 0);
        for r in [&second, &first, &elsewhere] {
            rows::insert(&db.conn, r).await.unwrap();
        }

        assert_eq!(
            rows::by_id(&db.conn, region_a, first.id).await.unwrap(),
            Some(first.clone())
        );
        assert_eq!(
            rows::by_id(&db.conn, region_b, first.id).await.unwrap(),
            None
        );
        assert_eq!(
            rows::of_draft(&db.conn, region_a, draft).await.unwrap(),
            vec![first.clone(), second.clone()]
        );

        let case = Uuid::now_v7();
        assert_eq!(
            rows::attach_to_case(&db.conn, region_a, draft, case)
                .await
                .unwrap(),
            2
        );
        // Attaching again changes nothing; the other region's row was never touched.
        assert_eq!(
            rows::attach_to_case(&db.conn, region_a, draft, Uuid::now_v7())
                .await
                .unwrap(),
            0
        );
        let attached = rows::of_case(&db.conn, region_a, case).await.unwrap();
        assert_eq!(attached.len(), 2);
        assert!(attached.iter().all(|r| r.case_id == Some(case)));
        assert_eq!(
            rows::by_id(&db.conn, region_b, elsewhere.id)
                .await
                .unwrap()
                .unwrap()
                .case_id,
            None
        );
        // Submitted evidence is not discarded as a draft's would be.
        assert!(
            !rows::delete_unattached(&db.conn, region_a, first.id)
                .await
                .unwrap()
        );

        let referenced =
            rows::referenced(&db.conn, &[sha_x.clone(), sha_y.clone(), "c".repeat(64)])
                .await
                .unwrap();
        assert_eq!(referenced.len(), 2);
        assert!(!rows::delete(&db.conn, region_b, first.id).await.unwrap());
        assert!(rows::delete(&db.conn, region_a, first.id).await.unwrap());
        assert!(rows::delete(&db.conn, region_a, second.id).await.unwrap());
        // The other region still refers to X.
        let referenced = rows::referenced(&db.conn, &[sha_x.clone(), sha_y.clone()])
            .await
            .unwrap();
        assert_eq!(referenced.into_iter().collect::<Vec<_>>(), vec![sha_x]);
        db.finish().await;
    }
}

#[tokio::test]
async fn uploads_are_stored_with_safe_names_and_read_only_where_allowed() {
    for db in TestDb::all("uploads_are_stored_and_read_only_where_allowed").await {
        let dir = tempfile::tempdir().unwrap();
        let store = blob_store(dir.path(), t0());
        let clock = FixedClock(t0());
        let region_a = region(&db, "990100").await;
        let region_b = region(&db, "990200").await;
        let applicant = person();
        let stranger = person();
        let draft = Uuid::now_v7();
        let content = pdf("身份证");
        let accept = limits(1024, &[FileKind::Pdf, FileKind::Png]);

        let mut stored = Vec::new();
        for (raw, expected) in [
            ("../../etc/passwd", "passwd.pdf"),
            ("C:\\x\\..\\a.pdf", "a.pdf"),
            ("..", "file.pdf"),
            ("a\0b.pdf", "ab.pdf"),
            ("invoice\u{202E}fdp.exe", "invoicefdp.pdf"),
            ("营业执照（副本）.PDF", "营业执照（副本）.pdf"),
        ] {
            let record = uploads::store_upload(
                &db.conn,
                &store,
                &clock,
                &applicant,
                region_a,
                Some(draft),
                &accept,
                raw,
                chunks(&content, 7),
            )
            .await
            .unwrap();
            assert_eq!(record.filename, expected, "{raw:?}");
            assert_eq!(record.kind, FileKind::Pdf);
            assert_eq!(record.owner_id, applicant.account_id);
            assert_eq!(record.created_at, t0());
            stored.push(record);
        }
        // Six uploads of one file: one blob.
        assert_eq!(store.list().await.unwrap().len(), 1);
        let record = &stored[0];
        assert_eq!(record.file_ref().name, "passwd.pdf");
        assert_eq!(record.media_type(), "application/pdf");

        let (read, mut reader) = uploads::open_upload(&db.conn, &store, region_a, record.id, |r| {
            r.owner_id == applicant.account_id
        })
        .await
        .unwrap();
        assert_eq!(&read, record);
        let mut bytes = Vec::new();
        reader.read_to_end(&mut bytes).await.unwrap();
        assert_eq!(bytes, content);

        // Another account, another region, an unknown id: one and the same answer.
        let not_found = |r: Result<_, UploadError>| matches!(r, Err(UploadError::NotFound));
        assert!(not_found(
            uploads::open_upload(&db.conn, &store, region_a, record.id, |r| {
                r.owner_id == stranger.account_id
            })
            .await
            .map(|_| ())
        ));
        assert!(not_found(
            uploads::open_upload(&db.conn, &store, region_b, record.id, |_| true)
                .await
                .map(|_| ())
        ));
        assert!(not_found(
            uploads::open_upload(&db.conn, &store, region_a, Uuid::now_v7(), |_| true)
                .await
                .map(|_| ())
        ));

        // Only the owner discards, and only before submission.
        assert!(not_found(
            uploads::discard_upload(&db.conn, &stranger, region_a, record.id).await
        ));
        uploads::discard_upload(&db.conn, &applicant, region_a, record.id)
            .await
            .unwrap();
        assert!(not_found(
            uploads::open_upload(&db.conn, &store, region_a, record.id, |_| true)
                .await
                .map(|_| ())
        ));
        rows::attach_to_case(&db.conn, region_a, draft, Uuid::now_v7())
            .await
            .unwrap();
        assert!(not_found(
            uploads::discard_upload(&db.conn, &applicant, region_a, stored[1].id).await
        ));

        // A refused upload records nothing.
        let error = uploads::store_upload(
            &db.conn,
            &store,
            &clock,
            &applicant,
            region_a,
            Some(draft),
            &accept,
            "photo.pdf",
            chunks(b"GIF89a not allowed", 4),
        )
        .await
        .unwrap_err();
        assert!(matches!(error, UploadError::WrongType { .. }));
        assert_eq!(
            rows::of_draft(&db.conn, region_a, draft)
                .await
                .unwrap()
                .len(),
            5
        );
        db.finish().await;
    }
}

#[tokio::test]
async fn garbage_is_blobs_nobody_refers_to_after_a_day() {
    for db in TestDb::all("garbage_is_blobs_nobody_refers_to").await {
        let dir = tempfile::tempdir().unwrap();
        let store = blob_store(dir.path(), t0());
        let clock = FixedClock(t0());
        let region_a = region(&db, "990100").await;
        let applicant = person();
        let accept = limits(1024, &[FileKind::Pdf]);

        let kept = uploads::store_upload(
            &db.conn,
            &store,
            &clock,
            &applicant,
            region_a,
            None,
            &accept,
            "kept.pdf",
            chunks(&pdf("kept"), 64),
        )
        .await
        .unwrap();
        let discarded = uploads::store_upload(
            &db.conn,
            &store,
            &clock,
            &applicant,
            region_a,
            None,
            &accept,
            "discarded.pdf",
            chunks(&pdf("discarded"), 64),
        )
        .await
        .unwrap();
        uploads::discard_upload(&db.conn, &applicant, region_a, discarded.id)
            .await
            .unwrap();
        // Bytes stored but never recorded (the request failed after the write).
        let orphan = store
            .put(Box::pin(chunks(&pdf("orphan"), 64)))
            .await
            .unwrap();
        // A write a crash interrupted.
        let crashed = store.tmp_dir().join("crashed.part");
        std::fs::write(&crashed, b"%PDF-half").unwrap();
        // Written at t0 on the store's clock, whatever the machine's date is today.
        std::fs::File::options()
            .write(true)
            .open(&crashed)
            .unwrap()
            .set_modified(t0().into())
            .unwrap();

        // Within the day nothing goes: an upload may be between its blob and its row.
        assert_eq!(
            uploads::collect_garbage(&db.conn, &store, t0() + Duration::hours(23))
                .await
                .unwrap(),
            Collected::default()
        );

        // The same bytes as the orphan arrive again two days later: that refreshes the blob.
        let later = t0() + Duration::days(2);
        let store_later = blob_store(dir.path(), later);
        let again = store_later
            .put(Box::pin(chunks(&pdf("orphan"), 64)))
            .await
            .unwrap();
        assert!(again.deduplicated);

        let collected = uploads::collect_garbage(&db.conn, &store, later + Duration::hours(1))
            .await
            .unwrap();
        assert_eq!(
            collected,
            Collected {
                blobs: 1,
                partial: 1
            }
        );
        let left: Vec<_> = store
            .list()
            .await
            .unwrap()
            .into_iter()
            .map(|b| b.address.to_string())
            .collect();
        let mut expected = vec![kept.sha256.clone(), orphan.address.to_string()];
        expected.sort();
        assert_eq!(left, expected);
        assert_eq!(tmp_files(&store), 0);
        assert!(
            !store
                .exists(&BlobAddress::parse(&discarded.sha256).unwrap())
                .await
                .unwrap()
        );
        // What is referenced is still readable.
        uploads::open_upload(&db.conn, &store, region_a, kept.id, |_| true)
            .await
            .unwrap();
        db.finish().await;
    }
}

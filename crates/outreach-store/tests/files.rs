//! The store on disk: encryption, passphrases, schema versions, and stores
//! that cannot be opened.

use outreach_domain::Client;
use outreach_store::store::{DB_FILE, KEY_FILE};
use outreach_store::{Store, StoreError, schema};
use std::fs;
use std::path::Path;
use std::process::Command;

const PASS: &str = "correct horse battery staple";
const PLANTED: &str = "Zebedee Quillfeather";

fn client(name: &str) -> Client {
    Client { name: Some(name.to_string().into()), area: "Liverpool".into(), ..Default::default() }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), fs::read(&p).unwrap()))
        .collect();
    files.sort();
    files
}

#[test]
fn a_planted_name_never_appears_in_the_database_wal_or_shm_files() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::init(dir.path(), PASS, "amy.w").unwrap();
    for i in 0..200 {
        store.create(client(&format!("{PLANTED} {i}"))).unwrap();
    }
    // While the store is open the WAL holds recent pages: check it too.
    let wal = dir.path().join(format!("{DB_FILE}-wal"));
    assert!(wal.exists(), "WAL mode keeps a -wal file while open");
    for (name, bytes) in snapshot(dir.path()) {
        for needle in [PLANTED.as_bytes(), b"Zebedee", b"SQLite format 3", b"client_index"] {
            assert!(!contains(&bytes, needle), "{name} contains {:?} in plain text", String::from_utf8_lossy(needle));
        }
    }
    drop(store);
    for (name, bytes) in snapshot(dir.path()) {
        assert!(!contains(&bytes, PLANTED.as_bytes()), "{name} contains the planted name after close");
    }
}

#[test]
fn every_store_connection_overwrites_deleted_content() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::init(dir.path(), PASS, "amy.w").unwrap();
    assert!(store.secure_delete_on().unwrap(), "a new store's connection has secure_delete");
    drop(store);
    let store = Store::open(dir.path(), PASS).unwrap();
    assert!(store.secure_delete_on().unwrap(), "a reopened store's connection has secure_delete");
}

#[test]
fn the_plain_sqlite3_tool_cannot_read_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::init(dir.path(), PASS, "amy.w").unwrap();
    store.create(client(PLANTED)).unwrap();
    drop(store);
    let db = dir.path().join(DB_FILE);
    let output = Command::new("sqlite3")
        .arg(&db)
        .arg("SELECT count(*) FROM records;")
        .output()
        .expect("the sqlite3 command-line tool is installed (apt package sqlite3)");
    assert!(!output.status.success(), "sqlite3 read the store: {output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("not a database") || stderr.contains("encrypted"), "{stderr}");
}

#[test]
fn a_wrong_passphrase_is_a_typed_error_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::init(dir.path(), PASS, "amy.w").unwrap();
    store.create(client("Someone")).unwrap();
    drop(store);
    let before = snapshot(dir.path());
    let err = Store::open(dir.path(), "not the passphrase at all").err().expect("must fail");
    assert!(matches!(err, StoreError::WrongPassphrase), "{err:?}");
    assert!(err.to_string().contains("wrong passphrase"));
    assert_eq!(snapshot(dir.path()), before, "a failed unlock touched the files");
    Store::open(dir.path(), PASS).unwrap();
}

#[test]
fn changing_the_passphrase_does_not_rewrite_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::init(dir.path(), PASS, "amy.w").unwrap();
    let id = store.create(client("Someone")).unwrap().meta.id;
    drop(store);
    let db_before = fs::read(dir.path().join(DB_FILE)).unwrap();
    assert!(matches!(
        Store::change_passphrase(dir.path(), "wrong old passphrase", "new passphrase here"),
        Err(StoreError::WrongPassphrase)
    ));
    assert!(matches!(Store::change_passphrase(dir.path(), PASS, "short"), Err(StoreError::WeakPassphrase { .. })));
    Store::change_passphrase(dir.path(), PASS, "a brand new passphrase").unwrap();
    assert_eq!(fs::read(dir.path().join(DB_FILE)).unwrap(), db_before);
    assert!(matches!(Store::open(dir.path(), PASS), Err(StoreError::WrongPassphrase)));
    let mut store = Store::open(dir.path(), "a brand new passphrase").unwrap();
    assert_eq!(store.get::<Client>(id).unwrap().body.display_name(), "Someone");
}

#[test]
fn init_refuses_an_existing_store_and_weak_passphrases() {
    let dir = tempfile::tempdir().unwrap();
    assert!(matches!(Store::init(dir.path(), "short", "amy.w"), Err(StoreError::WeakPassphrase { .. })));
    assert!(!dir.path().join(DB_FILE).exists(), "a refused init created a file");
    Store::init(dir.path(), PASS, "amy.w").unwrap();
    let before = snapshot(dir.path());
    assert!(matches!(Store::init(dir.path(), PASS, "ben.k"), Err(StoreError::AlreadyExists(_))));
    assert_eq!(snapshot(dir.path()), before);
    assert!(matches!(Store::open(&dir.path().join("nowhere"), PASS), Err(StoreError::NotFound(_))));
}

#[test]
fn an_older_store_opens_and_upgrades_keeping_its_records() {
    let dir = tempfile::tempdir().unwrap();
    let mut old = Store::init_at_version(dir.path(), PASS, "amy.w", 1).unwrap();
    assert_eq!(old.schema_version().unwrap(), 1);
    let id = old.create(client("Kept Through Upgrade")).unwrap().meta.id;
    drop(old);
    let mut store = Store::open(dir.path(), PASS).unwrap();
    assert_eq!(store.schema_version().unwrap(), schema::latest_version());
    assert_eq!(store.get::<Client>(id).unwrap().body.display_name(), "Kept Through Upgrade");
    // the summary table added by the upgrade was filled from the records
    let today = chrono::Utc::now().date_naive();
    let hits = store.search("kept upgrade", &Default::default(), today, 5).unwrap();
    assert_eq!(hits.first().map(|h| h.id), Some(id));
    assert_eq!(store.user(), "amy.w");
}

#[test]
fn a_store_from_a_newer_version_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::init(dir.path(), PASS, "amy.w").unwrap();
    drop(store);
    // Simulate a newer build by bumping user_version through the real key.
    {
        let key = outreach_store::keyfile::read(&dir.path().join(KEY_FILE), PASS).unwrap();
        let conn = rusqlite::Connection::open(dir.path().join(DB_FILE)).unwrap();
        conn.execute_batch(&key.sqlcipher_key_statement()).unwrap();
        conn.pragma_update(None, "user_version", schema::latest_version() + 5).unwrap();
    }
    let before = snapshot(dir.path());
    let err = Store::open(dir.path(), PASS).err().expect("must refuse");
    assert!(matches!(err, StoreError::TooNew { .. }), "{err:?}");
    assert!(err.to_string().contains("newer version"));
    assert_eq!(snapshot(dir.path()), before);
}

#[test]
fn an_unreadable_store_is_kept_and_can_be_set_aside() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::init(dir.path(), PASS, "amy.w").unwrap();
    store.create(client("Unsynced Person")).unwrap();
    drop(store);
    let db = dir.path().join(DB_FILE);
    let mut bytes = fs::read(&db).unwrap();
    for b in bytes.iter_mut().take(4096) {
        *b ^= 0x5a; // corrupt the first page
    }
    fs::write(&db, &bytes).unwrap();
    let err = Store::open(dir.path(), PASS).err().expect("must fail");
    assert!(matches!(err, StoreError::Unreadable { .. }), "{err:?}");
    assert!(err.to_string().contains("Nothing has been deleted"), "{err}");
    assert_eq!(fs::read(&db).unwrap(), bytes, "the damaged store was modified");
    let aside = Store::set_aside(dir.path()).unwrap();
    assert_eq!(fs::read(aside.join(DB_FILE)).unwrap(), bytes);
    assert!(aside.join(KEY_FILE).exists());
    // a fresh store can now be made in the same folder
    Store::init(dir.path(), PASS, "amy.w").unwrap();
}

#[test]
fn a_missing_key_file_is_reported_not_recreated() {
    let dir = tempfile::tempdir().unwrap();
    Store::init(dir.path(), PASS, "amy.w").unwrap();
    fs::rename(dir.path().join(KEY_FILE), dir.path().join("elsewhere")).unwrap();
    let err = Store::open(dir.path(), PASS).err().expect("must fail");
    assert!(matches!(err, StoreError::Unreadable { .. }), "{err:?}");
    assert!(!dir.path().join(KEY_FILE).exists());
}

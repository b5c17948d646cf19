//! Teams, users, devices and mutations for the suite.

use outreach_domain::{Hlc, RecordKind};
use outreach_protocol::api::{MutationResult, Outcome, PullResponse, Role};
use outreach_protocol::{Mutation, Op};
use outreach_server_db::credentials::hash_password;
use outreach_server_db::{Actor, Database, NewUser};
use serde_json::{Map, Value, json};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};
use uuid::Uuid;

/// The password every fixture user has.
pub const PASSWORD: &str = "correct horse battery staple";

/// One Argon2 hash for every fixture user (hashing is slow on purpose).
pub fn password_hash() -> String {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| hash_password(PASSWORD).expect("hash")).clone()
}

/// Two teams, and people in them.
pub struct World {
    /// Worker in the Liverpool team (Liverpool, Sefton).
    pub amy: Actor,
    /// Another Liverpool worker.
    pub ben: Actor,
    /// Worker in the Wirral team.
    pub wes: Actor,
    /// Team lead of both teams.
    pub lia: Actor,
    /// Admin only.
    pub ada: Actor,
    /// Commissioner only.
    pub cam: Actor,
}

/// Makes a user with one device and returns them as an actor.
pub async fn person(db: &dyn Database, name: &str, roles: &[Role], teams: &[&str]) -> Actor {
    let user = db
        .add_user(NewUser {
            name: name.into(),
            password_hash: password_hash(),
            roles: roles.to_vec(),
            teams: teams.iter().map(|t| t.to_string()).collect(),
        })
        .await
        .expect("add user");
    let device = Uuid::now_v7();
    db.register_device(user.id, device, &format!("{name}-laptop"), &format!("hash-of-{device}")).await.expect("device");
    Actor { user_id: user.id, user: user.name, device, roles: user.roles }
}

/// The standard world.
pub async fn world(db: &dyn Database) -> World {
    db.add_team("Liverpool Outreach", &["Liverpool".into(), "Sefton".into()]).await.expect("team");
    db.add_team("Wirral Outreach", &["Wirral".into()]).await.expect("team");
    let l = "Liverpool Outreach";
    let w = "Wirral Outreach";
    World {
        amy: person(db, "amy", &[Role::Worker], &[l]).await,
        ben: person(db, "ben", &[Role::Worker], &[l]).await,
        wes: person(db, "wes", &[Role::Worker], &[w]).await,
        lia: person(db, "lia", &[Role::TeamLead], &[l, w]).await,
        ada: person(db, "ada", &[Role::Admin], &[l]).await,
        cam: person(db, "cam", &[Role::Commissioner], &[]).await,
    }
}

fn stamp(device: Uuid) -> Hlc {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    Hlc { wall_ms: 1_767_000_000_000, counter: COUNTER.fetch_add(1, Ordering::Relaxed), device }
}

fn object(v: Value) -> Map<String, Value> {
    v.as_object().cloned().unwrap_or_default()
}

/// A new record with `fields`.
pub fn create(by: &Actor, kind: RecordKind, id: Uuid, fields: Value) -> Mutation {
    let changes = object(fields).into_iter().map(|(k, v)| (k, json!({"old": null, "new": v}))).collect();
    Mutation {
        mutation_id: Uuid::now_v7(),
        record_id: id,
        kind,
        op: Op::Create,
        changes,
        base_version: 0,
        hlc: stamp(by.device),
    }
}

/// An edit: `changes` maps each field to `[old, new]`.
pub fn update(by: &Actor, kind: RecordKind, id: Uuid, base: i64, changes: Value) -> Mutation {
    let changes = object(changes)
        .into_iter()
        .map(|(k, v)| (k, json!({"old": v.get(0).cloned().unwrap_or(Value::Null), "new": v.get(1).cloned().unwrap_or(Value::Null)})))
        .collect();
    Mutation {
        mutation_id: Uuid::now_v7(),
        record_id: id,
        kind,
        op: Op::Update,
        changes,
        base_version: base,
        hlc: stamp(by.device),
    }
}

/// A delete made against version `base`.
pub fn delete(by: &Actor, kind: RecordKind, id: Uuid, base: i64) -> Mutation {
    let changes = object(json!({"deleted": {"old": false, "new": true}}));
    Mutation {
        mutation_id: Uuid::now_v7(),
        record_id: id,
        kind,
        op: Op::Delete,
        changes,
        base_version: base,
        hlc: stamp(by.device),
    }
}

/// A client in `area`.
pub fn client(by: &Actor, id: Uuid, area: &str) -> Mutation {
    create(
        by,
        RecordKind::Client,
        id,
        json!({"area": area, "gender": "male", "phone": "0151 000", "needs": ["mental_health"]}),
    )
}

/// A contact note about `client`.
pub fn contact(by: &Actor, id: Uuid, client: Uuid) -> Mutation {
    create(by, RecordKind::Contact, id, json!({"client_id": client, "worker": by.user, "notes": "met at the library"}))
}

/// Pushes and returns the outcomes.
pub async fn push(db: &dyn Database, by: &Actor, mutations: Vec<Mutation>) -> Vec<Outcome> {
    db.push(by, &mutations).await.expect("push").into_iter().map(|r: MutationResult| r.outcome).collect()
}

/// Pushes one mutation and returns its outcome.
pub async fn push_one(db: &dyn Database, by: &Actor, m: Mutation) -> Outcome {
    push(db, by, vec![m]).await.remove(0)
}

/// Pulls every page from `cursor` with page size `limit`.
pub async fn pull_all(db: &dyn Database, by: &Actor, mut cursor: i64, limit: i64) -> (Vec<PullResponse>, i64) {
    let mut pages = Vec::new();
    for _ in 0..10_000 {
        let page = db.pull(by, cursor, limit).await.expect("pull");
        cursor = page.next_cursor;
        let more = page.has_more;
        pages.push(page);
        if !more {
            break;
        }
    }
    (pages, cursor)
}

/// The ids of every record sent in `pages`.
pub fn ids(pages: &[PullResponse]) -> Vec<Uuid> {
    pages.iter().flat_map(|p| p.changes.iter().map(|c| c.id)).collect()
}

/// The ids of every drop sent in `pages`.
pub fn drops(pages: &[PullResponse]) -> Vec<Uuid> {
    pages.iter().flat_map(|p| p.drops.iter().copied()).collect()
}

/// Asserts an outcome is a rejection with `code`.
pub fn assert_rejected(outcome: &Outcome, code: &str) {
    match outcome {
        Outcome::Rejected { code: got, reason } => {
            assert_eq!(got, code, "{reason}");
            assert!(!reason.is_empty());
        }
        other => panic!("expected rejection {code}, got {other:?}"),
    }
}

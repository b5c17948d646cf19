//! The same person recorded twice, as the server sees it.
//!
//! A merge is an ordinary change to the merged-away client (its
//! `merged_into` names the survivor). The server keeps every such link in
//! `client_merges` with the client it stands for now (its *person*), so
//! that whoever holds one client of a family on their caseload sees the
//! records of all of them, and reports count the person once. When a link
//! changes, the records that become visible to a caseload holder are given
//! new sequence numbers (so their devices pull them) and those that stop
//! being visible are dropped from the devices that held them.

use super::{Dependents, MergeLink, StoredRecord, Tx};
use crate::error::Result;
use outreach_domain::RecordKind;
use outreach_domain::duplicates::survivor_of;
use std::collections::{BTreeSet, HashMap, HashSet};
use uuid::Uuid;

/// Every client that stands for the same person as one of `ids`, `ids`
/// included (no query for an empty list).
pub(crate) async fn family<T: Tx>(tx: &mut T, ids: &[Uuid]) -> Result<HashSet<Uuid>> {
    let mut out: HashSet<Uuid> = ids.iter().copied().collect();
    if ids.is_empty() {
        return Ok(out);
    }
    for link in tx.merge_family(ids).await? {
        out.extend([link.client, link.into, link.person]);
    }
    Ok(out)
}

/// The client a client record's `merged_into` names, if it is a live
/// client merged into another.
fn link_of(record: &StoredRecord) -> Option<Uuid> {
    if record.kind != RecordKind::Client || record.erased {
        return None;
    }
    let into = record.data.get("merged_into")?.as_str().and_then(|s| Uuid::parse_str(s).ok())?;
    (into != record.id).then_some(into)
}

/// Keeps `client_merges` and caseload scope in step after client `new`
/// replaced `old`: nothing to do unless its `merged_into` changed.
pub(crate) async fn relink<T: Tx>(
    tx: &mut T,
    old: Option<&StoredRecord>,
    new: &StoredRecord,
    today: &str,
) -> Result<()> {
    let (before, after) = (old.and_then(link_of), link_of(new));
    if before == after {
        return Ok(());
    }
    let client = new.id;
    let seeds: Vec<Uuid> = [Some(client), before, after].into_iter().flatten().collect();
    let rows = tx.merge_family(&seeds).await?;
    let old_person: HashMap<Uuid, Uuid> = rows.iter().map(|l| (l.client, l.person)).collect();
    let mut links: HashMap<Uuid, Uuid> = rows.iter().map(|l| (l.client, l.into)).collect();
    let mut members: BTreeSet<Uuid> = seeds.iter().copied().collect();
    members.extend(rows.iter().flat_map(|l| [l.client, l.into, l.person]));
    match after {
        Some(into) => links.insert(client, into),
        None => links.remove(&client),
    };

    // Each member's person now, written where it changed.
    let person_of = |id: Uuid| survivor_of(id, |x| links.get(&x).copied()).0;
    let mut new_person = HashMap::with_capacity(members.len());
    for &m in &members {
        let person = person_of(m);
        new_person.insert(m, person);
        match links.get(&m) {
            Some(&into) if m == client || old_person.get(&m) != Some(&person) => {
                tx.put_merge(&MergeLink { client: m, into, person }).await?;
            }
            None if old_person.contains_key(&m) => tx.remove_merge(m).await?,
            _ => {}
        }
    }

    // The clients whose chain runs through this one move with it.
    let moved: Vec<Uuid> = members.iter().copied().filter(|&m| runs_through(m, client, &links)).collect();
    let was = |m: Uuid| old_person.get(&m).copied().unwrap_or(m);
    let left: Vec<Uuid> = members.iter().copied().filter(|&m| was(m) == was(client) && !moved.contains(&m)).collect();
    let joined: Vec<Uuid> =
        members.iter().copied().filter(|&m| new_person[&m] == new_person[&client] && !moved.contains(&m)).collect();

    let holding_moved = holders_of(tx, &moved, today).await?;
    // Those who held the family it left lose its records, and the reverse.
    for worker in holders_of(tx, &left, today).await? {
        drop_records(tx, &moved, &worker).await?;
    }
    for worker in &holding_moved {
        drop_records(tx, &left, worker).await?;
    }
    // Those who hold the family it joined gain its records, and the reverse.
    if !holding_moved.is_empty() {
        resequence(tx, &joined, client).await?;
    }
    if !holders_of(tx, &joined, today).await?.is_empty() {
        resequence(tx, &moved, client).await?;
    }
    Ok(())
}

/// Whether `m`'s chain of links reaches `client` (`client` itself does).
fn runs_through(m: Uuid, client: Uuid, links: &HashMap<Uuid, Uuid>) -> bool {
    let mut seen = HashSet::new();
    let mut at = m;
    loop {
        if at == client {
            return true;
        }
        if !seen.insert(at) {
            return false;
        }
        match links.get(&at) {
            Some(&next) => at = next,
            None => return false,
        }
    }
}

async fn holders_of<T: Tx>(tx: &mut T, clients: &[Uuid], today: &str) -> Result<Vec<String>> {
    if clients.is_empty() { Ok(Vec::new()) } else { tx.holders(clients, today).await }
}

/// Tells `worker`'s devices to drop the records of `clients` (a pull sends
/// the drop only if the worker no longer sees the record).
async fn drop_records<T: Tx>(tx: &mut T, clients: &[Uuid], worker: &str) -> Result<()> {
    for &c in clients {
        for row in tx.dependents(Dependents::OfClient(c)).await? {
            let seq = tx.next_seq().await?;
            tx.put_drop(seq, row.id, None, Some(worker)).await?;
        }
    }
    Ok(())
}

/// Gives the records of `clients` new sequence numbers, so devices newly
/// entitled to them pull them (`written` was just written, and has one).
async fn resequence<T: Tx>(tx: &mut T, clients: &[Uuid], written: Uuid) -> Result<()> {
    for &c in clients {
        for row in tx.dependents(Dependents::OfClient(c)).await? {
            if row.id != written {
                let seq = tx.next_seq().await?;
                tx.move_record(row.id, row.area.as_deref(), seq).await?;
            }
        }
    }
    Ok(())
}

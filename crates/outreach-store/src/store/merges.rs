//! The same person recorded twice: suggesting likely duplicates, merging
//! one client into another, undoing it, and saying 'not the same person'.
//!
//! A merge is an ordinary change to the merged-away client: `merged_into`
//! names the survivor and `area` takes the survivor's area (the server then
//! moves the merged-away client's records into that area, so whoever sees
//! the survivor sees them too). Nothing else is rewritten: signed-off
//! records stay as they were. Instead every list of a client's records
//! reads the survivor's and those of every client merged into it, and a
//! merged-away id (a link made offline on another laptop) resolves to the
//! survivor. Undo clears `merged_into` and restores the area. Two devices
//! merging each client into the other before syncing make a cycle; every
//! device then shows the lowest id as the survivor and lists the cycle for
//! a worker to settle.

use super::{Store, Touched, load_live, load_raw};
use crate::error::{Result, StoreError};
use crate::summary;
use outreach_domain::duplicates::{self, Likeness};
use outreach_domain::{Client, DomainError, Record, Sensitive};
use rusqlite::{Connection, OptionalExtension};
use serde::Serialize;
use std::collections::{BTreeSet, HashMap};
use uuid::Uuid;

/// How many name neighbours each client is compared with when looking for
/// duplicates: the trigram index finds them without comparing every pair.
pub const NEIGHBOURS: usize = 8;

/// How many of the newest clients [`Store::duplicate_suggestions`] checks.
pub const RECENT_SOURCES: usize = 300;

/// A pair of clients that may be the same person.
#[derive(Debug, Clone, Serialize)]
pub struct DuplicatePair {
    /// One client (the one asked about, for [`Store::duplicates_of`]).
    pub client: Uuid,
    /// Its list name.
    pub client_name: Sensitive<String>,
    /// The other client.
    pub other: Uuid,
    /// Its list name.
    pub other_name: Sensitive<String>,
    /// How alike they are, and why.
    pub likeness: Likeness,
}

/// A client merged into the one being shown.
#[derive(Debug, Clone, Serialize)]
pub struct MergedClient {
    /// The merged-away client's id (links to it open the survivor).
    pub id: Uuid,
    /// Its list name.
    pub display_name: Sensitive<String>,
    /// Whether it was merged straight into the survivor (only those can be
    /// undone from the survivor's page; the others undo from their own).
    pub direct: bool,
}

/// The merge link of one client, read from its record.
fn link_of(conn: &Connection, id: Uuid) -> Result<Option<Uuid>> {
    let link: Option<Option<String>> = conn
        .prepare_cached(
            "SELECT json_extract(data, '$.merged_into') FROM records
             WHERE id = ?1 AND kind = 'client' AND deleted = 0",
        )?
        .query_row([id.to_string()], |r| r.get(0))
        .optional()?;
    Ok(link.flatten().and_then(|l| Uuid::parse_str(&l).ok()))
}

/// Every merge link on the device: merged-away client to the one it names.
fn all_links(conn: &Connection) -> Result<HashMap<Uuid, Uuid>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, json_extract(data, '$.merged_into') FROM records
         WHERE kind = 'client' AND deleted = 0 AND json_extract(data, '$.merged_into') IS NOT NULL",
    )?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
    let mut out = HashMap::new();
    for row in rows {
        let (id, into) = row?;
        if let (Ok(id), Ok(into)) = (Uuid::parse_str(&id), Uuid::parse_str(&into)) {
            out.insert(id, into);
        }
    }
    Ok(out)
}

/// The client that stands for `id` now, following merge links in the
/// database (a few key lookups); true when a cycle was met.
pub(crate) fn survivor_in(conn: &Connection, id: Uuid) -> Result<(Uuid, bool)> {
    // Read the chain first (links are few and short), then resolve it.
    let mut chain = HashMap::new();
    let mut at = id;
    while let Some(next) = link_of(conn, at)? {
        if chain.insert(at, next).is_some() || chain.contains_key(&next) {
            break;
        }
        at = next;
    }
    Ok(duplicates::survivor_of(id, |x| chain.get(&x).copied()))
}

impl Store {
    /// Every merge link, read once and kept until a change touches one.
    fn merge_links(&self) -> Result<std::cell::Ref<'_, HashMap<Uuid, Uuid>>> {
        if self.merges.borrow().is_none() {
            let links = all_links(&self.conn)?;
            *self.merges.borrow_mut() = Some(links);
        }
        Ok(std::cell::Ref::map(self.merges.borrow(), |m| m.as_ref().expect("just read")))
    }

    /// Keeps the merge links current after a committed change, and
    /// refreshes the summaries whose 'merged away' standing the change
    /// moved without touching them (the other ends of a cycle, and clients
    /// merged into a client whose link changed). Returns those clients.
    pub(super) fn merges_touched(&mut self, touched: &Touched) -> Result<Vec<Uuid>> {
        if touched.is_empty() {
            return Ok(vec![]);
        }
        let mut changed = Vec::new();
        let cached = self.merges.borrow_mut().take();
        let links = match cached {
            Some(mut links) => {
                for id in touched.keys() {
                    let now = link_of(&self.conn, *id)?;
                    if links.get(id).copied() != now {
                        changed.push(*id);
                        match now {
                            Some(into) => links.insert(*id, into),
                            None => links.remove(id),
                        };
                    }
                }
                links
            }
            None => {
                // What the links were before is not known: any touched
                // client may have gained or lost one.
                changed.extend(touched.keys());
                all_links(&self.conn)?
            }
        };
        let mut also = BTreeSet::new();
        if !changed.is_empty() {
            for (from, into) in &links {
                if changed.contains(into) || duplicates::survivor_of(*from, |x| links.get(&x).copied()).0 == *from {
                    also.insert(*from);
                }
            }
        }
        *self.merges.borrow_mut() = Some(links);
        also.retain(|id| !touched.contains_key(id));
        if self.summaries && !also.is_empty() {
            let today = super::today();
            let tx = self.conn.transaction()?;
            for id in &also {
                summary::refresh(&tx, *id, today)?;
            }
            tx.commit()?;
        }
        Ok(also.into_iter().collect())
    }

    /// The client that stands for `id` now: itself, or the client it was
    /// merged into (followed through chains; a cycle resolves to its
    /// lowest id on every device).
    pub fn survivor(&self, id: Uuid) -> Result<Uuid> {
        let links = self.merge_links()?;
        Ok(duplicates::survivor_of(id, |x| links.get(&x).copied()).0)
    }

    /// `id`'s survivor and every client merged into it, directly or not:
    /// the clients whose records show as one person.
    pub fn same_person(&self, id: Uuid) -> Result<Vec<Uuid>> {
        let survivor = self.survivor(id)?;
        let links = self.merge_links()?;
        let mut out = vec![survivor];
        let mut others: Vec<Uuid> = links
            .keys()
            .filter(|k| **k != survivor && duplicates::survivor_of(**k, |x| links.get(&x).copied()).0 == survivor)
            .copied()
            .collect();
        others.sort();
        out.extend(others);
        Ok(out)
    }

    /// The clients merged into `survivor`, with their names, for the banner
    /// on its page.
    pub fn merged_into_client(&self, survivor: Uuid) -> Result<Vec<MergedClient>> {
        let family = self.same_person(survivor)?;
        let links = self.merge_links()?.clone();
        let mut out = Vec::new();
        for id in family.into_iter().filter(|id| *id != survivor) {
            let (client, _) = load_live::<Client>(&self.conn, id)?;
            out.push(MergedClient {
                id,
                display_name: Sensitive::new(client.body.display_name()),
                direct: links.get(&id) == Some(&survivor),
            });
        }
        Ok(out)
    }

    /// Merge cycles (two devices merged each into the other before they
    /// synced): each as its members, lowest id (the one shown) first. A
    /// worker settles one by undoing the merge that is wrong.
    pub fn merge_cycles(&self) -> Result<Vec<Vec<Uuid>>> {
        let links = self.merge_links()?;
        let mut seen = BTreeSet::new();
        let mut out = Vec::new();
        for start in links.keys() {
            let (_, cycle) = duplicates::survivor_of(*start, |x| links.get(&x).copied());
            if !cycle || seen.contains(start) {
                continue;
            }
            // Walk to the loop, then round it once.
            let mut walked = vec![*start];
            let mut at = *start;
            while let Some(next) = links.get(&at) {
                if let Some(pos) = walked.iter().position(|w| w == next) {
                    let mut members = walked[pos..].to_vec();
                    members.sort();
                    if members.iter().all(|m| !seen.contains(m)) {
                        out.push(members.clone());
                    }
                    break;
                }
                walked.push(*next);
                at = *next;
            }
            seen.extend(walked);
        }
        out.sort();
        out.dedup();
        Ok(out)
    }

    /// Records that `merged` is the same person as `into`: `merged` then
    /// shows as `into`, with all its records. A change like any other (it
    /// syncs, is audited and can be undone with [`Store::unmerge_client`]).
    /// Refused when it would make a loop, or `merged` is already merged.
    pub fn merge_clients(&mut self, merged: Uuid, into: Uuid) -> Result<Record<Client>> {
        let (away, _) = load_live::<Client>(&self.conn, merged)?;
        load_live::<Client>(&self.conn, into)?;
        let refuse = |reason: &str| -> StoreError { DomainError::invalid("merged_into", reason).into() };
        if let Some(already) = away.body.merged_into {
            return Err(refuse(&format!("this client is already merged into {already}; undo that first")));
        }
        let target = self.survivor(into)?;
        if target == merged || self.same_person(merged)?.contains(&into) {
            return Err(refuse("that client is already merged into this one; merging back would make a loop"));
        }
        let (survivor, _) = load_live::<Client>(&self.conn, target)?;
        let area = survivor.body.area;
        let detail = format!("merged into {target}");
        self.update_noting::<Client>(
            merged,
            |c| {
                c.area_before_merge = Some(std::mem::replace(&mut c.area, area));
                c.merged_into = Some(target);
            },
            Some(&detail),
        )
    }

    /// Undoes a merge: `merged` is its own person again, back in the area
    /// it had before. Records made against either id stay where they were
    /// made.
    pub fn unmerge_client(&mut self, merged: Uuid) -> Result<Record<Client>> {
        let (away, _) = load_live::<Client>(&self.conn, merged)?;
        let Some(into) = away.body.merged_into else {
            return Err(DomainError::invalid("merged_into", "this client is not merged into another").into());
        };
        let detail = format!("merge into {into} undone");
        self.update_noting::<Client>(
            merged,
            |c| {
                c.merged_into = None;
                if let Some(area) = c.area_before_merge.take() {
                    c.area = area;
                }
            },
            Some(&detail),
        )
    }

    /// Records that `client` and `other` are not the same person, so the
    /// pair is not suggested again (on any device, once synced).
    pub fn dismiss_duplicate(&mut self, client: Uuid, other: Uuid) -> Result<Record<Client>> {
        load_live::<Client>(&self.conn, other)?;
        let detail = format!("not the same person as {other}");
        self.update_noting::<Client>(
            client,
            |c| {
                c.not_same_as.insert(other);
            },
            Some(&detail),
        )
    }

    fn client_bodies(&self, ids: impl IntoIterator<Item = Uuid>) -> Result<HashMap<Uuid, Client>> {
        let mut out = HashMap::new();
        for id in ids {
            if out.contains_key(&id) {
                continue;
            }
            if let Some(raw) = load_raw(&self.conn, id)?.filter(|r| !r.meta.deleted)
                && let Ok(client) = serde_json::from_value::<Client>(raw.data)
            {
                out.insert(id, client);
            }
        }
        Ok(out)
    }

    fn pairs_for(&mut self, wanted: &[(Uuid, Vec<Uuid>)]) -> Result<Vec<DuplicatePair>> {
        let ids = wanted.iter().flat_map(|(a, others)| std::iter::once(*a).chain(others.iter().copied()));
        let bodies = self.client_bodies(ids.collect::<Vec<_>>())?;
        let mut seen = BTreeSet::new();
        let mut out = Vec::new();
        for (a, others) in wanted {
            let Some(body_a) = bodies.get(a) else { continue };
            for b in others {
                let key = if a < b { (*a, *b) } else { (*b, *a) };
                let Some(body_b) = bodies.get(b) else { continue };
                if !seen.insert(key) {
                    continue;
                }
                if let Some(likeness) = duplicates::compare(*a, body_a, *b, body_b).likely() {
                    out.push(DuplicatePair {
                        client: *a,
                        client_name: Sensitive::new(body_a.display_name()),
                        other: *b,
                        other_name: Sensitive::new(body_b.display_name()),
                        likeness,
                    });
                }
            }
        }
        out.sort_by(|x, y| y.likeness.score.total_cmp(&x.likeness.score).then(x.client.cmp(&y.client)));
        Ok(out)
    }

    /// Clients that may be the same person as `client` (its survivor, if
    /// it was merged), most alike first. Merged-away and dismissed clients
    /// are never suggested. Audited as a read of the client.
    pub fn duplicates_of(&mut self, client: Uuid) -> Result<Vec<DuplicatePair>> {
        let client = self.survivor(client)?;
        let near = self.search_index()?.neighbours(client, NEIGHBOURS);
        let pairs = self.pairs_for(&[(client, near)])?;
        crate::audit::record(
            &self.conn,
            &self.actor,
            crate::AuditAction::Read,
            Some(outreach_domain::RecordKind::Client),
            Some(client),
            Some(client),
            Some(&format!("checked for duplicates: {} found", pairs.len())),
        )?;
        Ok(pairs)
    }

    /// The likeliest duplicate pairs on the device, at most `limit`. A
    /// duplicate is made when someone records a person who is already
    /// known, so the [`RECENT_SOURCES`] most recently created clients (ids
    /// are UUID v7, so the largest ids are the newest) are each compared
    /// with their few nearest names among all clients (trigram blocking):
    /// the work is bounded however large the store, and this is cheap
    /// enough to ask for whenever the caseload opens. [`Self::duplicates_of`]
    /// checks any one client against everyone. Audited as a search (names
    /// are shown).
    pub fn duplicate_suggestions(&mut self, limit: usize) -> Result<Vec<DuplicatePair>> {
        let index = self.search_index()?;
        let mut newest: Vec<Uuid> = index.ids().collect();
        if newest.len() > RECENT_SOURCES {
            newest.select_nth_unstable_by(RECENT_SOURCES - 1, |a, b| b.cmp(a));
            newest.truncate(RECENT_SOURCES);
        }
        let wanted: Vec<(Uuid, Vec<Uuid>)> = newest
            .into_iter()
            .map(|id| (id, index.neighbours(id, NEIGHBOURS)))
            .filter(|(_, n)| !n.is_empty())
            .collect();
        let mut pairs = self.pairs_for(&wanted)?;
        pairs.truncate(limit);
        let detail = format!("{} possible duplicates", pairs.len());
        crate::audit::record(&self.conn, &self.actor, crate::AuditAction::Search, None, None, None, Some(&detail))?;
        Ok(pairs)
    }
}

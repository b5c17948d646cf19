//! Group commit: pushes that arrive while another holds the write turn
//! wait in a queue, and whoever takes the turn next applies every push
//! waiting then in **one** transaction (one lock, one commit, one fsync),
//! each push still getting exactly its own results and its own audit rows.
//!
//! Writers are serialised anyway (see the crate's notes on sequence
//! numbers), so under a burst the cost of a push is mostly the fixed cost
//! of a transaction; sharing it is what lets many devices at once be served
//! in time. If the combined transaction fails, the pushes of the group are
//! applied again one by one, each in its own transaction, so one bad push
//! cannot fail the others. Mutation ids stay idempotent across a group: the
//! engine sees the outcomes given earlier in the same transaction.

use crate::error::{DbError, Result};
use crate::model::Actor;
use outreach_protocol::Mutation;
use outreach_protocol::api::MutationResult;
use std::collections::VecDeque;
use std::future::{Future, poll_fn};
use std::pin::{Pin, pin};
use std::sync::{Arc, Mutex};
use std::task::Poll;
use tokio::sync::{OwnedMutexGuard, oneshot};

/// Most mutations applied in one group transaction (a push larger than
/// this is still applied whole, alone). Each change is held in memory
/// several times over until commit: with 10,000 the server's peak was
/// 239 MiB (PostgreSQL, 200 devices pushing 50 each), which this lower
/// bound is meant to cut.
const MAX_GROUP_MUTATIONS: usize = 2_000;

/// One push waiting to be applied.
pub(crate) struct QueuedPush {
    /// Who pushed.
    pub actor: Actor,
    /// What, in order.
    pub mutations: Vec<Mutation>,
}

/// How a backend applies pushes.
pub(crate) trait ApplyPushes: Clone + Send + Sync + 'static {
    /// Applies `pushes` in order in one transaction and returns each one's
    /// results, or fails as a whole (nothing applied).
    fn apply_together(
        &self,
        pushes: Vec<Arc<QueuedPush>>,
    ) -> impl Future<Output = Result<Vec<Vec<MutationResult>>>> + Send;
    /// Applies one push in its own transaction.
    fn apply_one(&self, push: Arc<QueuedPush>) -> impl Future<Output = Result<Vec<MutationResult>>> + Send;
}

/// A push and where its answer goes.
struct Waiting {
    push: QueuedPush,
    reply: oneshot::Sender<Result<Vec<MutationResult>>>,
}

/// The pushes waiting for the write turn, and the turn itself.
pub(crate) struct PushQueue {
    /// The write turn: held while a transaction writes (on SQLite it is the
    /// one writers' turn that pulls take too).
    turn: Arc<tokio::sync::Mutex<()>>,
    /// Pushes not yet taken into a group, oldest first.
    waiting: Mutex<VecDeque<Waiting>>,
}

impl PushQueue {
    /// A queue whose pushes take `turn` to write.
    pub fn new(turn: Arc<tokio::sync::Mutex<()>>) -> Self {
        Self { turn, waiting: Mutex::new(VecDeque::new()) }
    }

    /// Applies one push, together with whatever else is waiting when the
    /// turn comes, and returns its own results.
    pub async fn push<A: ApplyPushes>(
        &self,
        backend: &A,
        actor: Actor,
        mutations: Vec<Mutation>,
    ) -> Result<Vec<MutationResult>> {
        let (reply, mut answer) = oneshot::channel();
        self.lock_waiting().push_back(Waiting { push: QueuedPush { actor, mutations }, reply });
        loop {
            // Whichever comes first: this push's answer, or the turn.
            let mut lock = pin!(self.turn.clone().lock_owned());
            let turn = poll_fn(|cx| {
                if let Poll::Ready(out) = Pin::new(&mut answer).poll(cx) {
                    return Poll::Ready(Err(out));
                }
                lock.as_mut().poll(cx).map(Ok)
            })
            .await;
            let turn = match turn {
                Ok(turn) => turn,
                Err(out) => return out.unwrap_or_else(|_| Err(abandoned())),
            };
            // The group that held the turn may have applied this push.
            match answer.try_recv() {
                Ok(out) => return out,
                Err(oneshot::error::TryRecvError::Closed) => return Err(abandoned()),
                Err(oneshot::error::TryRecvError::Empty) => {}
            }
            let group = self.take_group();
            // Applied on its own task: if this request is cancelled (the
            // device hung up), the others of the group still get answers.
            tokio::spawn(apply_group(backend.clone(), group, turn));
        }
    }

    /// The oldest waiting pushes, up to [`MAX_GROUP_MUTATIONS`] changes (at least one push).
    fn take_group(&self) -> Vec<Waiting> {
        let mut waiting = self.lock_waiting();
        let mut group = Vec::new();
        let mut changes = 0;
        while let Some(next) = waiting.front() {
            let size = next.push.mutations.len();
            if !group.is_empty() && changes + size > MAX_GROUP_MUTATIONS {
                break;
            }
            changes += size;
            group.extend(waiting.pop_front());
        }
        group
    }

    fn lock_waiting(&self) -> std::sync::MutexGuard<'_, VecDeque<Waiting>> {
        self.waiting.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Holds the write turn, so pushes queue (for tests of grouping).
    #[cfg(any(test, feature = "testing"))]
    pub async fn hold_turn(&self) -> OwnedMutexGuard<()> {
        self.turn.clone().lock_owned().await
    }

    /// How many pushes wait to be taken into a group (for tests).
    #[cfg(any(test, feature = "testing"))]
    pub fn waiting(&self) -> usize {
        self.lock_waiting().len()
    }
}

fn abandoned() -> DbError {
    DbError::Task("the push was not applied: its group stopped before answering".into())
}

/// Applies a group in one transaction, or one by one if that fails, and
/// answers each push; the turn is released only after every answer is sent.
async fn apply_group<A: ApplyPushes>(backend: A, group: Vec<Waiting>, turn: OwnedMutexGuard<()>) {
    let (pushes, replies): (Vec<Arc<QueuedPush>>, Vec<_>) =
        group.into_iter().map(|w| (Arc::new(w.push), w.reply)).unzip();
    if pushes.len() > 1 {
        match backend.apply_together(pushes.clone()).await {
            Ok(results) if results.len() == pushes.len() => {
                for (reply, out) in replies.into_iter().zip(results) {
                    let _ = reply.send(Ok(out));
                }
                drop(turn);
                return;
            }
            Ok(_) => {
                tracing::error!("a group of pushes returned the wrong number of results; applying them one by one")
            }
            Err(e) => {
                tracing::warn!(pushes = pushes.len(), error = %e, "a group of pushes failed; applying them one by one")
            }
        }
    }
    for (push, reply) in pushes.into_iter().zip(replies) {
        let _ = reply.send(backend.apply_one(push).await);
    }
    drop(turn);
}

#[cfg(test)]
mod tests {
    use super::*;
    use outreach_domain::{Hlc, RecordKind};
    use outreach_protocol::Op;
    use outreach_protocol::api::{Outcome, Role};
    use uuid::Uuid;

    /// A backend that answers each mutation with its position, fails a
    /// group containing a push marked bad, and fails that push alone too.
    #[derive(Clone, Default)]
    struct Fake {
        calls: Arc<Mutex<Vec<(&'static str, usize)>>>,
    }

    fn is_bad(push: &QueuedPush) -> bool {
        push.actor.user == "bad"
    }

    fn answer(push: &QueuedPush) -> Vec<MutationResult> {
        push.mutations
            .iter()
            .map(|m| MutationResult {
                mutation_id: m.mutation_id,
                outcome: Outcome::Applied { version: m.base_version + 1 },
            })
            .collect()
    }

    impl ApplyPushes for Fake {
        async fn apply_together(&self, pushes: Vec<Arc<QueuedPush>>) -> Result<Vec<Vec<MutationResult>>> {
            self.calls.lock().expect("calls").push(("together", pushes.len()));
            if pushes.iter().any(|p| is_bad(p)) {
                return Err(DbError::Invalid("bad push".into()));
            }
            Ok(pushes.iter().map(|p| answer(p)).collect())
        }

        async fn apply_one(&self, push: Arc<QueuedPush>) -> Result<Vec<MutationResult>> {
            self.calls.lock().expect("calls").push(("one", 1));
            if is_bad(&push) { Err(DbError::Invalid("bad push".into())) } else { Ok(answer(&push)) }
        }
    }

    fn actor(name: &str) -> Actor {
        Actor { user_id: Uuid::now_v7(), user: name.into(), device: Uuid::now_v7(), roles: vec![Role::Worker] }
    }

    fn mutations(n: usize, base: i64) -> Vec<Mutation> {
        (0..n)
            .map(|_| Mutation {
                mutation_id: Uuid::now_v7(),
                record_id: Uuid::now_v7(),
                kind: RecordKind::Contact,
                op: Op::Create,
                changes: serde_json::Map::new(),
                base_version: base,
                hlc: Hlc::zero(Uuid::nil()),
            })
            .collect()
    }

    /// Queues one push per (user, base version) while the turn is held,
    /// then releases it and returns each push's mutation ids and answer.
    async fn burst(fake: &Fake, users: &[(&str, i64)]) -> Vec<(Vec<Uuid>, Result<Vec<MutationResult>>)> {
        let queue = Arc::new(PushQueue::new(Arc::default()));
        let held = queue.hold_turn().await;
        let mut tasks = Vec::new();
        for &(user, base) in users {
            let (mine, fake, batch, user) = (queue.clone(), fake.clone(), mutations(2, base), user.to_string());
            let ids: Vec<Uuid> = batch.iter().map(|m| m.mutation_id).collect();
            tasks.push((ids, tokio::spawn(async move { mine.push(&fake, actor(&user), batch).await })));
            while queue.waiting() < tasks.len() {
                tokio::task::yield_now().await;
            }
        }
        drop(held);
        let mut out = Vec::new();
        for (ids, task) in tasks {
            out.push((ids, task.await.expect("push task")));
        }
        out
    }

    #[tokio::test]
    async fn pushes_waiting_for_the_turn_are_applied_together_each_with_its_own_results() {
        let fake = Fake::default();
        let out = burst(&fake, &[("amy", 0), ("ben", 10), ("cat", 20)]).await;
        assert_eq!(*fake.calls.lock().expect("calls"), vec![("together", 3)], "one transaction for the three");
        for ((ids, results), base) in out.into_iter().zip([0, 10, 20]) {
            let results = results.expect("applied");
            assert_eq!(results.iter().map(|r| r.mutation_id).collect::<Vec<_>>(), ids, "its own results, in order");
            assert!(results.iter().all(|r| r.outcome == Outcome::Applied { version: base + 1 }));
        }
    }

    #[tokio::test]
    async fn a_failed_group_falls_back_to_one_by_one_so_one_bad_push_fails_alone() {
        let fake = Fake::default();
        let out = burst(&fake, &[("amy", 0), ("bad", 10), ("cat", 20)]).await;
        assert_eq!(*fake.calls.lock().expect("calls"), vec![("together", 3), ("one", 1), ("one", 1), ("one", 1)]);
        assert!(out[0].1.is_ok());
        assert!(out[1].1.is_err(), "the bad push fails");
        assert!(out[2].1.is_ok(), "the push after it does not");
    }

    #[tokio::test]
    async fn a_lone_push_is_applied_on_its_own() {
        let fake = Fake::default();
        let out = burst(&fake, &[("amy", 0)]).await;
        assert_eq!(*fake.calls.lock().expect("calls"), vec![("one", 1)]);
        assert!(out[0].1.is_ok());
    }
}

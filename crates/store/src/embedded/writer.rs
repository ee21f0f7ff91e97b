//! The writer thread: group commit.
//!
//! Transactions run on their callers' threads, one at a time (see [`super::EmbeddedStore`]); each
//! accepted transaction's writes come here as a [`Commit`] numbered in commit order. The thread
//! takes every commit waiting (at most [`MAX_BATCH`]), writes them all into one redb write
//! transaction, commits it durably (fsync) once, and only then applies them to the in-memory
//! committed state, drops them from the pending overlay and wakes their callers. While it waits on
//! the disk, the next transactions run against committed + pending state and queue up for the next
//! batch: under load, one fsync serves every caller waiting.
//!
//! Fail-stop: if a batch cannot be written or committed, the in-memory state and pending overlay
//! can no longer be trusted to match the disk, so the store turns [`Health::Failed`] and every
//! later call returns [`StoreError::Unavailable`]. Reopening the data directory recovers from the
//! disk.

use std::sync::atomic::Ordering;
use std::sync::mpsc::Receiver;
use std::sync::{Arc, PoisonError};

use redb::{Database, Durability, ReadableTable, Table, TableDefinition, TableHandle};

use super::overlay::{Change, Changes, DocumentKey};
use super::records;
use super::{Health, Shared};
use crate::StoreError;

/// Most transactions in one durable commit.
pub(crate) const MAX_BATCH: usize = 1024;

/// The writes of one accepted transaction.
#[derive(Debug)]
pub(crate) struct Commit {
    /// Its place in commit order (from 1).
    pub seq: u64,
    /// What it wrote.
    pub changes: Changes,
}

/// Marks the store closed (or failed, on a panic) when the writer thread ends, however it ends, so
/// that no caller waits forever.
struct EndGuard<'a>(&'a Shared);

impl Drop for EndGuard<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.fail("the writer thread panicked".to_owned());
        }
        let mut progress = self
            .0
            .progress
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        progress.closed = true;
        self.0.durable.notify_all();
    }
}

/// Runs until every sender is gone (the store is dropped) or a commit fails.
pub(crate) fn run(db: Database, commits: Receiver<Commit>, shared: Arc<Shared>) {
    let _end = EndGuard(&shared);
    while let Ok(first) = commits.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match commits.try_recv() {
                Ok(c) => batch.push(c),
                Err(_) => break,
            }
        }
        #[cfg(test)]
        if shared.fail_commits.load(Ordering::SeqCst) {
            shared.fail("an injected failure".to_owned());
            return;
        }
        if let Err(e) = persist(&db, &batch) {
            shared.fail(format!("a durable commit failed: {e}"));
            return;
        }
        shared.commits.fetch_add(1, Ordering::Relaxed);
        let last = batch.last().map_or(0, |c| c.seq);
        {
            // The only writer of the committed state; a panic in it fails the store (above).
            let mut state = shared.state.write().unwrap_or_else(PoisonError::into_inner);
            for commit in batch {
                state.apply(commit.changes);
            }
        }
        shared
            .exec
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pending
            .prune(last);
        let mut progress = shared
            .progress
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        progress.durable_seq = last;
        shared.durable.notify_all();
    }
}

fn unavailable(doing: &str, e: impl ToString) -> StoreError {
    StoreError::Unavailable {
        doing: doing.to_owned(),
        detail: e.to_string(),
    }
}

fn write_str<'c, K: ToString + 'c, V: 'c>(
    txn: &redb::WriteTransaction,
    def: TableDefinition<&str, &[u8]>,
    changes: impl Iterator<Item = &'c Change<K, V>>,
) -> Result<(), StoreError> {
    let doing = format!("writing the table {}", def.name());
    let mut table = None;
    for (key, value) in changes {
        let table = match &mut table {
            Some(t) => t,
            None => table.insert(txn.open_table(def).map_err(|e| unavailable(&doing, e))?),
        };
        let key = key.to_string();
        match value {
            Some((_, bytes)) => table.insert(key.as_str(), bytes.as_slice()),
            None => table.remove(key.as_str()),
        }
        .map_err(|e| unavailable(&doing, e))?;
    }
    Ok(())
}

fn write_u64<'c, V: 'c>(
    txn: &redb::WriteTransaction,
    def: TableDefinition<u64, &[u8]>,
    changes: impl Iterator<Item = &'c Change<u64, V>>,
) -> Result<(), StoreError> {
    let doing = format!("writing the table {}", def.name());
    let mut table: Option<Table<u64, &[u8]>> = None;
    for (key, value) in changes {
        let table = match &mut table {
            Some(t) => t,
            None => table.insert(txn.open_table(def).map_err(|e| unavailable(&doing, e))?),
        };
        match value {
            Some((_, bytes)) => table.insert(key, bytes.as_slice()),
            None => table.remove(key),
        }
        .map_err(|e| unavailable(&doing, e))?;
    }
    Ok(())
}

/// Writes the documents of a batch, in commit order.
fn write_documents<'c>(
    txn: &redb::WriteTransaction,
    changes: impl Iterator<Item = &'c (DocumentKey, Option<Arc<[u8]>>)>,
) -> Result<(), StoreError> {
    let doing = "writing the table documents";
    let mut table = None;
    for ((kind, id), body) in changes {
        let table = match &mut table {
            Some(t) => t,
            None => table.insert(
                txn.open_table(records::DOCUMENTS)
                    .map_err(|e| unavailable(doing, e))?,
            ),
        };
        let key = (kind.as_str(), id.as_str());
        match body {
            Some(b) => table.insert(key, &**b),
            None => table.remove(key),
        }
        .map_err(|e| unavailable(doing, e))?;
    }
    Ok(())
}

/// Writes a batch in one redb transaction and commits it durably.
fn persist(db: &Database, batch: &[Commit]) -> Result<(), StoreError> {
    let mut txn = db
        .begin_write()
        .map_err(|e| unavailable("starting a write", e))?;
    txn.set_durability(Durability::Immediate)
        .map_err(|e| unavailable("starting a write", e))?;
    // Saves the allocator state with each commit, so that reopening after a crash needs no full
    // scan of the file (and commits in two phases); group commit pays for it once per batch.
    txn.set_quick_repair(true);
    // In commit order, so that a later transaction's write of a key wins.
    let changes = || batch.iter().map(|c| &c.changes);
    write_str(&txn, records::ENTITIES, changes().flat_map(|c| &c.entities))?;
    write_str(
        &txn,
        records::SUBSCRIPTIONS,
        changes().flat_map(|c| &c.subscriptions),
    )?;
    write_str(&txn, records::PARTIES, changes().flat_map(|c| &c.parties))?;
    write_u64(
        &txn,
        records::NOTIFICATIONS,
        changes().flat_map(|c| &c.notifications),
    )?;
    write_u64(&txn, records::OUTBOX, changes().flat_map(|c| &c.outbox))?;
    write_documents(&txn, changes().flat_map(|c| &c.documents))?;
    let next_notification = changes().filter_map(|c| c.next_notification).max();
    if let Some(next) = next_notification {
        let doing = "writing the table meta";
        let mut meta = txn
            .open_table(records::META)
            .map_err(|e| unavailable(doing, e))?;
        let held = meta
            .get(records::NEXT_NOTIFICATION_KEY)
            .map_err(|e| unavailable(doing, e))?
            .map_or(0, |g| g.value());
        meta.insert(records::NEXT_NOTIFICATION_KEY, next.max(held))
            .map_err(|e| unavailable(doing, e))?;
    }
    txn.commit()
        .map_err(|e| unavailable("committing durably", e))
}

impl Shared {
    /// Turns the store failed for good (fail-stop), waking every waiting caller.
    pub(crate) fn fail(&self, detail: String) {
        self.health.store(Health::Failed as u8, Ordering::SeqCst);
        let mut progress = self.progress.lock().unwrap_or_else(PoisonError::into_inner);
        progress.failure.get_or_insert(detail);
        self.durable.notify_all();
    }
}

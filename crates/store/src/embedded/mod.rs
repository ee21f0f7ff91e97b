//! The embedded store: a redb database in a data directory, with all of its records held in
//! memory and indexed.
//!
//! # Why redb
//! redb is a pure-Rust, actively maintained embedded key-value store with ACID transactions,
//! copy-on-write pages and an fsync'd commit (`Durability::Immediate`): a committed transaction
//! survives `kill -9` and power loss, an uncommitted one leaves no trace. Pure Rust means one
//! static binary for a field deployment, with no C library to build or ship (SQLite through
//! `rusqlite` would bring one). We need no SQL here: queries are answered by the in-memory index
//! and the disk only has to hold records durably — exactly what redb does; the SQL store for
//! clusters is a separate backend of the same trait.
//!
//! # How a transaction runs
//! - The closure runs on the caller's thread under the *execution lock*, so transactions run one
//!   at a time, in commit order. It reads the committed state (behind an `RwLock`) through two
//!   overlays (module `overlay`): *pending*, the writes of the transactions accepted before it
//!   whose durable commit has not happened yet, and its own writes.
//! - If it returns `Ok` having written something, its writes are encoded, numbered, sent to the
//!   writer thread and folded into pending — all still under the lock — and the caller then waits,
//!   without the lock, until its number is durable. If it returns `Err`, its writes are dropped.
//!   Either way, and for a transaction that wrote nothing, the answer waits until every write it
//!   may have read is durable: no caller acts on a write that a crash could lose.
//! - The writer thread (module `writer`) commits every waiting transaction in one durable redb
//!   commit (group commit), then applies them to the committed state. So [`Store::read`] never
//!   sees a write that a crash could lose, and a transaction that returned `Ok` survives a crash.
//! - If a durable commit fails, the store stops for good (fail-stop): every later call returns
//!   [`StoreError::Unavailable`]; reopening the directory recovers what was committed.
//!
//! The closures of [`Store::transact`] borrow from their callers, so they cannot be sent to a
//! thread of ours (no `unsafe` here): they run where they are, and only their writes, which are
//! owned, travel.
//!
//! # Locks
//! The execution lock and the state's `RwLock` are `std::sync` locks: nothing here is async, and
//! they are held only while a closure runs or a batch is applied in memory, never across I/O. A
//! closure must therefore not call back into the store (`read` or `transact`): that would
//! deadlock. A panic in a caller's closure poisons the execution lock without leaving anything
//! half-changed (the closure touches only its own overlay), so that poisoning is ignored; a panic
//! while the writer applies a batch poisons the state's lock, and the store fails. The directory
//! is locked by redb: a second process (or a second open in this one) gets
//! [`StoreError::Unavailable`] naming the directory.
//!
//! # Memory
//! Every record is held in memory, every notification ever recorded and every document included:
//! retention of old notifications is for the service to decide (there is no deletion of them in
//! the trait yet), as is that of documents (which it deletes).

mod overlay;
pub(crate) mod records;
mod state;
#[cfg(test)]
mod tests;
mod tx;
mod view;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::sync::mpsc::{self, Sender};
use std::sync::{Arc, Condvar, Mutex, PoisonError, RwLock, RwLockReadGuard};
use std::thread::JoinHandle;

use redb::{Database, DatabaseError};

use self::overlay::{Changes, Writes};
use self::state::State;
use self::tx::TxContext;
use self::view::Layered;
use self::writer::Commit;
use crate::{Store, StoreError, TxFn, View};

/// Name of the database file in the data directory.
pub const DATABASE_FILE: &str = "deconflict.redb";

/// redb's page cache. Every record is held in memory above it and the file is read only at open,
/// so the cache mostly serves the pages a commit rewrites; redb's default (1 GiB) would keep a
/// second copy of the whole database.
const CACHE_BYTES: usize = 64 * 1024 * 1024;

/// Whether the store can be used.
#[repr(u8)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Health {
    Ok = 0,
    Failed = 1,
}

/// What the writer thread has made durable.
#[derive(Debug, Default)]
struct Progress {
    /// Every transaction up to this number is durable.
    durable_seq: u64,
    /// Why the store failed, once it has.
    failure: Option<String>,
    /// The writer thread has ended.
    closed: bool,
}

/// What the execution lock guards.
#[derive(Debug)]
struct Exec {
    /// Writes accepted and not yet durable.
    pending: Writes,
    /// The number of the last transaction accepted.
    last_seq: u64,
    /// To the writer thread; `None` once the store is being dropped.
    commits: Option<Sender<Commit>>,
}

/// State shared with the writer thread.
#[derive(Debug)]
struct Shared {
    state: RwLock<State>,
    exec: Mutex<Exec>,
    progress: Mutex<Progress>,
    durable: Condvar,
    health: AtomicU8,
    commits: AtomicU64,
    dir: PathBuf,
    /// Makes the next batch fail instead of committing, to test fail-stop.
    #[cfg(test)]
    fail_commits: std::sync::atomic::AtomicBool,
}

/// The embedded [`Store`]: redb in a data directory, everything held in memory, group commit.
#[derive(Debug)]
pub struct EmbeddedStore {
    shared: Arc<Shared>,
    writer: Option<JoinHandle<()>>,
}

fn unavailable(doing: impl Into<String>, e: impl ToString) -> StoreError {
    StoreError::Unavailable {
        doing: doing.into(),
        detail: e.to_string(),
    }
}

impl EmbeddedStore {
    /// Opens the store in `dir`, creating the directory and the database if absent, and loads
    /// every record into memory.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] if the directory cannot be used or another process has it
    /// open; [`StoreError::Corrupt`] if a record cannot be read back.
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        let doing = format!("opening the data directory {}", dir.display());
        std::fs::create_dir_all(dir).map_err(|e| unavailable(&doing, e))?;
        let db = Database::builder()
            .set_cache_size(CACHE_BYTES)
            .create(dir.join(DATABASE_FILE))
            .map_err(|e| match e {
                DatabaseError::DatabaseAlreadyOpen => unavailable(
                    &doing,
                    "it is in use by another process (its database file is locked)",
                ),
                e => unavailable(&doing, e),
            })?;
        records::prepare(&db).map_err(|e| unavailable(&doing, e))?;
        let state = State::load(&db)?;
        let (sender, receiver) = mpsc::channel();
        let shared = Arc::new(Shared {
            state: RwLock::new(state),
            exec: Mutex::new(Exec {
                pending: Writes::default(),
                last_seq: 0,
                commits: Some(sender),
            }),
            progress: Mutex::new(Progress::default()),
            durable: Condvar::new(),
            health: AtomicU8::new(Health::Ok as u8),
            commits: AtomicU64::new(0),
            dir: dir.to_owned(),
            #[cfg(test)]
            fail_commits: std::sync::atomic::AtomicBool::new(false),
        });
        let for_writer = Arc::clone(&shared);
        let writer = std::thread::Builder::new()
            .name("deconflict-store-writer".to_owned())
            .spawn(move || writer::run(db, receiver, for_writer))
            .map_err(|e| unavailable(&doing, e))?;
        Ok(Self {
            shared,
            writer: Some(writer),
        })
    }

    /// The data directory.
    pub fn dir(&self) -> &Path {
        &self.shared.dir
    }

    /// How many durable commits (fsyncs of a batch) have been made since open. Fewer than the
    /// transactions committed when group commit shares them.
    pub fn commits(&self) -> u64 {
        self.shared.commits.load(Ordering::Relaxed)
    }

    fn check(&self) -> Result<(), StoreError> {
        if self.shared.health.load(Ordering::SeqCst) == Health::Ok as u8 {
            return Ok(());
        }
        let progress = self.lock_progress();
        Err(self.failure(&progress))
    }

    fn lock_progress(&self) -> std::sync::MutexGuard<'_, Progress> {
        self.shared
            .progress
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn failure(&self, progress: &Progress) -> StoreError {
        match &progress.failure {
            Some(detail) => unavailable(
                format!(
                    "using the data directory {} (stopped after a failed commit; reopen it)",
                    self.shared.dir.display()
                ),
                detail,
            ),
            None => StoreError::Closed,
        }
    }

    /// The committed state. Only the writer thread takes the lock for writing, so it is poisoned
    /// only by a panic half-way through applying a batch: then the state cannot be trusted.
    fn read_state(&self) -> Result<RwLockReadGuard<'_, State>, StoreError> {
        self.shared.state.read().map_err(|_| {
            unavailable(
                format!("reading the data directory {}", self.shared.dir.display()),
                "the writer thread panicked while applying a commit; reopen the store",
            )
        })
    }

    /// Waits until transaction `seq` is durable.
    fn wait_durable(&self, seq: u64) -> Result<(), StoreError> {
        let mut progress = self.lock_progress();
        loop {
            if progress.durable_seq >= seq {
                return Ok(());
            }
            if progress.failure.is_some() || progress.closed {
                return Err(self.failure(&progress));
            }
            progress = self
                .shared
                .durable
                .wait(progress)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// Runs `f` under the execution lock; returns its outcome and the number of the transaction
    /// whose durability the outcome depends on (its own, or the last accepted before it, whose
    /// writes it may have read).
    fn execute<T, E>(&self, f: &mut TxFn<'_, T, E>) -> Result<(Result<T, E>, u64), StoreError> {
        let mut exec = self
            .shared
            .exec
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        self.check()?;
        let state = self.read_state()?;
        let mut cx = TxContext::new(&state, &exec.pending);
        let outcome = f(&mut cx);
        let writes = cx.into_writes();
        drop(state);
        if outcome.is_err() || writes.is_empty() {
            return Ok((outcome, exec.last_seq));
        }
        let changes = Changes::encode(&writes)?;
        let seq = exec.last_seq + 1;
        let sent = exec
            .commits
            .as_ref()
            .is_some_and(|s| s.send(Commit { seq, changes }).is_ok());
        if !sent {
            drop(exec);
            self.check()?;
            return Err(StoreError::Closed);
        }
        exec.last_seq = seq;
        exec.pending.absorb(writes, seq);
        Ok((outcome, seq))
    }
}

impl Store for EmbeddedStore {
    fn read<T>(
        &self,
        f: &mut (dyn FnMut(&dyn View) -> Result<T, StoreError> + Send),
    ) -> Result<T, StoreError> {
        self.check()?;
        let state = self.read_state()?;
        f(&Layered::committed(&state))
    }

    fn transact<T, E>(&self, f: &mut TxFn<'_, T, E>) -> Result<T, E>
    where
        T: Send,
        E: From<StoreError> + Send,
    {
        // Whatever the closure answered, even a refusal, may rest on pending writes: it is
        // answered only once they are durable.
        let (outcome, seq) = self.execute(f)?;
        self.wait_durable(seq)?;
        outcome
    }
}

impl Drop for EmbeddedStore {
    /// Stops the writer thread (after it has committed whatever it was given) and waits for it,
    /// so that the directory is free again when this returns.
    fn drop(&mut self) {
        drop(
            self.shared
                .exec
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .commits
                .take(),
        );
        if let Some(writer) = self.writer.take() {
            // A panic of the writer has already failed the store; nothing is left to report it to.
            let _ = writer.join();
        }
    }
}

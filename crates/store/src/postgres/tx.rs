//! The [`Tx`] of the PostgreSQL store: each method one or two statements in the open
//! transaction. Reads take `&self` (the trait's), so the transaction sits in a `RefCell`.
//!
//! A statement that fails with a serialization failure marks the transaction for a retry; the
//! error returned to the closure is then irrelevant, as the caller ([`super::PostgresStore`])
//! discards the attempt whatever the closure made of it.

use std::cell::{Cell, RefCell};

use chrono::{DateTime, Utc};
use deconflict_core::{
    Entity, EntityId, NewNotification, Notification, Party, PartyId, Subscription, SubscriptionId,
    Volume4d,
};
use h3o::Resolution;
use postgres::Row;
use postgres::types::{ToSql, Type};
use uuid::Uuid;

use super::cells::{self, MAX_QUERY_KEYS};
use super::{is_retryable, sql_error};
use crate::embedded::records;
use crate::{Attempt, Delivery, StoreError, Tx, View};

type Params<'a> = [(&'a (dyn ToSql + Sync), Type)];

/// One attempt of a transaction.
pub(crate) struct PgTx<'c> {
    txn: RefCell<postgres::Transaction<'c>>,
    resolution: Resolution,
    retry: Cell<bool>,
    wrote: Cell<bool>,
}

/// The two tables of things with volumes.
#[derive(Clone, Copy)]
enum Spatial {
    Entities,
    Subscriptions,
}

impl Spatial {
    fn table(self) -> &'static str {
        match self {
            Self::Entities => "entities",
            Self::Subscriptions => "subscriptions",
        }
    }
}

fn corrupt(key: String, detail: impl ToString) -> StoreError {
    StoreError::Corrupt {
        key,
        detail: detail.to_string(),
    }
}

fn to_i64(table: &str, n: u64) -> Result<i64, StoreError> {
    i64::try_from(n).map_err(|_| corrupt(records::name(table, n), "id out of range"))
}

fn to_u64(table: &str, n: i64) -> Result<u64, StoreError> {
    u64::try_from(n).map_err(|_| corrupt(records::name(table, n), "negative id"))
}

impl<'c> PgTx<'c> {
    pub fn new(txn: postgres::Transaction<'c>, resolution: Resolution) -> Self {
        Self {
            txn: RefCell::new(txn),
            resolution,
            retry: Cell::new(false),
            wrote: Cell::new(false),
        }
    }

    /// Whether a statement failed in a way that calls for running the transaction again.
    pub fn must_retry(&self) -> bool {
        self.retry.get()
    }

    /// Whether anything was written.
    pub fn wrote(&self) -> bool {
        self.wrote.get()
    }

    pub fn commit(self) -> Result<(), postgres::Error> {
        self.txn.into_inner().commit()
    }

    fn query(&self, doing: &str, sql: &str, params: &Params<'_>) -> Result<Vec<Row>, StoreError> {
        self.txn
            .borrow_mut()
            .query_typed(sql, params)
            .map_err(|e| self.failed(doing, &e))
    }

    fn execute(&self, doing: &str, sql: &str, params: &Params<'_>) -> Result<u64, StoreError> {
        self.wrote.set(true);
        self.txn
            .borrow_mut()
            .execute_typed(sql, params)
            .map_err(|e| self.failed(doing, &e))
    }

    fn failed(&self, doing: &str, e: &postgres::Error) -> StoreError {
        if is_retryable(e) {
            self.retry.set(true);
        }
        sql_error(doing, e)
    }

    /// Rows of `kind` whose envelope meets that of `volumes` and whose keys meet theirs (when
    /// there are few enough to be worth matching): candidates for the exact test.
    fn candidates(&self, kind: Spatial, volumes: &[Volume4d]) -> Result<Vec<Row>, StoreError> {
        let Some(env) = cells::envelope(volumes) else {
            return Ok(Vec::new());
        };
        let keys = cells::query_keys(volumes, self.resolution, MAX_QUERY_KEYS);
        let mut params: Vec<(&(dyn ToSql + Sync), Type)> = vec![
            (&env.t_end, Type::TIMESTAMPTZ),
            (&env.t_start, Type::TIMESTAMPTZ),
            (&env.alt_hi, Type::FLOAT8),
            (&env.alt_lo, Type::FLOAT8),
        ];
        // Without keys (too many to be worth matching: a long window), the coarse time-free
        // areas pre-select; without those either (a huge area), the envelope alone.
        let areas = match &keys {
            Some(_) => None,
            None => cells::query_areas(volumes, MAX_QUERY_KEYS),
        };
        let by_keys = match (&keys, &areas) {
            (Some(k), _) => {
                params.push((k, Type::INT8_ARRAY));
                " AND keys && $5"
            }
            (None, Some(a)) => {
                params.push((a, Type::INT8_ARRAY));
                " AND areas && $5"
            }
            (None, None) => "",
        };
        self.query(
            &format!("querying {}", kind.table()),
            &format!(
                "SELECT id, body FROM {} \
                 WHERE t_start < $1 AND t_end > $2 AND alt_lo <= $3 AND alt_hi >= $4{by_keys}",
                kind.table()
            ),
            &params,
        )
    }

    /// Writes a row of `kind`.
    fn put_spatial(
        &self,
        kind: Spatial,
        id: Uuid,
        owner: &PartyId,
        volumes: &[Volume4d],
        body: &[u8],
    ) -> Result<(), StoreError> {
        let key = records::name(kind.table(), id);
        let env = cells::envelope(volumes).ok_or_else(|| corrupt(key.clone(), "no volumes"))?;
        let cover = cells::row_keys(volumes, self.resolution)
            .ok_or_else(|| corrupt(key, "its footprints cannot be covered by cells"))?;
        let areas = cells::row_areas(volumes);
        let owner = owner.as_str();
        self.execute(
            &format!("writing {}", kind.table()),
            &format!(
                "INSERT INTO {} (id, owner, keys, alt_lo, alt_hi, t_start, t_end, body, areas) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                 ON CONFLICT (id) DO UPDATE SET owner = excluded.owner, keys = excluded.keys, \
                 alt_lo = excluded.alt_lo, alt_hi = excluded.alt_hi, t_start = excluded.t_start, \
                 t_end = excluded.t_end, body = excluded.body, areas = excluded.areas",
                kind.table()
            ),
            &[
                (&id, Type::UUID),
                (&owner, Type::TEXT),
                (&cover, Type::INT8_ARRAY),
                (&env.alt_lo, Type::FLOAT8),
                (&env.alt_hi, Type::FLOAT8),
                (&env.t_start, Type::TIMESTAMPTZ),
                (&env.t_end, Type::TIMESTAMPTZ),
                (&body, Type::BYTEA),
                (&areas, Type::INT8_ARRAY),
            ],
        )?;
        Ok(())
    }

    fn delete_spatial(&self, kind: Spatial, id: Uuid) -> Result<bool, StoreError> {
        let n = self.execute(
            &format!("deleting from {}", kind.table()),
            &format!("DELETE FROM {} WHERE id = $1", kind.table()),
            &[(&id, Type::UUID)],
        )?;
        Ok(n > 0)
    }

    fn notification(&self, id: u64) -> Result<Option<Notification>, StoreError> {
        let key = to_i64("notifications", id)?;
        let rows = self.query(
            "reading a notification",
            "SELECT body FROM notifications WHERE id = $1",
            &[(&key, Type::INT8)],
        )?;
        rows.first()
            .map(|r| records::decode_notification(id, r.get(0)))
            .transpose()
    }
}

fn decode_entities(rows: &[Row]) -> Result<Vec<Entity>, StoreError> {
    rows.iter()
        .map(|r| records::decode_entity(&r.get::<_, Uuid>(0).to_string(), r.get(1)))
        .collect()
}

fn decode_subscriptions(rows: &[Row]) -> Result<Vec<Subscription>, StoreError> {
    rows.iter()
        .map(|r| records::decode_subscription(&r.get::<_, Uuid>(0).to_string(), r.get(1)))
        .collect()
}

impl View for PgTx<'_> {
    fn entity(&self, id: &EntityId) -> Result<Option<Entity>, StoreError> {
        let rows = self.query(
            "reading an entity",
            "SELECT id, body FROM entities WHERE id = $1",
            &[(&id.0, Type::UUID)],
        )?;
        Ok(decode_entities(&rows)?.pop())
    }

    fn entities_intersecting(&self, volumes: &[Volume4d]) -> Result<Vec<Entity>, StoreError> {
        let rows = self.candidates(Spatial::Entities, volumes)?;
        let mut found: Vec<Entity> = decode_entities(&rows)?
            .into_iter()
            .filter(|e| e.intersects_any(volumes))
            .collect();
        found.sort_unstable_by_key(|e| e.id);
        Ok(found)
    }

    fn entities(&self) -> Result<Vec<Entity>, StoreError> {
        let rows = self.query("reading entities", "SELECT id, body FROM entities", &[])?;
        let mut all = decode_entities(&rows)?;
        all.sort_unstable_by_key(|e| e.id);
        Ok(all)
    }

    fn subscription(&self, id: &SubscriptionId) -> Result<Option<Subscription>, StoreError> {
        let rows = self.query(
            "reading a subscription",
            "SELECT id, body FROM subscriptions WHERE id = $1",
            &[(&id.0, Type::UUID)],
        )?;
        Ok(decode_subscriptions(&rows)?.pop())
    }

    fn subscriptions_intersecting(
        &self,
        volumes: &[Volume4d],
    ) -> Result<Vec<Subscription>, StoreError> {
        let rows = self.candidates(Spatial::Subscriptions, volumes)?;
        let mut found: Vec<Subscription> = decode_subscriptions(&rows)?
            .into_iter()
            .filter(|s| {
                s.volumes
                    .iter()
                    .any(|a| volumes.iter().any(|b| a.intersects(b)))
            })
            .collect();
        found.sort_unstable_by_key(|s| s.id);
        Ok(found)
    }

    fn subscriptions_of(&self, owner: &PartyId) -> Result<Vec<Subscription>, StoreError> {
        let owner = owner.as_str();
        let rows = self.query(
            "reading subscriptions",
            "SELECT id, body FROM subscriptions WHERE owner = $1",
            &[(&owner, Type::TEXT)],
        )?;
        let mut all = decode_subscriptions(&rows)?;
        all.sort_unstable_by_key(|s| s.id);
        Ok(all)
    }

    fn party(&self, id: &PartyId) -> Result<Option<Party>, StoreError> {
        let key = id.as_str();
        let rows = self.query(
            "reading a party",
            "SELECT body FROM parties WHERE id = $1",
            &[(&key, Type::TEXT)],
        )?;
        rows.first()
            .map(|r| records::decode_party(key, r.get(0)))
            .transpose()
    }

    fn parties(&self) -> Result<Vec<Party>, StoreError> {
        let rows = self.query("reading parties", "SELECT id, body FROM parties", &[])?;
        let mut all = rows
            .iter()
            .map(|r| records::decode_party(r.get(0), r.get(1)))
            .collect::<Result<Vec<_>, _>>()?;
        // In Rust, not SQL: the database's collation need not be byte order.
        all.sort_unstable_by(|a, b| a.id.cmp(&b.id));
        Ok(all)
    }

    fn inbox(
        &self,
        recipient: &PartyId,
        after: u64,
        limit: usize,
    ) -> Result<Vec<Notification>, StoreError> {
        let Ok(after) = i64::try_from(after) else {
            return Ok(Vec::new());
        };
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let recipient = recipient.as_str();
        let rows = self.query(
            "reading an inbox",
            "SELECT id, body FROM notifications WHERE recipient = $1 AND id > $2 \
             ORDER BY id LIMIT $3",
            &[
                (&recipient, Type::TEXT),
                (&after, Type::INT8),
                (&limit, Type::INT8),
            ],
        )?;
        rows.iter()
            .map(|r| records::decode_notification(to_u64("notifications", r.get(0))?, r.get(1)))
            .collect()
    }

    fn due_deliveries(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Delivery>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = self.query(
            "reading the outbox",
            "SELECT o.id, o.url, o.attempts, o.next_attempt_at, n.body \
             FROM outbox o JOIN notifications n ON n.id = o.id \
             WHERE o.next_attempt_at <= $1 ORDER BY o.next_attempt_at, o.id LIMIT $2",
            &[(&now, Type::TIMESTAMPTZ), (&limit, Type::INT8)],
        )?;
        rows.iter()
            .map(|r| {
                let id = to_u64("outbox", r.get(0))?;
                Ok(Delivery {
                    notification: records::decode_notification(id, r.get(4))?,
                    url: r.get(1),
                    attempts: u32::try_from(r.get::<_, i64>(2)).unwrap_or(u32::MAX),
                    next_attempt_at: r.get(3),
                })
            })
            .collect()
    }

    fn document(&self, kind: &str, id: &str) -> Result<Option<Vec<u8>>, StoreError> {
        crate::check_document(kind, Some(id))?;
        let rows = self.query(
            "reading a document",
            "SELECT body FROM documents WHERE kind = $1 AND id = $2",
            &[(&kind, Type::TEXT), (&id, Type::TEXT)],
        )?;
        Ok(rows.first().map(|r| r.get(0)))
    }

    fn documents(
        &self,
        kind: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        crate::check_document(kind, after)?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let doing = "reading documents";
        // Bytewise, as the embedded store orders them, whatever the database's collation.
        let rows = match after {
            Some(after) => self.query(
                doing,
                "SELECT id, body FROM documents WHERE kind = $1 AND id COLLATE \"C\" > $2 \
                 ORDER BY id COLLATE \"C\" LIMIT $3",
                &[
                    (&kind, Type::TEXT),
                    (&after, Type::TEXT),
                    (&limit, Type::INT8),
                ],
            )?,
            None => self.query(
                doing,
                "SELECT id, body FROM documents WHERE kind = $1 \
                 ORDER BY id COLLATE \"C\" LIMIT $2",
                &[(&kind, Type::TEXT), (&limit, Type::INT8)],
            )?,
        };
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }
}

impl Tx for PgTx<'_> {
    fn put_entity(&mut self, entity: Entity) -> Result<(), StoreError> {
        let body = records::encode_entity(&entity)?;
        self.put_spatial(
            Spatial::Entities,
            entity.id.0,
            &entity.owner,
            &entity.volumes,
            &body,
        )
    }

    fn delete_entity(&mut self, id: &EntityId) -> Result<bool, StoreError> {
        self.delete_spatial(Spatial::Entities, id.0)
    }

    fn put_subscription(&mut self, subscription: Subscription) -> Result<(), StoreError> {
        let body = records::encode_subscription(&subscription)?;
        self.put_spatial(
            Spatial::Subscriptions,
            subscription.id.0,
            &subscription.owner,
            &subscription.volumes,
            &body,
        )
    }

    fn delete_subscription(&mut self, id: &SubscriptionId) -> Result<bool, StoreError> {
        self.delete_spatial(Spatial::Subscriptions, id.0)
    }

    fn put_party(&mut self, party: Party) -> Result<(), StoreError> {
        let body = records::encode_party(&party)?;
        let id = party.id.as_str();
        self.execute(
            "writing a party",
            "INSERT INTO parties (id, body) VALUES ($1, $2) \
             ON CONFLICT (id) DO UPDATE SET body = excluded.body",
            &[(&id, Type::TEXT), (&body, Type::BYTEA)],
        )?;
        Ok(())
    }

    fn notify(
        &mut self,
        notification: NewNotification,
        now: DateTime<Utc>,
    ) -> Result<Notification, StoreError> {
        self.wrote.set(true);
        let rows = self.query(
            "taking a notification id",
            "UPDATE deconflict_settings SET value = value + 1 \
             WHERE name = 'next_notification_id' RETURNING value - 1",
            &[],
        )?;
        let id: i64 = rows.first().map(|r| r.get(0)).ok_or_else(|| {
            corrupt(
                "deconflict_settings/next_notification_id".to_owned(),
                "missing",
            )
        })?;
        let (recorded, callback_url) =
            crate::recorded(notification, to_u64("notifications", id)?, now);
        let body = records::encode_notification(&recorded)?;
        let recipient = recorded.recipient.as_str();
        self.execute(
            "recording a notification",
            "INSERT INTO notifications (id, recipient, body) VALUES ($1, $2, $3)",
            &[
                (&id, Type::INT8),
                (&recipient, Type::TEXT),
                (&body, Type::BYTEA),
            ],
        )?;
        if let Some(url) = callback_url {
            self.execute(
                "queueing a delivery",
                "INSERT INTO outbox (id, url, attempts, next_attempt_at) VALUES ($1, $2, 0, $3)",
                &[
                    (&id, Type::INT8),
                    (&url, Type::TEXT),
                    (&now, Type::TIMESTAMPTZ),
                ],
            )?;
        }
        Ok(recorded)
    }

    fn acknowledge(
        &mut self,
        recipient: &PartyId,
        id: u64,
        at: DateTime<Utc>,
    ) -> Result<Option<Notification>, StoreError> {
        let Some(n) = self.notification(id)? else {
            return Ok(None);
        };
        let Some((n, changed)) = crate::acknowledged(n, recipient, at) else {
            return Ok(None);
        };
        if changed {
            let body = records::encode_notification(&n)?;
            let key = to_i64("notifications", id)?;
            self.execute(
                "acknowledging a notification",
                "UPDATE notifications SET body = $2 WHERE id = $1",
                &[(&key, Type::INT8), (&body, Type::BYTEA)],
            )?;
        }
        Ok(Some(n))
    }

    fn record_attempt(&mut self, id: u64, attempt: Attempt) -> Result<(), StoreError> {
        let key = to_i64("outbox", id)?;
        let doing = "recording a delivery attempt";
        match attempt {
            Attempt::Delivered | Attempt::GaveUp => {
                self.execute(
                    doing,
                    "DELETE FROM outbox WHERE id = $1",
                    &[(&key, Type::INT8)],
                )?;
            }
            Attempt::Retry { at } => {
                self.execute(
                    doing,
                    "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = $2 WHERE id = $1",
                    &[(&key, Type::INT8), (&at, Type::TIMESTAMPTZ)],
                )?;
            }
            Attempt::Claimed { until } => {
                self.execute(
                    doing,
                    "UPDATE outbox SET next_attempt_at = $2 WHERE id = $1",
                    &[(&key, Type::INT8), (&until, Type::TIMESTAMPTZ)],
                )?;
            }
        }
        Ok(())
    }

    fn put_document(&mut self, kind: &str, id: &str, body: Vec<u8>) -> Result<(), StoreError> {
        crate::check_document(kind, Some(id))?;
        self.execute(
            "writing a document",
            "INSERT INTO documents (kind, id, body) VALUES ($1, $2, $3) \
             ON CONFLICT (kind, id) DO UPDATE SET body = excluded.body",
            &[(&kind, Type::TEXT), (&id, Type::TEXT), (&body, Type::BYTEA)],
        )?;
        Ok(())
    }

    fn delete_document(&mut self, kind: &str, id: &str) -> Result<bool, StoreError> {
        crate::check_document(kind, Some(id))?;
        let n = self.execute(
            "deleting a document",
            "DELETE FROM documents WHERE kind = $1 AND id = $2",
            &[(&kind, Type::TEXT), (&id, Type::TEXT)],
        )?;
        Ok(n > 0)
    }
}

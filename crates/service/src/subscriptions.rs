//! Subscriptions (an area and window a party wants to hear about) and the inbox they fill.

use std::sync::Arc;

use deconflict_core::{Notification, Subscription, SubscriptionId, Volume4d, VolumeSpec};
use deconflict_store::Store;

use crate::Service;
use crate::caller::{Caller, SCOPE_READ, SCOPE_WRITE};
use crate::error::ServiceError;

/// A request to create (`expected_version: None`) or replace a subscription.
#[derive(Debug, Clone)]
pub struct PutSubscription {
    /// Its id (chosen by the caller).
    pub id: SubscriptionId,
    /// Area and window.
    pub volumes: Vec<VolumeSpec>,
    /// Where to POST notifications (they always reach the inbox too).
    pub callback_url: Option<String>,
    /// Hear of operations.
    pub notify_operations: bool,
    /// Hear of zones.
    pub notify_zones: bool,
    /// The version last read, to replace; `None` to create.
    pub expected_version: Option<u64>,
}

/// A subscription as its owner sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct SubscriptionView {
    /// Its id.
    pub id: SubscriptionId,
    /// Area and window.
    pub volumes: Vec<VolumeSpec>,
    /// Webhook.
    pub callback_url: Option<String>,
    /// Hears of operations.
    pub notify_operations: bool,
    /// Hears of zones.
    pub notify_zones: bool,
    /// Notifications sent so far.
    pub notification_index: u64,
    /// Writes so far.
    pub version: u64,
}

impl From<&Subscription> for SubscriptionView {
    fn from(s: &Subscription) -> Self {
        Self {
            id: s.id,
            volumes: s.volumes.iter().map(VolumeSpec::from).collect(),
            callback_url: s.callback_url.clone(),
            notify_operations: s.notify_operations,
            notify_zones: s.notify_zones,
            notification_index: s.notification_index,
            version: s.version,
        }
    }
}

fn check_callback(url: &Option<String>) -> Result<(), ServiceError> {
    match url {
        Some(u) if !(u.starts_with("http://") || u.starts_with("https://")) || u.len() > 2048 => {
            Err(ServiceError::Invalid(
                deconflict_core::ValidationError::new(
                    "callback_url",
                    deconflict_core::Reason::Malformed(
                        "must be an http:// or https:// URL of at most 2048 characters".into(),
                    ),
                ),
            ))
        }
        _ => Ok(()),
    }
}

impl<S: Store> Service<S> {
    /// Creates or replaces one of the caller's subscriptions (compare-and-swap on its version).
    ///
    /// # Errors
    /// [`ServiceError::Invalid`], [`ServiceError::AlreadyExists`], [`ServiceError::NotFound`],
    /// [`ServiceError::Forbidden`], [`ServiceError::VersionMismatch`],
    /// [`ServiceError::MissingScope`].
    pub fn put_subscription(
        &self,
        caller: &Caller,
        req: PutSubscription,
    ) -> Result<SubscriptionView, ServiceError> {
        caller.require(SCOPE_WRITE)?;
        check_callback(&req.callback_url)?;
        let volumes: Arc<[Volume4d]> =
            VolumeSpec::to_volumes(&req.volumes, &self.config.limits)?.into();
        let what = || format!("subscription {}", req.id);
        self.transact(caller.party.as_str(), &mut |tx| {
            let current = tx.subscription(&req.id)?;
            let (version, index) = match (&current, req.expected_version) {
                (Some(_), None) => return Err(ServiceError::AlreadyExists(what())),
                (None, Some(_)) => return Err(ServiceError::NotFound(what())),
                (Some(c), Some(_)) if c.owner != caller.party => {
                    return Err(ServiceError::Forbidden(format!(
                        "{} belongs to another party",
                        what()
                    )));
                }
                (Some(c), Some(v)) if c.version != v => {
                    return Err(ServiceError::VersionMismatch { what: what() });
                }
                (Some(c), Some(_)) => (c.version + 1, c.notification_index),
                (None, None) => (1, 0),
            };
            let sub = Subscription {
                id: req.id,
                owner: caller.party.clone(),
                volumes: volumes.clone(),
                callback_url: req.callback_url.clone(),
                notify_operations: req.notify_operations,
                notify_zones: req.notify_zones,
                notification_index: index,
                version,
                uss_base_url: current.as_ref().and_then(|c| c.uss_base_url.clone()),
                implicit: current.as_ref().is_some_and(|c| c.implicit),
            };
            tx.put_subscription(sub.clone())?;
            Ok(SubscriptionView::from(&sub))
        })
    }

    /// One of the caller's subscriptions.
    ///
    /// # Errors
    /// [`ServiceError::NotFound`] (also for another party's: their existence is not disclosed).
    pub fn get_subscription(
        &self,
        caller: &Caller,
        id: SubscriptionId,
    ) -> Result<SubscriptionView, ServiceError> {
        caller.require(SCOPE_READ)?;
        let found = self.store.read(&mut |v| v.subscription(&id))?;
        match found {
            Some(s) if s.owner == caller.party => Ok(SubscriptionView::from(&s)),
            _ => Err(ServiceError::NotFound(format!("subscription {id}"))),
        }
    }

    /// The caller's subscriptions.
    ///
    /// # Errors
    /// [`ServiceError::MissingScope`], or the store's.
    pub fn list_subscriptions(
        &self,
        caller: &Caller,
    ) -> Result<Vec<SubscriptionView>, ServiceError> {
        caller.require(SCOPE_READ)?;
        let subs = self
            .store
            .read(&mut |v| v.subscriptions_of(&caller.party))?;
        Ok(subs.iter().map(SubscriptionView::from).collect())
    }

    /// Deletes one of the caller's subscriptions (compare-and-swap on its version).
    ///
    /// # Errors
    /// [`ServiceError::NotFound`], [`ServiceError::VersionMismatch`].
    pub fn delete_subscription(
        &self,
        caller: &Caller,
        id: SubscriptionId,
        version: u64,
    ) -> Result<SubscriptionView, ServiceError> {
        caller.require(SCOPE_WRITE)?;
        self.transact(caller.party.as_str(), &mut |tx| {
            let Some(s) = tx.subscription(&id)?.filter(|s| s.owner == caller.party) else {
                return Err(ServiceError::NotFound(format!("subscription {id}")));
            };
            if s.version != version {
                return Err(ServiceError::VersionMismatch {
                    what: format!("subscription {id}"),
                });
            }
            tx.delete_subscription(&id)?;
            Ok(SubscriptionView::from(&s))
        })
    }

    /// The caller's notifications after id `after`, oldest first.
    ///
    /// # Errors
    /// [`ServiceError::MissingScope`], or the store's.
    pub fn inbox(&self, caller: &Caller, after: u64) -> Result<Vec<Notification>, ServiceError> {
        caller.require(SCOPE_READ)?;
        let page = self.config.inbox_page;
        Ok(self
            .store
            .read(&mut |v| v.inbox(&caller.party, after, page))?)
    }

    /// Acknowledges one of the caller's notifications (the first time is kept).
    ///
    /// # Errors
    /// [`ServiceError::NotFound`] if the caller has no such notification.
    pub fn acknowledge(&self, caller: &Caller, id: u64) -> Result<Notification, ServiceError> {
        caller.require(SCOPE_READ)?;
        let now = self.clock.now();
        self.transact(caller.party.as_str(), &mut |tx| {
            crate::hotline::acknowledge(tx, &caller.party, id, now)?
                .ok_or_else(|| ServiceError::NotFound(format!("notification {id}")))
        })
    }
}

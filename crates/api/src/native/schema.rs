//! OpenAPI schemas of the core types the native API carries as they are (`VolumeSpec`,
//! `OperationState`, `ZoneKind`, `Notification`, `AuditEntry`). `deconflict-core` knows nothing of OpenAPI, so
//! these documentation-only mirrors describe them here; the DTOs point at them with
//! `#[schema(value_type = ...)]`. They are never built by the server: the tests below send the
//! core types' own JSON through them, both ways, so a change in the core that they do not follow
//! fails there.

// The mirrors derive serde only in tests, where they check the core's JSON; ToSchema reads the
// `#[serde]` attributes for the schema in every build.
#![cfg_attr(
    not(test),
    expect(dead_code, reason = "documentation only: described, never built")
)]

use chrono::{DateTime, Utc};
use utoipa::ToSchema;

/// A position: `[lon, lat]`, WGS84 degrees.
#[derive(ToSchema)]
#[cfg_attr(test, derive(Debug, serde::Serialize, serde::Deserialize))]
#[schema(as = LonLat, min_items = 2, max_items = 2)]
pub struct LonLatSchema([f64; 2]);

/// A footprint: a polygon or a geodesic circle.
#[derive(ToSchema)]
#[cfg_attr(test, derive(Debug, serde::Serialize, serde::Deserialize))]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
#[schema(as = FootprintSpec)]
pub enum FootprintSpecSchema {
    /// A polygon of `[lon, lat]` WGS84 degrees, straight edges in lon/lat (open or closed ring).
    Polygon {
        /// The vertices (at least 3 distinct).
        #[schema(value_type = Vec<LonLatSchema>)]
        vertices: Vec<LonLatSchema>,
    },
    /// A geodesic circle.
    Circle {
        /// The centre.
        #[schema(value_type = LonLatSchema)]
        center: LonLatSchema,
        /// Radius in metres.
        radius_m: f64,
    },
}

/// A 4D volume: a footprint, a closed altitude band and a half-open time window.
#[derive(ToSchema)]
#[cfg_attr(test, derive(Debug, serde::Serialize, serde::Deserialize))]
#[serde(deny_unknown_fields)]
#[schema(as = VolumeSpec)]
pub struct VolumeSpecSchema {
    /// Where.
    #[schema(value_type = FootprintSpecSchema)]
    footprint: FootprintSpecSchema,
    /// Lowest altitude, metres above the WGS84 ellipsoid.
    altitude_lower_m: f64,
    /// Highest altitude, metres above the WGS84 ellipsoid (closed band).
    altitude_upper_m: f64,
    /// First instant, UTC.
    time_start: DateTime<Utc>,
    /// First instant after the window, UTC (half-open window).
    time_end: DateTime<Utc>,
}

/// State of an operation (F3548 `OperationalIntentState`): `Accepted` and `Activated` are
/// deconflicted with the key rule; `Nonconforming` and `Contingent` are announced.
#[derive(ToSchema)]
#[cfg_attr(test, derive(Debug, serde::Serialize, serde::Deserialize))]
#[schema(as = OperationState)]
pub enum OperationStateSchema {
    /// Planned and deconflicted, not yet flying.
    Accepted,
    /// Flying.
    Activated,
    /// Flying outside its volumes.
    Nonconforming,
    /// Out of control of its operator.
    Contingent,
}

/// Kind of a zone.
#[derive(ToSchema)]
#[cfg_attr(test, derive(Debug, serde::Serialize, serde::Deserialize))]
#[serde(rename_all = "snake_case")]
#[schema(as = ZoneKind)]
pub enum ZoneKindSchema {
    /// An area closed to others' operations (F3548 constraint).
    Restricted,
    /// A humanitarian site or movement notified to all parties.
    Protected,
    /// An area of an agreement (ceasefire) in force.
    Ceasefire,
    /// An area where a party declares a named group present.
    Separation,
    /// A protected site or movement notified `conflict-only` (seen by its notifier only).
    Confidential,
}

/// What happened to an entity.
#[derive(ToSchema)]
#[cfg_attr(test, derive(Debug, serde::Serialize, serde::Deserialize))]
#[serde(rename_all = "snake_case")]
#[schema(as = Change)]
pub enum ChangeSchema {
    /// Filed.
    Created,
    /// Changed (volumes, state or priority).
    Updated,
    /// Withdrawn or ended.
    Deleted,
}

/// An F3548 subscription with its notification index.
#[derive(ToSchema)]
#[cfg_attr(test, derive(Debug, serde::Serialize, serde::Deserialize))]
#[schema(as = SubscriptionIndex)]
pub struct SubscriptionIndexSchema {
    /// The subscription's id.
    #[schema(format = Uuid)]
    subscription: String,
    /// Its notification index.
    notification_index: u64,
}

/// What a notification says.
#[derive(ToSchema)]
#[cfg_attr(test, derive(Debug, serde::Serialize, serde::Deserialize))]
#[serde(tag = "type", rename_all = "snake_case")]
#[schema(as = Event)]
pub enum EventSchema {
    /// An entity in a subscribed area changed.
    EntityChanged {
        /// The entity's id.
        #[schema(format = Uuid)]
        entity: String,
        /// Its owner (a party id).
        owner: String,
        /// Created, updated or deleted.
        #[schema(value_type = ChangeSchema)]
        change: ChangeSchema,
        /// Its OVN after the change (null after a deletion).
        #[schema(required = true)]
        ovn: Option<String>,
        /// The subscription that matched.
        #[schema(format = Uuid)]
        subscription: String,
    },
    /// F3548: a natively filed operation (or zone, `constraint`) in the area of the recipient
    /// USS's subscriptions changed; deconflict posts the standard's notification to the USS's
    /// base URL (`/uss/v1/operational_intents` or `/uss/v1/constraints`).
    UssNotified {
        /// The entity's id.
        #[schema(format = Uuid)]
        entity: String,
        /// Whether it is a constraint (a zone) rather than an operational intent.
        constraint: bool,
        /// The recipient's subscriptions there, with their notification indexes after the
        /// change.
        subscriptions: Vec<SubscriptionIndexSchema>,
    },
    /// A ceasefire agreement binding the recipient changed status.
    CeasefireChanged {
        /// The agreement's id.
        #[schema(format = Uuid)]
        agreement: String,
        /// `proposed`, `in_force`, `ended` or `denounced`.
        status: String,
        /// The party whose act changed it.
        by: String,
    },
    /// A party declared an exemption to file an operation inside an agreement in force that
    /// binds it and the recipient.
    ExemptionDeclared {
        /// The agreement's id.
        #[schema(format = Uuid)]
        agreement: String,
        /// The operation's id.
        #[schema(format = Uuid)]
        operation: String,
        /// The declaring party.
        party: String,
        /// The exemption category.
        category: String,
        /// Why, in the party's words.
        justification: String,
    },
    /// A protected site or movement was notified (or re-notified, changed): acknowledge it.
    ProtectedSiteNotified {
        /// The site or movement (also its zone's id).
        #[schema(format = Uuid)]
        site: String,
        /// Its name (absent when it is notified `conflict-only`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
        /// Its category.
        category: String,
        /// Who notified it.
        notifier: String,
        /// Its version.
        version: u64,
        /// `full` or `conflict-only`.
        disclosure: String,
        /// The end of its validity.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        valid_until: Option<DateTime<Utc>>,
    },
    /// A protected site or movement of the recipient's lapses soon: reconfirm it.
    ReconfirmationDue {
        /// The site or movement.
        #[schema(format = Uuid)]
        site: String,
        /// When its validity ends.
        valid_until: DateTime<Utc>,
    },
    /// A protected site or movement was not reconfirmed: it stops protecting at
    /// `protection_ends` unless reconfirmed before.
    ProtectedSiteLapsing {
        /// The site or movement.
        #[schema(format = Uuid)]
        site: String,
        /// Its category.
        category: String,
        /// Who notified it.
        notifier: String,
        /// When its validity ended.
        valid_until: DateTime<Utc>,
        /// When it stops protecting.
        protection_ends: DateTime<Utc>,
    },
    /// A protected site or movement was reconfirmed by its notifier.
    ProtectedSiteReconfirmed {
        /// The site or movement.
        #[schema(format = Uuid)]
        site: String,
        /// Its category.
        category: String,
        /// Who notified it.
        notifier: String,
        /// The new end of its validity.
        valid_until: DateTime<Utc>,
    },
    /// Another party checked operations near the recipient's `conflict-only` site more often
    /// than the probing limit allows.
    ProbingDetected {
        /// The site.
        #[schema(format = Uuid)]
        site: String,
        /// The party that probed.
        party: String,
        /// Its checks near the site in the current period.
        checks: u32,
    },
    /// A notification the recipient had to acknowledge is overdue: acknowledge it (or this).
    AcknowledgementOverdue {
        /// The notification awaiting acknowledgement.
        notification: u64,
        /// When it was due.
        deadline: DateTime<Utc>,
        /// Reminders so far, this one included.
        escalation: u32,
    },
    /// A violation report names the recipient as the alleged party: a claim on record, not a
    /// finding (read it at `/v1/reports/{report}`).
    ViolationReported {
        /// The report's id.
        #[schema(format = Uuid)]
        report: String,
        /// Its category.
        category: String,
        /// The party the report names (the recipient).
        alleged_party: String,
        /// Who filed it.
        reporter: String,
        /// The agreements in force at its place and time.
        agreements: Vec<String>,
    },
    /// A party withdrew from the service: its operations live or planned were ended, its
    /// subscriptions stopped; its zones, protected sites and signatures stay on record.
    PartyWithdrew {
        /// The party.
        party: String,
        /// When.
        at: DateTime<Utc>,
        /// Who recorded it (the party, or an administrator).
        by: String,
        /// Its statement, if any.
        #[schema(required = true)]
        statement: Option<String>,
        /// Its operations ended by the withdrawal.
        ended_operations: Vec<String>,
        /// Ceasefire agreements it signed that are not closed (kept, unchanged).
        agreements: Vec<String>,
    },
    /// A party that had withdrawn rejoined: it may write again.
    PartyRejoined {
        /// The party.
        party: String,
        /// When.
        at: DateTime<Utc>,
        /// Who recorded it.
        by: String,
    },
    /// A party notified a list of protected sites and movements in one act: acknowledging
    /// this acknowledges every notice of the batch.
    ProtectedSitesImported {
        /// The batch's id.
        #[schema(format = Uuid)]
        batch: String,
        /// How many notices it filed.
        count: u64,
        /// Who notified them.
        notifier: String,
    },
}

/// A notification in an inbox, also the body POSTed to a subscription's `callback_url` (with an
/// `Idempotency-Key` header holding its `id`).
#[derive(ToSchema)]
#[cfg_attr(test, derive(Debug, serde::Serialize, serde::Deserialize))]
#[schema(as = Notification)]
pub struct NotificationSchema {
    /// Increasing id, unique in the service.
    id: u64,
    /// The party told.
    recipient: String,
    /// When it was recorded.
    created_at: DateTime<Utc>,
    /// What.
    #[schema(value_type = EventSchema)]
    event: EventSchema,
    /// Whether the recipient must acknowledge it.
    requires_ack: bool,
    /// When the recipient acknowledged it (null until then).
    #[schema(required = true)]
    acked_at: Option<DateTime<Utc>>,
}

/// An entry of the audit log (see `docs/audit.md`).
#[derive(ToSchema)]
#[cfg_attr(test, derive(Debug, serde::Serialize, serde::Deserialize))]
#[cfg_attr(test, serde(deny_unknown_fields))]
#[schema(as = AuditEntry)]
pub struct AuditEntrySchema {
    /// Its position, from 1.
    seq: u64,
    /// When the change was made.
    at: DateTime<Utc>,
    /// Who made it: a party id, or `system`.
    actor: String,
    /// What was done: `entity.put`, `entity.delete`, `subscription.put`, `subscription.delete`,
    /// `party.put`, `notification`, `notification.ack`, `document.put` or `document.delete`.
    action: String,
    /// The id of what changed (`kind/id` for documents).
    subject: String,
    /// A small summary of the change: never geometry (`content_sha256` commits to the record
    /// instead).
    #[schema(value_type = Object)]
    detail: serde_json::Value,
    /// Hex SHA-256 of the previous entry (64 zeros for entry 1).
    prev_hash: String,
    /// Hex SHA-256 of this entry's canonical form.
    hash: String,
    /// Base64 Ed25519 signature of the 32 bytes of `hash`, by the server's key.
    signature: String,
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone as _;
    use deconflict_core::{
        Change, EntityId, Event, FootprintSpec, Notification, OperationState, Ovn, PartyId,
        SubscriptionId, VolumeSpec, ZoneKind,
    };
    use serde::Serialize;
    use serde::de::DeserializeOwned;
    use serde_json::Value;

    use super::*;

    /// The core value's JSON read as the mirror (which refuses unknown fields where the core
    /// does) and written back is the same JSON: the mirror has the core's field names, tags and
    /// spellings.
    fn mirrors<Core: Serialize, Mirror: Serialize + DeserializeOwned>(core: &Core) {
        let json = serde_json::to_value(core).expect("the core type serializes");
        let mirror: Mirror = serde_json::from_value(json.clone())
            .unwrap_or_else(|e| panic!("the schema mirror does not read {json}: {e}"));
        let back: Value = serde_json::to_value(&mirror).expect("the mirror serializes");
        assert_eq!(back, json, "the schema mirror drifted from the core type");
    }

    fn when(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 7, 6, h, 0, 0)
            .single()
            .expect("a valid instant")
    }

    #[test]
    fn volumes_and_footprints_mirror_the_core() {
        for footprint in [
            FootprintSpec::Circle {
                center: [37.2, 36.2],
                radius_m: 3000.0,
            },
            FootprintSpec::Polygon {
                vertices: vec![[37.0, 36.0], [37.1, 36.0], [37.1, 36.1]],
            },
        ] {
            mirrors::<_, FootprintSpecSchema>(&footprint);
            mirrors::<_, VolumeSpecSchema>(&VolumeSpec {
                footprint,
                altitude_lower_m: 0.0,
                altitude_upper_m: 1500.0,
                time_start: when(6),
                time_end: when(8),
            });
        }
    }

    #[test]
    fn states_and_kinds_mirror_the_core() {
        for s in [
            OperationState::Accepted,
            OperationState::Activated,
            OperationState::Nonconforming,
            OperationState::Contingent,
        ] {
            mirrors::<_, OperationStateSchema>(&s);
        }
        for k in [
            ZoneKind::Restricted,
            ZoneKind::Protected,
            ZoneKind::Ceasefire,
            ZoneKind::Separation,
            ZoneKind::Confidential,
        ] {
            mirrors::<_, ZoneKindSchema>(&k);
        }
    }

    #[test]
    fn notifications_mirror_the_core() {
        let party = PartyId::new("relief-agency").expect("a party id");
        for (change, ovn, acked_at) in [
            (Change::Created, Some(Ovn("ovn-1".into())), None),
            (Change::Updated, Some(Ovn("ovn-2".into())), Some(when(7))),
            (Change::Deleted, None, None),
        ] {
            mirrors::<_, NotificationSchema>(&Notification {
                id: 7,
                recipient: party.clone(),
                created_at: when(6),
                event: Event::EntityChanged {
                    entity: EntityId(uuid::Uuid::nil()),
                    owner: party.clone(),
                    change,
                    ovn,
                    subscription: SubscriptionId(uuid::Uuid::max()),
                },
                requires_ack: true,
                acked_at,
            });
        }
        for event in [
            Event::CeasefireChanged {
                agreement: EntityId(uuid::Uuid::nil()),
                status: "in_force".into(),
                by: party.clone(),
            },
            Event::ExemptionDeclared {
                agreement: EntityId(uuid::Uuid::nil()),
                operation: EntityId(uuid::Uuid::max()),
                party: party.clone(),
                category: "medical-evacuation".into(),
                justification: "a casualty at the hospital".into(),
            },
            Event::ViolationReported {
                report: uuid::Uuid::max(),
                category: "shelling".into(),
                alleged_party: party.clone(),
                reporter: PartyId::new("observer-mission").expect("a party id"),
                agreements: vec![EntityId(uuid::Uuid::nil())],
            },
            Event::PartyWithdrew {
                party: party.clone(),
                at: when(5),
                by: PartyId::new("demo-admin").expect("a party id"),
                statement: Some("we leave".into()),
                ended_operations: vec![EntityId(uuid::Uuid::max())],
                agreements: vec![EntityId(uuid::Uuid::nil())],
            },
            Event::PartyRejoined {
                party: party.clone(),
                at: when(6),
                by: party.clone(),
            },
            Event::ProtectedSitesImported {
                batch: uuid::Uuid::max(),
                count: 200,
                notifier: party.clone(),
            },
            Event::UssNotified {
                entity: EntityId(uuid::Uuid::nil()),
                constraint: false,
                subscriptions: vec![deconflict_core::SubscriptionIndex {
                    subscription: SubscriptionId(uuid::Uuid::max()),
                    notification_index: 3,
                }],
            },
        ] {
            mirrors::<_, NotificationSchema>(&Notification {
                id: 8,
                recipient: party.clone(),
                created_at: when(6),
                event,
                requires_ack: true,
                acked_at: None,
            });
        }
    }

    #[test]
    fn audit_entries_mirror_the_core() {
        let key = deconflict_core::ed25519_dalek::SigningKey::from_bytes(&[3; 32]);
        let entry = deconflict_core::AuditEntry::signed(
            1,
            when(6),
            deconflict_core::AuditRecord {
                actor: "north".into(),
                action: "entity.put".into(),
                subject: "x".into(),
                detail: serde_json::json!({"version": 1}),
            },
            deconflict_core::audit::GENESIS_HASH.into(),
            &key,
        );
        mirrors::<_, AuditEntrySchema>(&entry);
    }
}

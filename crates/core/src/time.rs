//! Time windows: half-open `[start, end)` in UTC, so that back-to-back windows do not overlap.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Reason, ValidationError};

/// A non-empty half-open interval of time `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct TimeWindow {
    start: DateTime<Utc>,
    end: DateTime<Utc>,
}

impl TimeWindow {
    /// A window from `start` (included) to `end` (excluded).
    ///
    /// # Errors
    /// [`Reason::EmptyTimeWindow`] on field `time` when `end <= start`.
    ///
    /// ```
    /// # use deconflict_core::TimeWindow;
    /// let start = "2026-07-06T00:00:00Z".parse()?;
    /// let end = "2026-07-09T00:00:00Z".parse()?;
    /// let w = TimeWindow::new(start, end)?;
    /// assert_eq!(w.duration_s(), 72 * 3600);
    /// assert!(TimeWindow::new(end, start).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(start: DateTime<Utc>, end: DateTime<Utc>) -> Result<Self, ValidationError> {
        if end <= start {
            return Err(ValidationError::new(
                "time",
                Reason::EmptyTimeWindow {
                    start: start.to_rfc3339_opts(SecondsFormat::AutoSi, true),
                    end: end.to_rfc3339_opts(SecondsFormat::AutoSi, true),
                },
            ));
        }
        Ok(Self { start, end })
    }

    /// First instant of the window.
    pub fn start(&self) -> DateTime<Utc> {
        self.start
    }

    /// First instant after the window.
    pub fn end(&self) -> DateTime<Utc> {
        self.end
    }

    /// Length in whole seconds.
    pub fn duration_s(&self) -> i64 {
        (self.end - self.start).num_seconds()
    }

    /// Whether the two windows share an instant (`[a, b)` and `[b, c)` do not).
    pub fn overlaps(&self, other: &Self) -> bool {
        self.start < other.end && other.start < self.end
    }

    /// Whether `t` lies in the window.
    pub fn contains(&self, t: DateTime<Utc>) -> bool {
        self.start <= t && t < self.end
    }

    /// The common part, if any.
    pub fn intersection(&self, other: &Self) -> Option<Self> {
        let start = self.start.max(other.start);
        let end = self.end.min(other.end);
        (start < end).then_some(Self { start, end })
    }
}

#[derive(Deserialize)]
struct RawTimeWindow {
    start: DateTime<Utc>,
    end: DateTime<Utc>,
}

impl<'de> Deserialize<'de> for TimeWindow {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = RawTimeWindow::deserialize(d)?;
        Self::new(raw.start, raw.end).map_err(serde::de::Error::custom)
    }
}

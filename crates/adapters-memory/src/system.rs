//! The real clock and id source, used by every host whatever the store.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use cubby_ports::{Clock, IdGenerator};
use time::OffsetDateTime;
use uuid::Uuid;

/// The system clock, truncated to milliseconds.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        let now = OffsetDateTime::now_utc();
        now.replace_nanosecond(now.millisecond() as u32 * 1_000_000)
            .unwrap_or(now)
    }
}

/// UUIDv7s from the system clock and random bits.
#[derive(Clone, Copy, Debug, Default)]
pub struct RandomIds;

impl IdGenerator for RandomIds {
    fn uuid(&self) -> Uuid {
        Uuid::now_v7()
    }
}

/// The system clock moved forward by an offset tests choose (to expire invitations, tokens and
/// windows without waiting). Clones share the offset.
#[derive(Clone, Debug, Default)]
pub struct ShiftedClock {
    offset_ms: Arc<AtomicI64>,
}

impl ShiftedClock {
    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: time::Duration) {
        let ms = i64::try_from(by.whole_milliseconds()).unwrap_or(i64::MAX);
        self.offset_ms.fetch_add(ms, Ordering::SeqCst);
    }
}

impl Clock for ShiftedClock {
    fn now(&self) -> OffsetDateTime {
        SystemClock.now() + time::Duration::milliseconds(self.offset_ms.load(Ordering::SeqCst))
    }
}

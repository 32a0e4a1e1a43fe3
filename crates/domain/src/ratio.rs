//! Staff:child ratio rules and the ratio maths.
//!
//! A room's rules are a history of rule sets, each in force from its effective date until the
//! next one: rules change, and a past day is always judged by the rule that was in force then.
//! A rule set has age bands, each with its own ratio, and a maximum group size. When children of
//! several bands are present, the youngest present band's ratio applies to every child present
//! (the strictest reading regulators use for mixed-age groups); on top of that, every band must
//! be staffed for its own children on its own ratio, so no band is ever reported compliant while
//! over its ratio, however the bands are configured.

use time::Date;

use crate::error_code::ErrorCode;
use crate::room::{MAX_AGE_MONTHS, StaffChildRatio};

/// The most bands a rule set has.
pub const MAX_BANDS: usize = 12;
/// The largest maximum group size.
pub const MAX_GROUP_SIZE: u16 = 500;

/// Why a rule set was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RatioError {
    /// No bands, more than [`MAX_BANDS`], a first band not from 0 months, bands not in
    /// increasing order, or a band beyond 216 months.
    #[error(
        "bands start at 0 months, increase strictly, stay within 216 months, and number 1 to 12"
    )]
    InvalidBands,
    /// The maximum group size is 0 or above 500.
    #[error("a maximum group size is from 1 to 500")]
    InvalidGroupSize,
    /// The rule would take effect before today: the past is judged by the rules it had.
    #[error("a rule takes effect today or later")]
    EffectiveInThePast,
    /// A rule already takes effect on that day.
    #[error("a rule already takes effect on that day")]
    SameDay,
}

impl RatioError {
    /// The stable code.
    pub fn code(&self) -> ErrorCode {
        match self {
            RatioError::InvalidBands => ErrorCode::RatioInvalidBands,
            RatioError::InvalidGroupSize => ErrorCode::RatioInvalidGroupSize,
            RatioError::EffectiveInThePast => ErrorCode::RatioEffectiveInThePast,
            RatioError::SameDay => ErrorCode::RatioRuleExists,
        }
    }
}

/// An age band: children from `from_months` (up to the next band) need `ratio`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AgeBand {
    /// The youngest age of the band, in whole months.
    pub from_months: u16,
    /// The ratio children of the band need.
    pub ratio: StaffChildRatio,
}

/// A rule set in force from a day.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RatioRule {
    effective_from: Date,
    bands: Vec<AgeBand>,
    max_group_size: u16,
}

impl RatioRule {
    /// A rule set.
    ///
    /// # Errors
    ///
    /// [`RatioError::InvalidBands`], [`RatioError::InvalidGroupSize`].
    pub fn new(
        effective_from: Date,
        bands: Vec<AgeBand>,
        max_group_size: u16,
    ) -> Result<Self, RatioError> {
        let ordered = bands
            .windows(2)
            .all(|w| w[0].from_months < w[1].from_months);
        if bands.is_empty()
            || bands.len() > MAX_BANDS
            || bands[0].from_months != 0
            || !ordered
            || bands.iter().any(|b| b.from_months > MAX_AGE_MONTHS)
        {
            return Err(RatioError::InvalidBands);
        }
        if !(1..=MAX_GROUP_SIZE).contains(&max_group_size) {
            return Err(RatioError::InvalidGroupSize);
        }
        Ok(Self {
            effective_from,
            bands,
            max_group_size,
        })
    }

    /// One band for every age on `ratio`, with `max_group_size` clamped to 1 to 500.
    pub fn single(effective_from: Date, ratio: StaffChildRatio, max_group_size: u16) -> Self {
        Self {
            effective_from,
            bands: vec![AgeBand {
                from_months: 0,
                ratio,
            }],
            max_group_size: max_group_size.clamp(1, MAX_GROUP_SIZE),
        }
    }

    /// The first day in force.
    pub fn effective_from(&self) -> Date {
        self.effective_from
    }

    /// The bands, youngest first.
    pub fn bands(&self) -> &[AgeBand] {
        &self.bands
    }

    /// The most children the room may hold at once.
    pub fn max_group_size(&self) -> u16 {
        self.max_group_size
    }

    /// The index of the band of a child of `months`.
    pub fn band_of(&self, months: u16) -> usize {
        self.bands
            .iter()
            .rposition(|band| band.from_months <= months)
            .unwrap_or(0)
    }

    /// Judges `staff` present against children of the ages `ages_in_months` present.
    pub fn judge(&self, ages_in_months: &[u16], staff: u32) -> RatioReport {
        let mut per_band = vec![0u32; self.bands.len()];
        for age in ages_in_months {
            per_band[self.band_of(*age)] += 1;
        }
        let children = u32::try_from(ages_in_months.len()).unwrap_or(u32::MAX);
        let youngest = per_band.iter().position(|n| *n > 0);
        let mixed_need = youngest.map_or(0, |band| self.bands[band].ratio.staff_needed(children));
        let bands: Vec<BandReport> = self
            .bands
            .iter()
            .zip(&per_band)
            .map(|(band, present)| BandReport {
                from_months: band.from_months,
                ratio: band.ratio,
                children: *present,
                staff_needed: band.ratio.staff_needed(*present),
            })
            .collect();
        let band_need = bands.iter().map(|b| b.staff_needed).max().unwrap_or(0);
        let staff_needed = mixed_need.max(band_need);
        let over_group_size = children.saturating_sub(u32::from(self.max_group_size));
        RatioReport {
            children,
            staff,
            staff_needed,
            staff_short: staff_needed.saturating_sub(staff),
            over_group_size,
            max_group_size: self.max_group_size,
            applied_band: youngest.map(|band| self.bands[band].from_months),
            bands,
        }
    }
}

/// One band's part of a report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BandReport {
    /// The band's youngest age.
    pub from_months: u16,
    /// Its ratio.
    pub ratio: StaffChildRatio,
    /// Its children present.
    pub children: u32,
    /// Staff its own children need on its own ratio.
    pub staff_needed: u32,
}

/// How a room stands against its rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RatioReport {
    /// Children present.
    pub children: u32,
    /// Staff present.
    pub staff: u32,
    /// Staff needed: the youngest present band's ratio over every child, and at least each
    /// band's own need.
    pub staff_needed: u32,
    /// Staff missing (0 when enough).
    pub staff_short: u32,
    /// Children beyond the maximum group size (0 when within).
    pub over_group_size: u32,
    /// The maximum group size.
    pub max_group_size: u16,
    /// The youngest band present, whose ratio applied to everyone (`None`: no child).
    pub applied_band: Option<u16>,
    /// Every band.
    pub bands: Vec<BandReport>,
}

impl RatioReport {
    /// Whether the room complies: enough staff and within the group size.
    pub fn complies(&self) -> bool {
        self.staff_short == 0 && self.over_group_size == 0
    }
}

/// A recorded moment a room was, or would have been, out of ratio: kept for inspections.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Breach {
    /// The id.
    pub id: crate::id::BreachId,
    /// The room.
    pub room: crate::id::RoomId,
    /// The centre's day.
    pub day: Date,
    /// When.
    pub at: time::OffsetDateTime,
    /// The attendance event that caused it (a check-in, or a clock-out).
    pub event: crate::id::AttendanceEventId,
    /// Whether the event was refused (the centre refuses breaching check-ins) or accepted
    /// with a warning.
    pub refused: bool,
    /// Children present (with the event).
    pub children: u32,
    /// Staff present (with the event).
    pub staff: u32,
    /// Staff needed.
    pub staff_needed: u32,
    /// Children beyond the maximum group size.
    pub over_group_size: u32,
    /// Who recorded the event.
    pub actor: crate::audit::Actor,
}

/// The rule in force on `day` among `rules` (any order), if one is.
pub fn rule_in_force(rules: &[RatioRule], day: Date) -> Option<&RatioRule> {
    rules
        .iter()
        .filter(|rule| rule.effective_from <= day)
        .max_by_key(|rule| rule.effective_from)
}

/// `rules` with `rule` added, as decided on `today`.
///
/// # Errors
///
/// [`RatioError::EffectiveInThePast`], [`RatioError::SameDay`].
pub fn add_rule(
    rules: &[RatioRule],
    rule: RatioRule,
    today: Date,
) -> Result<Vec<RatioRule>, RatioError> {
    if rule.effective_from < today {
        return Err(RatioError::EffectiveInThePast);
    }
    if rules
        .iter()
        .any(|r| r.effective_from == rule.effective_from)
    {
        return Err(RatioError::SameDay);
    }
    let mut next = rules.to_vec();
    next.push(rule);
    next.sort_by_key(RatioRule::effective_from);
    Ok(next)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::date;

    fn ratio(staff: u8, children: u8) -> StaffChildRatio {
        StaffChildRatio::new(staff, children).unwrap()
    }

    fn nursery() -> RatioRule {
        RatioRule::new(
            date!(2026 - 01 - 01),
            vec![
                AgeBand {
                    from_months: 0,
                    ratio: ratio(1, 3),
                },
                AgeBand {
                    from_months: 24,
                    ratio: ratio(1, 4),
                },
                AgeBand {
                    from_months: 36,
                    ratio: ratio(1, 8),
                },
            ],
            16,
        )
        .unwrap()
    }

    #[test]
    fn the_youngest_band_present_applies_to_everyone() {
        let rule = nursery();
        // One baby and seven three-year-olds: 1:3 over eight children needs three.
        let report = rule.judge(&[10, 40, 40, 40, 40, 40, 40, 40], 2);
        assert_eq!(report.applied_band, Some(0));
        assert_eq!(report.staff_needed, 3);
        assert_eq!(report.staff_short, 1);
        assert!(!report.complies());
        // Without the baby, 1:8 over seven needs one.
        let report = rule.judge(&[40, 40, 40, 40, 40, 40, 40], 1);
        assert_eq!(report.applied_band, Some(36));
        assert!(report.complies());
    }

    #[test]
    fn the_group_size_is_a_limit_of_its_own() {
        let report = nursery().judge(&[40; 17], 5);
        assert_eq!(report.staff_short, 0);
        assert_eq!(report.over_group_size, 1);
        assert!(!report.complies());
    }

    #[test]
    fn an_empty_room_complies_with_no_staff() {
        let report = nursery().judge(&[], 0);
        assert!(report.complies());
        assert_eq!(report.applied_band, None);
    }

    #[test]
    fn bands_must_start_at_zero_and_increase() {
        let band = |from_months| AgeBand {
            from_months,
            ratio: ratio(1, 4),
        };
        let day = date!(2026 - 01 - 01);
        for bad in [
            vec![],
            vec![band(6)],
            vec![band(0), band(12), band(12)],
            vec![band(0), band(300)],
        ] {
            assert_eq!(RatioRule::new(day, bad, 10), Err(RatioError::InvalidBands));
        }
        assert_eq!(
            RatioRule::new(day, vec![band(0)], 0),
            Err(RatioError::InvalidGroupSize)
        );
    }

    #[test]
    fn the_rule_in_force_is_the_latest_that_has_started() {
        let old = nursery();
        let new = RatioRule::new(date!(2026 - 08 - 01), old.bands().to_vec(), 12).unwrap();
        let rules = add_rule(
            std::slice::from_ref(&old),
            new.clone(),
            date!(2026 - 07 - 01),
        )
        .unwrap();
        assert_eq!(rule_in_force(&rules, date!(2025 - 12 - 31)), None);
        assert_eq!(rule_in_force(&rules, date!(2026 - 07 - 31)), Some(&old));
        assert_eq!(rule_in_force(&rules, date!(2026 - 08 - 01)), Some(&new));
        assert_eq!(
            add_rule(&rules, new.clone(), date!(2026 - 07 - 01)),
            Err(RatioError::SameDay)
        );
        assert_eq!(
            add_rule(&rules, new, date!(2026 - 08 - 02)),
            Err(RatioError::EffectiveInThePast)
        );
    }

    fn rules() -> impl Strategy<Value = RatioRule> {
        proptest::collection::btree_set(1u16..=72, 0..4).prop_flat_map(|starts| {
            let froms: Vec<u16> = std::iter::once(0).chain(starts).collect();
            let n = froms.len();
            (
                Just(froms),
                proptest::collection::vec((1u8..=3, 1u8..=12), n),
                1u16..=30,
            )
                .prop_map(|(froms, ratios, size)| {
                    let bands = froms
                        .into_iter()
                        .zip(ratios)
                        .map(|(from_months, (s, c))| AgeBand {
                            from_months,
                            ratio: StaffChildRatio::new(s, c).unwrap(),
                        })
                        .collect();
                    RatioRule::new(date!(2026 - 01 - 01), bands, size).unwrap()
                })
        })
    }

    proptest! {
        /// Compliance is never reported while any band is over its own ratio, the youngest
        /// present band's ratio is not met for everyone, or the group is too large.
        #[test]
        fn compliance_is_never_reported_when_a_band_is_over_its_ratio(
            rule in rules(),
            ages in proptest::collection::vec(0u16..=80, 0..40),
            staff in 0u32..15,
        ) {
            let report = rule.judge(&ages, staff);
            for band in &report.bands {
                let over = band.children
                    > staff * u32::from(band.ratio.children()) / u32::from(band.ratio.staff());
                if over {
                    prop_assert!(!report.complies(), "band {band:?} over its ratio with {staff} staff");
                }
            }
            if let Some(youngest) = ages.iter().map(|a| rule.band_of(*a)).min() {
                let ratio = rule.bands()[youngest].ratio;
                let needed = (ages.len() as u32).div_ceil(u32::from(ratio.children())) * u32::from(ratio.staff());
                if staff < needed {
                    prop_assert!(!report.complies());
                }
            }
            if ages.len() > usize::from(rule.max_group_size()) {
                prop_assert!(!report.complies());
            }
            prop_assert_eq!(report.children as usize, ages.len());
            prop_assert_eq!(report.bands.iter().map(|b| b.children).sum::<u32>() as usize, ages.len());
            if report.complies() {
                prop_assert!(staff >= report.staff_needed);
            }
        }
    }
}

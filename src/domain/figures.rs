//! Calendar arithmetic behind the dashboards: calendar months (UTC) as half-open ranges of
//! milliseconds, the window of the last months, values at each month's end walked back from
//! today's value, and the age buckets of a waiting queue. Pure: the store binds the
//! boundaries computed here, so both engines bucket alike.

use chrono::{Datelike, TimeZone, Utc};

/// A calendar month in UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Month {
    pub year: i32,
    /// 1 to 12.
    pub month: u32,
}

impl Month {
    /// The month holding the instant `ms` (milliseconds since the epoch).
    pub fn of(ms: i64) -> Month {
        let t = Utc.timestamp_millis_opt(ms).single().unwrap_or_default();
        Month {
            year: t.year(),
            month: t.month(),
        }
    }

    pub fn next(self) -> Month {
        if self.month == 12 {
            Month {
                year: self.year + 1,
                month: 1,
            }
        } else {
            Month {
                month: self.month + 1,
                ..self
            }
        }
    }

    pub fn prev(self) -> Month {
        if self.month == 1 {
            Month {
                year: self.year - 1,
                month: 12,
            }
        } else {
            Month {
                month: self.month - 1,
                ..self
            }
        }
    }

    /// The first millisecond of the month.
    pub fn start_ms(self) -> i64 {
        Utc.with_ymd_and_hms(self.year, self.month, 1, 0, 0, 0)
            .single()
            .map(|t| t.timestamp_millis())
            .unwrap_or_default()
    }

    /// `2026-03`: a stable key for tables and tests, never shown as the label.
    pub fn key(self) -> String {
        format!("{:04}-{:02}", self.year, self.month)
    }
}

/// The last `n` months, oldest first, ending with the month holding `now`.
pub fn last_months(now: i64, n: usize) -> Vec<Month> {
    let mut m = Month::of(now);
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        out.push(m);
        m = m.prev();
    }
    out.reverse();
    out
}

/// The start of each month: the ascending lower bounds the store buckets rows by (a row at
/// or after bound `i` and before bound `i + 1` falls in month `i`).
pub fn starts(months: &[Month]) -> Vec<i64> {
    months.iter().map(|m| m.start_ms()).collect()
}

/// Counts per bucket from `(bucket, count)` rows, ignoring buckets outside `0..n`.
pub fn spread(n: usize, rows: &[(i64, i64)]) -> Vec<i64> {
    let mut out = vec![0; n];
    for &(b, c) in rows {
        if let Some(slot) = usize::try_from(b).ok().and_then(|i| out.get_mut(i)) {
            *slot += c;
        }
    }
    out
}

/// The value at the end of each month (today for the current, last month), from today's
/// value and the net change that happened within each month: what a month's end held is
/// today's value less every change made after it.
pub fn walk_back(today: i64, net_change: &[i64]) -> Vec<i64> {
    let mut out = vec![0; net_change.len()];
    let mut value = today;
    for i in (0..net_change.len()).rev() {
        out[i] = value;
        value -= net_change[i];
    }
    out
}

/// How long an application has waited for a decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum AgeBucket {
    UnderOneDay,
    OneToThreeDays,
    ThreeToSevenDays,
    OneToTwoWeeks,
    OverTwoWeeks,
}

impl AgeBucket {
    /// Every bucket, youngest first.
    pub const ALL: [AgeBucket; 5] = [
        AgeBucket::UnderOneDay,
        AgeBucket::OneToThreeDays,
        AgeBucket::ThreeToSevenDays,
        AgeBucket::OneToTwoWeeks,
        AgeBucket::OverTwoWeeks,
    ];

    /// Ages (in days) where the buckets meet.
    const EDGES_DAYS: [i64; 4] = [1, 3, 7, 14];

    pub fn as_str(self) -> &'static str {
        match self {
            AgeBucket::UnderOneDay => "under_1d",
            AgeBucket::OneToThreeDays => "1d_3d",
            AgeBucket::ThreeToSevenDays => "3d_7d",
            AgeBucket::OneToTwoWeeks => "7d_14d",
            AgeBucket::OverTwoWeeks => "over_14d",
        }
    }

    /// The bucket of something waiting since `since`, seen at `now`.
    pub fn of(since: i64, now: i64) -> AgeBucket {
        let age = now - since;
        let edge = Self::EDGES_DAYS
            .iter()
            .position(|d| age < d * crate::clock::DAY_MS)
            .unwrap_or(Self::EDGES_DAYS.len());
        Self::ALL[edge]
    }

    /// Ascending instants for the store: rows at or after bound `i` (and before `i + 1`) are
    /// in bucket [`AgeBucket::from_bound`]`(i)`; rows before every bound are the oldest.
    pub fn bounds(now: i64) -> Vec<i64> {
        Self::EDGES_DAYS
            .iter()
            .rev()
            // One millisecond later, so "at or after the bound" means "younger than the edge".
            .map(|d| now - d * crate::clock::DAY_MS + 1)
            .collect()
    }

    /// The bucket of store bucket index `i` over [`AgeBucket::bounds`] (`-1`: before all).
    pub fn from_bound(i: i64) -> AgeBucket {
        // Bound 0 is the oldest edge (14 days ago): at or after it is "one to two weeks".
        let last = Self::ALL.len() as i64 - 1;
        let idx = (last - 1 - i).clamp(0, last);
        Self::ALL[idx as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::DAY_MS;

    fn at(y: i32, m: u32, d: u32, h: u32) -> i64 {
        Utc.with_ymd_and_hms(y, m, d, h, 0, 0)
            .unwrap()
            .timestamp_millis()
    }

    #[test]
    fn twelve_months_end_with_the_current_one_across_a_year_change() {
        let months = last_months(at(2026, 3, 15, 12), 12);
        assert_eq!(months.len(), 12);
        assert_eq!(months[0].key(), "2025-04");
        assert_eq!(months[8].key(), "2025-12");
        assert_eq!(months[9].key(), "2026-01");
        assert_eq!(months[11].key(), "2026-03");
        let s = starts(&months);
        assert_eq!(s[9], at(2026, 1, 1, 0));
        assert!(s.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn month_edges_are_exact_to_the_millisecond() {
        let march = Month {
            year: 2026,
            month: 3,
        };
        assert_eq!(Month::of(march.start_ms()), march);
        assert_eq!(Month::of(march.start_ms() - 1).key(), "2026-02");
        assert_eq!(Month::of(march.next().start_ms() - 1), march);
        assert_eq!(
            Month {
                year: 2026,
                month: 12
            }
            .next()
            .key(),
            "2027-01"
        );
        assert_eq!(
            Month {
                year: 2026,
                month: 1
            }
            .prev()
            .key(),
            "2025-12"
        );
        // February of a leap year has 29 days.
        let feb = Month {
            year: 2028,
            month: 2,
        };
        assert_eq!(feb.next().start_ms() - feb.start_ms(), 29 * DAY_MS);
    }

    #[test]
    fn spread_drops_rows_outside_the_window() {
        assert_eq!(
            spread(3, &[(0, 2), (2, 5), (-1, 9), (3, 4), (2, 1)]),
            vec![2, 0, 6]
        );
    }

    #[test]
    fn walking_back_undoes_later_changes() {
        // Today 10: +3 this month, -1 last month, +5 the month before.
        assert_eq!(walk_back(10, &[5, -1, 3]), vec![8, 7, 10]);
        assert_eq!(walk_back(0, &[0, 0]), vec![0, 0]);
    }

    #[test]
    fn ages_fall_in_their_bucket_and_the_store_bounds_agree() {
        let now = at(2026, 6, 30, 12);
        let cases = [
            (now, AgeBucket::UnderOneDay),
            (now - DAY_MS + 1, AgeBucket::UnderOneDay),
            (now - DAY_MS, AgeBucket::OneToThreeDays),
            (now - 3 * DAY_MS, AgeBucket::ThreeToSevenDays),
            (now - 7 * DAY_MS, AgeBucket::OneToTwoWeeks),
            (now - 14 * DAY_MS + 1, AgeBucket::OneToTwoWeeks),
            (now - 14 * DAY_MS, AgeBucket::OverTwoWeeks),
            (now - 400 * DAY_MS, AgeBucket::OverTwoWeeks),
        ];
        let bounds = AgeBucket::bounds(now);
        for (since, want) in cases {
            assert_eq!(AgeBucket::of(since, now), want, "{since}");
            // What the store's CASE does: the last bound the instant reaches.
            let i = bounds
                .iter()
                .rposition(|b| since >= *b)
                .map_or(-1, |i| i as i64);
            assert_eq!(AgeBucket::from_bound(i), want, "bound {i}");
        }
    }
}

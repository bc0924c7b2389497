//! Feed liveness: is a source silent for longer than its cadence allows?
//!
//! An EDI channel that stops on the 31st is noticed by the customer before
//! anyone at the plant, unless silence is measured. Silence is measured in
//! *business* time ([`Calendar`]): a feed that sends on weekdays is not
//! silent over a weekend or a holiday, and the hours of a working day are
//! local hours, so a DST change moves them in UTC.
//!
//! - [`Calendar::business_seconds`] and its inverse
//!   [`Calendar::add_business_seconds`].
//! - [`Cadence::learn`] from a source's arrivals, or [`Cadence::configured`].
//! - [`check_feed`]: silence so far against the cadence's threshold, and the
//!   instant the feed became overdue.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, Offset, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

use crate::alert::{Alert, AlertKey, AlertKind, Severity};

/// Seconds in a calendar day; also the largest `closes` ("24:00").
const DAY_SECONDS: u32 = 86_400;

/// [`Calendar::add_business_seconds`] gives up after this many days (ten
/// years): a threshold that far away is a configuration error, not a date.
const MAX_SEARCH_DAYS: u32 = 3_660;

/// Gaps needed before a cadence is learned. With fewer, the 90th percentile
/// of the gaps is simply the largest one or two of a handful, and one odd
/// gap would set the alarm; 8 gaps is under two weeks of a daily feed.
pub const MIN_GAPS: usize = 8;

/// The expected gap is this percentile (nearest rank) of the business-time
/// gaps: high enough that a feed's usual slow days do not count as silence,
/// low enough that one outage already in the history does not hide the next.
pub const EXPECTED_GAP_PERCENTILE: usize = 90;

/// A feed is silent once it has been quiet for this many expected gaps: one
/// missed arrival is ordinary lateness, the second missed one is an outage.
pub const ALARM_FACTOR: i64 = 2;

/// The factor for a cadence learned from history rather than stated by
/// the owner. Arrivals of a feed are bursty: for arrivals at random (a
/// Poisson stream) a gap beyond twice the 90th percentile comes once in a
/// hundred gaps, so thirty feeds with thirty gaps each would raise about
/// nine false alarms over a quarter; beyond three times, once in a
/// thousand gaps.
///
/// A learned threshold is also never below one and a half times the longest
/// gap seen: a feed that has been quiet that long before and came back is
/// not down when it is quiet that long again.
pub const LEARNED_ALARM_FACTOR: i64 = 3;

/// Arrivals this close to the previous one are one delivery (a retry, or an
/// interchange split into several files), not a gap of nearly zero.
pub const DUPLICATE_WITHIN_SECONDS: i64 = 60;

/// The smallest alarm threshold in business seconds (15 minutes). Sources
/// are polled every few minutes, so a shorter silence says more about the
/// poller than about the feed.
pub const MIN_THRESHOLD_SECONDS: i64 = 900;

/// A config value that cannot be used, named by its key (e.g.
/// `calendar.time_zone`, `workflow.budget.monthly`). Shared by every config
/// section of this crate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {key} = {value}: expected {expected}")]
pub struct ConfigError {
    pub key: String,
    pub value: String,
    /// What a valid value looks like.
    pub expected: &'static str,
}

impl ConfigError {
    pub(crate) fn new(key: impl Into<String>, value: impl fmt::Display, expected: &'static str) -> ConfigError {
        ConfigError { key: key.into(), value: value.to_string(), expected }
    }
}

/// The business calendar as written in config (`[calendar]`).
///
/// ```toml
/// [calendar]
/// time_zone = "Europe/Berlin"
/// working_days = ["mon", "tue", "wed", "thu", "fri"]
/// opens = "07:00"
/// closes = "18:00"
/// holidays = ["2026-12-25", "2026-12-26"]
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CalendarConfig {
    /// IANA zone name; working hours and dates are local to it.
    pub time_zone: String,
    pub working_days: Vec<Weekday>,
    /// Local time a working day starts, `HH:MM`.
    pub opens: String,
    /// Local time a working day ends, `HH:MM`; `24:00` is midnight at the
    /// end of the day.
    pub closes: String,
    /// Local dates on which nobody works, whatever the weekday: strings
    /// (`"2026-12-25"`) or TOML dates (`2026-12-25`).
    #[serde(deserialize_with = "config_dates")]
    pub holidays: Vec<NaiveDate>,
}

impl Default for CalendarConfig {
    /// Whole weekdays in UTC: the calendar of a feed nobody described.
    fn default() -> Self {
        CalendarConfig {
            time_zone: "UTC".to_string(),
            working_days: vec![Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu, Weekday::Fri],
            opens: "00:00".to_string(),
            closes: "24:00".to_string(),
            holidays: Vec::new(),
        }
    }
}

impl CalendarConfig {
    /// Every error of the section at once.
    pub fn validate(&self) -> Result<(), Vec<ConfigError>> {
        self.build().map(|_| ())
    }

    /// The calendar, or every error of the section at once.
    pub fn build(&self) -> Result<Calendar, Vec<ConfigError>> {
        let mut errors = Vec::new();
        let zone = Tz::from_str(&self.time_zone)
            .map_err(|_| {
                errors.push(ConfigError::new(
                    "calendar.time_zone",
                    &self.time_zone,
                    "an IANA zone such as \"Europe/Berlin\"",
                ))
            })
            .ok();
        let opens = parse_clock(&self.opens)
            .filter(|s| *s < DAY_SECONDS)
            .ok_or_else(|| {
                errors.push(ConfigError::new("calendar.opens", &self.opens, "a local time HH:MM before 24:00"))
            })
            .ok();
        let closes = parse_clock(&self.closes)
            .ok_or_else(|| {
                errors.push(ConfigError::new("calendar.closes", &self.closes, "a local time HH:MM up to 24:00"))
            })
            .ok();
        if let (Some(o), Some(c)) = (opens, closes)
            && c <= o
        {
            errors.push(ConfigError::new("calendar.closes", &self.closes, "a time after calendar.opens"));
        }
        if self.working_days.is_empty() {
            errors.push(ConfigError::new("calendar.working_days", "[]", "at least one weekday"));
        }
        match (zone, opens, closes) {
            (Some(zone), Some(opens), Some(closes)) if errors.is_empty() => {
                let mut working_days = [false; 7];
                self.working_days.iter().for_each(|d| working_days[d.num_days_from_monday() as usize] = true);
                let holidays = self.holidays.iter().copied().collect();
                Ok(Calendar { zone, working_days, opens, closes, holidays })
            }
            _ => Err(errors),
        }
    }
}

/// Dates as `YYYY-MM-DD` strings or TOML date literals, which the TOML
/// reader hands over as a one-entry map holding the date's text.
fn config_dates<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<NaiveDate>, D::Error> {
    Ok(Vec::<ConfigDate>::deserialize(deserializer)?.into_iter().map(|d| d.0).collect())
}

struct ConfigDate(NaiveDate);

impl<'de> Deserialize<'de> for ConfigDate {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ConfigDateVisitor)
    }
}

struct ConfigDateVisitor;

impl<'de> Visitor<'de> for ConfigDateVisitor {
    type Value = ConfigDate;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a date YYYY-MM-DD")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<ConfigDate, E> {
        NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .map(ConfigDate)
            .map_err(|_| E::invalid_value(de::Unexpected::Str(text), &self))
    }

    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<ConfigDate, A::Error> {
        match map.next_entry::<String, String>()? {
            Some((_, text)) if map.next_key::<String>()?.is_none() => self.visit_str(&text),
            _ => Err(de::Error::invalid_type(de::Unexpected::Map, &self)),
        }
    }
}

/// `HH:MM` as seconds since local midnight; `24:00` is allowed.
fn parse_clock(text: &str) -> Option<u32> {
    let (h, m) = text.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    let valid = (h < 24 && m < 60) || (h == 24 && m == 0);
    valid.then_some(h * 3600 + m * 60)
}

/// When people work: a zone, working weekdays, local working hours and
/// holidays. Built from a [`CalendarConfig`].
#[derive(Debug, Clone, PartialEq)]
pub struct Calendar {
    zone: Tz,
    /// Indexed by days from Monday.
    working_days: [bool; 7],
    /// Seconds since local midnight.
    opens: u32,
    closes: u32,
    holidays: BTreeSet<NaiveDate>,
}

impl Default for Calendar {
    fn default() -> Self {
        Calendar {
            zone: Tz::UTC,
            working_days: [true, true, true, true, true, false, false],
            opens: 0,
            closes: DAY_SECONDS,
            holidays: BTreeSet::new(),
        }
    }
}

impl Calendar {
    pub fn zone(&self) -> Tz {
        self.zone
    }

    /// A working weekday that is not a holiday.
    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        self.working_days[date.weekday().num_days_from_monday() as usize] && !self.holidays.contains(&date)
    }

    /// The local date of an instant.
    pub fn local_date(&self, at: DateTime<Utc>) -> NaiveDate {
        at.with_timezone(&self.zone).date_naive()
    }

    /// The first instant at which the local clock reads `seconds` after
    /// midnight of `date` (`86400` is the next midnight). In a DST gap that
    /// is the end of the gap; in a repeated hour, the first time round.
    pub fn local_instant(&self, date: NaiveDate, seconds: u32) -> Option<DateTime<Utc>> {
        let (date, seconds) =
            if seconds >= DAY_SECONDS { (date.succ_opt()?, seconds - DAY_SECONDS) } else { (date, seconds) };
        let naive = date.and_hms_opt(0, 0, 0)? + Duration::seconds(i64::from(seconds));
        first_instant_at_or_after(self.zone, naive)
    }

    /// The working interval of a local date in UTC, `None` on a day off.
    fn working_interval(&self, date: NaiveDate) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        if !self.is_working_day(date) {
            return None;
        }
        Some((self.local_instant(date, self.opens)?, self.local_instant(date, self.closes)?))
    }

    /// Working seconds of `date` within `[from, to]`.
    fn seconds_within(&self, date: NaiveDate, from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
        match self.working_interval(date) {
            Some((open, close)) => (close.min(to) - open.max(from)).num_seconds().max(0),
            None => 0,
        }
    }

    /// Working seconds between two instants, exact through DST changes
    /// (a working day's hours are local); 0 when `to` is not after `from`.
    pub fn business_seconds(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
        if to <= from {
            return 0;
        }
        let (first, last) = (self.local_date(from), self.local_date(to));
        if last <= first {
            return self.seconds_within(first, from, to);
        }
        let edges = self.seconds_within(first, from, to) + self.seconds_within(last, from, to);
        match (first.succ_opt(), last.pred_opt()) {
            (Some(a), Some(b)) if a <= b => edges + self.whole_days(a, b),
            _ => edges,
        }
    }

    /// Working seconds of the whole local days `from..=to`, a week at a
    /// time: where the UTC offset is the same at both ends of a week, every
    /// working day in it has its nominal length (no zone changes its offset
    /// twice within a week), so only the weekdays and holidays are counted.
    fn whole_days(&self, from: NaiveDate, to: NaiveDate) -> i64 {
        let nominal = i64::from(self.closes - self.opens);
        let mut total = 0;
        let mut start = from;
        while start <= to {
            let end = start.checked_add_days(chrono::Days::new(6)).map_or(to, |e| e.min(to));
            let days = || start.iter_days().take_while(move |d| *d <= end);
            total += if self.offset_constant(start, end) {
                nominal * days().filter(|d| self.is_working_day(*d)).count() as i64
            } else {
                days().map(|d| self.seconds_within(d, DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC)).sum()
            };
            match end.succ_opt() {
                Some(next) => start = next,
                None => break,
            }
        }
        total
    }

    /// Whether the UTC offset at local midnight starting `from` equals the
    /// one at local midnight ending `to`.
    fn offset_constant(&self, from: NaiveDate, to: NaiveDate) -> bool {
        let offset = |at: Option<DateTime<Utc>>| {
            at.map(|t| self.zone.offset_from_utc_datetime(&t.naive_utc()).fix().local_minus_utc())
        };
        let (a, b) = (offset(self.local_instant(from, 0)), offset(self.local_instant(to, DAY_SECONDS)));
        a.is_some() && a == b
    }

    /// The instant at which `seconds` of business time have passed since
    /// `from`: the inverse of [`Calendar::business_seconds`]. A result that
    /// falls on a closing time is that closing time, not the next opening.
    /// `None` beyond ten years of calendar.
    pub fn add_business_seconds(&self, from: DateTime<Utc>, seconds: i64) -> Option<DateTime<Utc>> {
        if seconds <= 0 {
            return Some(from);
        }
        let mut left = seconds;
        let first = self.local_date(from);
        let mut date = first;
        let mut days = 0;
        // Skip whole weeks while the rest is longer than a week; once a week
        // is too long, walk day by day to the answer.
        let mut skipping = true;
        while days < MAX_SEARCH_DAYS {
            if skipping && date > first {
                let week_end = date.checked_add_days(chrono::Days::new(6))?;
                let week = self.whole_days(date, week_end);
                if left > week {
                    left -= week;
                    date = week_end.succ_opt()?;
                    days += 7;
                    continue;
                }
                skipping = false;
            }
            if let Some((open, close)) = self.working_interval(date) {
                let start = open.max(from);
                let available = (close - start).num_seconds();
                if available > 0 {
                    if left <= available {
                        return Some(start + Duration::seconds(left));
                    }
                    left -= available;
                }
            }
            date = date.succ_opt()?;
            days += 1;
        }
        None
    }
}

/// Local midnight starting `date` in `zone` (the end of the gap where a
/// DST change skips midnight).
pub(crate) fn first_local_midnight(zone: Tz, date: NaiveDate) -> Option<DateTime<Utc>> {
    first_instant_at_or_after(zone, date.and_hms_opt(0, 0, 0)?)
}

/// The smallest UTC second whose local wall time in `zone` is at or after
/// `naive`: the wall time itself when it exists (the first of two in a
/// repeated hour), the end of the gap when a DST change skips it.
fn first_instant_at_or_after(zone: Tz, naive: NaiveDateTime) -> Option<DateTime<Utc>> {
    match zone.from_local_datetime(&naive) {
        LocalResult::Single(t) => Some(t.with_timezone(&Utc)),
        LocalResult::Ambiguous(first, _) => Some(first.with_timezone(&Utc)),
        LocalResult::None => {
            // Offsets lie within −12 h and +14 h, so 15 h either side brackets
            // the answer; the wall time rises monotonically across one gap.
            let guess = naive.and_utc().timestamp();
            let local = |s: i64| DateTime::from_timestamp(s, 0).map(|t| t.with_timezone(&zone).naive_local());
            let (mut low, mut high) = (guess - 15 * 3600, guess + 15 * 3600);
            while high - low > 1 {
                let mid = low + (high - low) / 2;
                if local(mid)? >= naive {
                    high = mid;
                } else {
                    low = mid;
                }
            }
            DateTime::from_timestamp(high, 0)
        }
    }
}

/// Where a cadence came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum CadenceBasis {
    /// Learned from this many business-time gaps between arrivals.
    Learned { gaps: usize },
    /// Set in config (`expected_every_hours`).
    Configured,
}

/// How often a feed is expected to deliver, in business seconds, and how
/// long a silence may last before it is an alarm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cadence {
    pub expected_gap_seconds: i64,
    /// `max(ALARM_FACTOR × expected gap, MIN_THRESHOLD_SECONDS)`.
    pub threshold_seconds: i64,
    pub basis: CadenceBasis,
}

impl Cadence {
    fn from_expected(expected_gap_seconds: i64, basis: CadenceBasis) -> Cadence {
        let factor = match basis {
            CadenceBasis::Learned { .. } => LEARNED_ALARM_FACTOR,
            CadenceBasis::Configured => ALARM_FACTOR,
        };
        let threshold_seconds = expected_gap_seconds.saturating_mul(factor).max(MIN_THRESHOLD_SECONDS);
        Cadence { expected_gap_seconds, threshold_seconds, basis }
    }

    /// Learns the cadence from a source's arrival times (any order).
    ///
    /// Rule: drop arrivals within [`DUPLICATE_WITHIN_SECONDS`] of the
    /// previous one, take the business-time gaps between the rest, and with
    /// at least [`MIN_GAPS`] of them the expected gap is their
    /// [`EXPECTED_GAP_PERCENTILE`]th percentile (nearest rank: the
    /// `⌈0.9 n⌉`-th smallest) and the threshold [`LEARNED_ALARM_FACTOR`] times that.
    /// `None` with too few gaps: the caller then needs a configured cadence.
    pub fn learn(arrivals: &[DateTime<Utc>], calendar: &Calendar) -> Option<Cadence> {
        let mut sorted = arrivals.to_vec();
        sorted.sort_unstable();
        sorted.dedup_by(|later, kept| (*later - *kept).num_seconds() < DUPLICATE_WITHIN_SECONDS);
        let mut gaps: Vec<i64> = sorted.windows(2).map(|w| calendar.business_seconds(w[0], w[1])).collect();
        if gaps.len() < MIN_GAPS {
            return None;
        }
        gaps.sort_unstable();
        let rank = (gaps.len() * EXPECTED_GAP_PERCENTILE).div_ceil(100);
        let expected = gaps[rank.saturating_sub(1)];
        let mut cadence = Cadence::from_expected(expected, CadenceBasis::Learned { gaps: gaps.len() });
        // A bursty feed's longest quiet spell so far is not yet an outage.
        let longest = gaps.last().copied().unwrap_or(expected);
        cadence.threshold_seconds = cadence.threshold_seconds.max(longest.saturating_mul(3) / 2);
        Some(cadence)
    }

    /// A cadence set in config: one delivery every `expected_every_hours`
    /// business hours (fractions allowed), threshold as for a learned one.
    pub fn configured(expected_every_hours: Decimal) -> Result<Cadence, ConfigError> {
        let seconds = (expected_every_hours * Decimal::from(3600)).round().to_i64();
        match seconds {
            // Ten years of seconds: anything longer cannot be reached.
            Some(s) if s > 0 && s <= 315_360_000 => Ok(Cadence::from_expected(s, CadenceBasis::Configured)),
            _ => Err(ConfigError::new(
                "expected_every_hours",
                expected_every_hours,
                "business hours > 0, up to ten years",
            )),
        }
    }
}

/// A feed's configured cadence (`expected_every_hours` in a source's
/// section); without it the cadence is learned.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FeedCadenceConfig {
    pub expected_every_hours: Option<Decimal>,
}

impl FeedCadenceConfig {
    pub fn validate(&self) -> Result<(), Vec<ConfigError>> {
        self.cadence().map(|_| ()).map_err(|e| vec![e])
    }

    /// The configured cadence, `Ok(None)` when it is to be learned.
    pub fn cadence(&self) -> Result<Option<Cadence>, ConfigError> {
        self.expected_every_hours.map(Cadence::configured).transpose()
    }

    /// The configured cadence, else the one learned from `arrivals`.
    pub fn resolve(&self, arrivals: &[DateTime<Utc>], calendar: &Calendar) -> Result<Option<Cadence>, ConfigError> {
        Ok(self.cadence()?.or_else(|| Cadence::learn(arrivals, calendar)))
    }
}

/// A feed's silence against its cadence at one instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct FeedStatus {
    pub last_arrival: DateTime<Utc>,
    pub checked_at: DateTime<Utc>,
    /// Business seconds from the last arrival to the check.
    pub silent_business_seconds: i64,
    pub expected_gap_seconds: i64,
    pub threshold_seconds: i64,
    /// Silent for at least the threshold.
    pub silent: bool,
    /// When the silence reached the threshold (last arrival plus the
    /// threshold in business time); `None` while the feed is not silent.
    pub overdue_since: Option<DateTime<Utc>>,
}

/// Checks a feed whose last delivery was at `last_arrival`, at `now`.
pub fn check_feed(
    last_arrival: DateTime<Utc>,
    now: DateTime<Utc>,
    cadence: &Cadence,
    calendar: &Calendar,
) -> FeedStatus {
    let silent_business_seconds = calendar.business_seconds(last_arrival, now);
    let silent = silent_business_seconds >= cadence.threshold_seconds;
    let overdue_since =
        if silent { calendar.add_business_seconds(last_arrival, cadence.threshold_seconds) } else { None };
    FeedStatus {
        last_arrival,
        checked_at: now,
        silent_business_seconds,
        expected_gap_seconds: cadence.expected_gap_seconds,
        threshold_seconds: cadence.threshold_seconds,
        silent,
        overdue_since,
    }
}

impl FeedStatus {
    /// The `feed_silent` alert of feed `source` in `workflow`, `None` while
    /// the feed is not silent. Critical: a silent feed is orders not entered.
    pub fn alert(&self, workflow: &str, source: &str) -> Option<Alert> {
        let since = self.overdue_since.filter(|_| self.silent)?;
        let summary = format!(
            "{source}: no delivery for {} business hours (expected every {} h)",
            hours(self.silent_business_seconds),
            hours(self.expected_gap_seconds)
        );
        let detail = format!(
            "last delivery {}\nsilent {} business hours, alarm at {} h\noverdue since {since}",
            self.last_arrival,
            hours(self.silent_business_seconds),
            hours(self.threshold_seconds)
        );
        let key = AlertKey::new(AlertKind::FeedSilent, workflow, source);
        Some(Alert { key, severity: Severity::Critical, summary, detail, since })
    }
}

/// Seconds as hours to one decimal, for messages.
fn hours(seconds: i64) -> Decimal {
    (Decimal::from(seconds) / Decimal::from(3600)).round_dp(1)
}

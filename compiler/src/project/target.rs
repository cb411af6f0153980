//! The `target:` section of `kpi.yaml` → [`Target`], each value checked.

use super::date::Date;
use super::errors;
use super::parse::{
    Checker, DEFAULT_CHUNK_DAYS, MAX_BACKFILL_DAYS, MAX_CONCURRENCY, TARGET_FIELDS, TIME_ZONE_AREAS,
};
use super::s3::check_location;
use super::yaml::{Key, Node, Value, value_span};
use super::{Located, Target};
use crate::diagnostic::did_you_mean;

impl Checker<'_> {
    pub(super) fn target(&mut self, key: &Key, node: &Node) -> Option<Target> {
        let section = "`target`";
        let entries = self.mapping(node, "target")?;
        self.unknown_fields(entries, section, &TARGET_FIELDS);
        let field = |p: &mut Self, name: &str| {
            p.required(entries, key.span, section, name)
                .and_then(|(_, n)| p.string(n, name))
        };
        let database = field(self, "database").and_then(|d| self.identifier(d, "target database"));
        let location = self
            .required(entries, key.span, section, "location")
            .and_then(|(_, n)| self.location(n));
        let workgroup = field(self, "workgroup").and_then(|w| self.workgroup(w));
        let concurrency = self
            .required(entries, key.span, section, "concurrency")
            .and_then(|(_, n)| self.concurrency(n));
        let crawler = match Self::optional(entries, "crawler") {
            Some(n) => Some(
                self.string(n, "crawler")
                    .and_then(|c| self.non_empty(c, "crawler"))?,
            ),
            None => None,
        };
        let history_start =
            field(self, "history_start").and_then(|d| match Date::parse(&d.value) {
                Ok(date) => Some(Located {
                    value: date,
                    span: d.span,
                }),
                Err(e) => {
                    let help = "Write a real calendar date as YYYY-MM-DD, e.g. `2024-01-01`.";
                    self.diagnostics.push(errors::invalid_value(
                        d.span,
                        "history_start",
                        format!("invalid date: {e}"),
                        help,
                    ));
                    None
                }
            });
        let time_zone = match Self::optional(entries, "time_zone") {
            Some(n) => Some(
                self.string(n, "time_zone")
                    .and_then(|tz| self.time_zone(tz))?,
            ),
            None => None,
        };
        let chunk_days = match Self::optional(entries, "chunk_days") {
            Some(n) => Some(self.bounded(
                n,
                "chunk_days",
                i64::from(DEFAULT_CHUNK_DAYS),
                "Choose how many days one query computes, from 1 to 100 (Athena writes at most 100 partitions per query).",
            )?),
            None => None,
        };
        let max_backfill_days = match Self::optional(entries, "max_backfill_days") {
            Some(n) => Some(self.bounded(
                n,
                "max_backfill_days",
                MAX_BACKFILL_DAYS,
                "Choose the longest span of days one execution computes, from 1 to 3660; longer backfills are split into several executions.",
            )?),
            None => None,
        };
        Some(Target {
            database: database?,
            location: location?,
            workgroup: workgroup?,
            concurrency: concurrency?,
            crawler,
            history_start: history_start?,
            time_zone,
            chunk_days,
            max_backfill_days,
        })
    }

    fn non_empty(&mut self, value: Located<String>, field: &str) -> Option<Located<String>> {
        if value.value.trim().is_empty() {
            let help = format!("Give `{field}` a name.");
            self.diagnostics.push(errors::invalid_value(
                value.span,
                field,
                "this is empty",
                help,
            ));
            return None;
        }
        Some(value)
    }

    /// `target.location` must be written as a full prefix, trailing `/` included: the KPI
    /// tables are placed right below it.
    fn location(&mut self, node: &Node) -> Option<Located<String>> {
        let l = self.string(node, "location")?;
        match check_location(&l.value) {
            Ok(prefix) => Some(Located {
                value: prefix.text,
                span: l.span,
            }),
            Err(e) => {
                let span = value_span(self.sources, node, e.offset, e.len);
                self.diagnostics.push(e.to_diagnostic(span));
                None
            }
        }
    }

    fn workgroup(&mut self, w: Located<String>) -> Option<Located<String>> {
        let ok = (1..=128).contains(&w.value.len())
            && w.value
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
        if ok {
            return Some(w);
        }
        let what = "an Athena workgroup name has 1 to 128 letters, digits, `.`, `_` or `-`";
        let help = "Use the workgroup's name as Athena shows it, e.g. `primary`.";
        self.diagnostics
            .push(errors::invalid_value(w.span, "workgroup", what, help));
        None
    }

    fn concurrency(&mut self, node: &Node) -> Option<Located<u32>> {
        let Value::Int(n) = node.value else {
            self.diagnostics
                .push(errors::wrong_shape(node, "concurrency", "an integer"));
            return None;
        };
        match u32::try_from(n) {
            Ok(v) if (1..=MAX_CONCURRENCY).contains(&n) => Some(Located {
                value: v,
                span: node.span,
            }),
            _ => {
                let what = format!("{n} is outside 1..={MAX_CONCURRENCY}");
                let help = "Choose a number of parallel queries from 1 to 100, below your Athena DML quota.";
                self.diagnostics
                    .push(errors::invalid_value(node.span, "concurrency", what, help));
                None
            }
        }
    }

    /// A whole number in `1..=max`.
    fn bounded(&mut self, node: &Node, field: &str, max: i64, help: &str) -> Option<Located<u32>> {
        let Value::Int(n) = node.value else {
            self.diagnostics
                .push(errors::wrong_shape(node, field, "an integer"));
            return None;
        };
        match u32::try_from(n) {
            Ok(v) if (1..=max).contains(&n) => Some(Located {
                value: v,
                span: node.span,
            }),
            _ => {
                let what = format!("{n} is outside 1..={max}");
                self.diagnostics
                    .push(errors::invalid_value(node.span, field, what, help));
                None
            }
        }
    }

    fn time_zone(&mut self, tz: Located<String>) -> Option<Located<String>> {
        if tz.value == "UTC" {
            return Some(tz);
        }
        let segment_ok = |s: &str| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '+'))
        };
        let mut parts = tz.value.split('/');
        let area = parts.next().unwrap_or("");
        let rest: Vec<&str> = parts.collect();
        if TIME_ZONE_AREAS.contains(&area) && !rest.is_empty() && rest.iter().all(|s| segment_ok(s))
        {
            return Some(tz);
        }
        let help = match did_you_mean(area, TIME_ZONE_AREAS) {
            Some(a) if !rest.is_empty() && a != area => {
                format!("Did you mean `{a}/{}`?", rest.join("/"))
            }
            _ => "Write `UTC` or an IANA time zone name such as `Europe/Paris`.".to_string(),
        };
        let what = format!("`{}` is not an IANA time zone name", tz.value);
        self.diagnostics
            .push(errors::invalid_value(tz.span, "time_zone", what, help));
        None
    }
}

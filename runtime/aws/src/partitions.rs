//! Glue's partitions as the run planner's store: each KPI table's published partitions (their
//! Parameters carry the fingerprint, inputs digest and publication time the state machine
//! wrote), and which days each partitioned source has, read once before planning.

use crate::Aws;
use crate::error::{AwsError, sdk};
use kpi_contract::aws::partition;
use kpi_contract::manifest::{Manifest, Target};
use kpi_contract::{Day, DayRange};
use kpi_plan::{Partitions, Published, source_key};
use std::collections::BTreeSet;

/// Parameter the machine writes with the time it published a partition, in milliseconds
/// since the epoch: the store's sequence.
pub const PUBLISHED: &str = "kpi.published";

/// The days whose partitions planning `days` can look at: back from the first asked day over
/// every level's longest window, since upstream KPIs widen the days considered.
pub fn reach(manifest: &Manifest, days: &[Day]) -> Option<DayRange> {
    let first = *days.iter().min()?;
    let last = *days.iter().max()?;
    let levels = manifest.kpis.iter().map(|k| k.level).max().unwrap_or(0);
    let mut back: i64 = 0;
    for level in 0..=levels {
        back += manifest
            .kpis
            .iter()
            .filter(|k| k.level == level)
            .flat_map(|k| &k.reads)
            .map(|r| i64::from(r.window.lead_in()))
            .max()
            .unwrap_or(0);
    }
    let from = first.add_days(-back)?.max(manifest.project.history_start);
    DayRange::new(from.min(last), last)
}

/// Reads the partitions of every KPI table and partitioned source over `range`.
pub fn read(aws: &Aws, manifest: &Manifest, range: DayRange) -> Result<Partitions, AwsError> {
    let mut store = Partitions::default();
    let database = &manifest.project.database;
    for kpi in &manifest.kpis {
        for (day, parameters) in days_of(aws, database, &kpi.name, "dt", range)? {
            let get = |k: &str| parameters.as_ref().and_then(|p| p.get(k)).cloned();
            let Some(fingerprint) = get(partition::FINGERPRINT) else {
                continue;
            };
            store.publish(
                &kpi.name,
                day,
                Published {
                    fingerprint,
                    sequence: get(PUBLISHED).and_then(|s| s.parse().ok()).unwrap_or(0),
                    inputs: get(partition::INPUTS),
                },
            );
        }
    }
    let read_sources: BTreeSet<&str> = manifest
        .kpis
        .iter()
        .flat_map(|k| &k.reads)
        .filter(|r| r.partitioned)
        .filter_map(|r| match &r.target {
            Target::Source(s) => Some(s.as_str()),
            Target::Kpi(_) => None,
        })
        .collect();
    for source in manifest
        .sources
        .iter()
        .filter(|s| read_sources.contains(s.name.as_str()))
    {
        let Some(key) = &source.partition else {
            continue;
        };
        let days = days_of(aws, &source.database, &source.table, key, range)?
            .into_iter()
            .map(|(d, _)| d)
            .collect();
        store.sources.insert(source_key(source), days);
    }
    Ok(store)
}

type Parameters = Option<std::collections::HashMap<String, String>>;

/// The partitions of `database.table` whose `key` is a day of `range`, with their
/// Parameters, following GetPartitions' pages. A table that does not exist yet has none.
fn days_of(
    aws: &Aws,
    database: &str,
    table: &str,
    key: &str,
    range: DayRange,
) -> Result<Vec<(Day, Parameters)>, AwsError> {
    let glue = aws.glue();
    let what = format!("Glue GetPartitions of {database}.{table}");
    let described = aws.block_on(glue.get_table().database_name(database).name(table).send());
    let keys: Vec<String> = match described {
        Ok(out) => out
            .table
            .and_then(|t| t.partition_keys)
            .unwrap_or_default()
            .into_iter()
            .map(|c| c.name.to_lowercase())
            .collect(),
        Err(e) if is_not_found(&e) => return Ok(Vec::new()),
        Err(e) => return Err(sdk(&format!("Glue GetTable of {database}.{table}"), e)),
    };
    let Some(position) = keys.iter().position(|k| *k == key.to_lowercase()) else {
        return Err(AwsError::new(format!(
            "{database}.{table} has no partition key `{key}` in Glue (its keys: {})",
            keys.join(", ")
        ))
        .hint("pull the catalog again (`kpi schema pull`) and check the source's `partition`"));
    };
    let expression = format!("{key} >= '{}' AND {key} <= '{}'", range.first, range.last);
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = aws
            .block_on(
                glue.get_partitions()
                    .database_name(database)
                    .table_name(table)
                    .expression(&expression)
                    .set_next_token(token.clone())
                    .send(),
            )
            .map_err(|e| sdk(&what, e))?;
        for p in page.partitions.unwrap_or_default() {
            let value = p.values.as_ref().and_then(|v| v.get(position));
            if let Some(day) = value.and_then(|v| Day::parse(v))
                && range.contains(day)
            {
                out.push((day, p.parameters));
            }
        }
        token = page.next_token.filter(|t| !t.is_empty());
        if token.is_none() {
            break;
        }
    }
    out.sort_by_key(|(d, _)| *d);
    Ok(out)
}

fn is_not_found<E, R>(error: &aws_sdk_glue::error::SdkError<E, R>) -> bool
where
    E: aws_smithy_types::error::metadata::ProvideErrorMetadata,
{
    error
        .as_service_error()
        .and_then(|e| e.code())
        .is_some_and(|c| c == "EntityNotFoundException")
}

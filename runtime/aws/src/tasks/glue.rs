//! The Glue calls of the compiled state machine through `aws-sdk-glue`: `getTable`,
//! `batchCreatePartition`, `batchUpdatePartition` and `batchGetPartition`. A batch answers
//! with its per-entry `Errors`, as Glue does; the entries it applied are the KPI-days
//! published.

use super::json::{self, object, opt_list, opt_str, opt_strings, req_str};
use super::{Call, Services, bad_parameters, task_error};
use aws_sdk_glue::types::{BatchUpdatePartitionRequestEntry, PartitionInput, PartitionValueList};
use kpi_asl::TaskError;
use kpi_contract::Day;
use serde_json::{Value, json};

/// The values of a partition (`Values`, `PartitionValueList`).
/// A batch entry Glue refused: its partition values, error code and message.
type EntryError = (Vec<String>, String, String);

fn entry_error(values: &[String], detail: Option<&aws_sdk_glue::types::ErrorDetail>) -> EntryError {
    (
        values.to_vec(),
        detail
            .and_then(|d| d.error_code())
            .unwrap_or("")
            .to_string(),
        detail
            .and_then(|d| d.error_message())
            .unwrap_or("")
            .to_string(),
    )
}

/// A batch call's `Errors` as the service's JSON API spells them; `values_key` is the
/// entry's key for its partition values (`PartitionValues` or `PartitionValueList`).
fn errors_json(errors: &[EntryError], values_key: &str) -> Value {
    let errors: Vec<Value> = errors
        .iter()
        .map(|(values, code, message)| {
            json!({values_key: values, "ErrorDetail": {"ErrorCode": code, "ErrorMessage": message}})
        })
        .collect();
    json!({ "Errors": errors })
}

fn values(v: &Value, what: &str) -> Result<Vec<String>, String> {
    let items = v
        .as_array()
        .ok_or_else(|| format!("{what} must be a list of strings"))?;
    items
        .iter()
        .map(|s| {
            s.as_str()
                .map(str::to_string)
                .ok_or_else(|| format!("{what} must list strings"))
        })
        .collect()
}

impl Services<'_> {
    /// The KPI whose table `database.table` is, if any.
    fn kpi_table(&self, database: &str, table: &str) -> Option<String> {
        (database == self.manifest.project.database)
            .then(|| self.manifest.kpi(table))
            .flatten()
            .map(|k| k.name.clone())
    }

    /// A KPI-day of a batch entry, when the table is a KPI's and its one value a day.
    fn entry_day(&self, kpi: Option<&String>, values: &[String]) -> Option<(String, Day)> {
        match values {
            [day] => Some((kpi?.clone(), Day::parse(day)?)),
            _ => None,
        }
    }

    pub(super) fn get_table(
        &self,
        parameters: &Value,
        call: &mut Call,
    ) -> Result<Value, TaskError> {
        let what = "GetTable";
        let (database, name, catalog) =
            object(parameters, what, &["DatabaseName", "Name", "CatalogId"])
                .and_then(|m| {
                    Ok((
                        req_str(m, "DatabaseName", what)?,
                        req_str(m, "Name", what)?,
                        opt_str(m, "CatalogId", what)?,
                    ))
                })
                .map_err(|e| bad_parameters("Glue GetTable", e))?;
        call.kpi = self.kpi_table(&database, &name);
        let out = self
            .aws
            .block_on(
                self.glue
                    .get_table()
                    .database_name(&database)
                    .name(&name)
                    .set_catalog_id(catalog)
                    .send(),
            )
            .map_err(|e| task_error("Glue", &format!("Glue GetTable of {database}.{name}"), e))?;
        match out.table() {
            Some(t) => Ok(json!({"Table": json::table_json(t)})),
            None => Err(TaskError {
                error: "States.TaskFailed".into(),
                cause: format!("Glue GetTable of {database}.{name} answered without the table"),
            }),
        }
    }

    pub(super) fn batch_create_partition(
        &self,
        parameters: &Value,
        call: &mut Call,
    ) -> Result<Value, TaskError> {
        let what = "BatchCreatePartition";
        let parse = || -> Result<_, String> {
            let m = object(
                parameters,
                what,
                &[
                    "DatabaseName",
                    "TableName",
                    "PartitionInputList",
                    "CatalogId",
                ],
            )?;
            let list = opt_list(m, "PartitionInputList", what)?
                .ok_or_else(|| format!("{what}.PartitionInputList is required"))?;
            let inputs = list
                .iter()
                .enumerate()
                .map(|(i, p)| json::partition_input(p, &format!("PartitionInputList[{i}]")))
                .collect::<Result<Vec<_>, _>>()?;
            Ok((
                req_str(m, "DatabaseName", what)?,
                req_str(m, "TableName", what)?,
                opt_str(m, "CatalogId", what)?,
                inputs,
            ))
        };
        let (database, table, catalog, inputs) =
            parse().map_err(|e| bad_parameters("Glue BatchCreatePartition", e))?;
        call.kpi = self.kpi_table(&database, &table);
        let sent: Vec<Vec<String>> = inputs.iter().map(|p| p.values().to_vec()).collect();
        let out = self
            .aws
            .block_on(
                self.glue
                    .batch_create_partition()
                    .database_name(&database)
                    .table_name(&table)
                    .set_catalog_id(catalog)
                    .set_partition_input_list(Some(inputs))
                    .send(),
            )
            .map_err(|e| {
                task_error(
                    "Glue",
                    &format!("Glue BatchCreatePartition of {database}.{table}"),
                    e,
                )
            })?;
        let errors: Vec<EntryError> = out
            .errors()
            .iter()
            .map(|e| entry_error(e.partition_values(), e.error_detail()))
            .collect();
        self.settle(call, &sent, &errors);
        Ok(errors_json(&errors, "PartitionValues"))
    }

    pub(super) fn batch_update_partition(
        &self,
        parameters: &Value,
        call: &mut Call,
    ) -> Result<Value, TaskError> {
        let what = "BatchUpdatePartition";
        let parse = || -> Result<_, String> {
            let m = object(
                parameters,
                what,
                &["DatabaseName", "TableName", "Entries", "CatalogId"],
            )?;
            let list = opt_list(m, "Entries", what)?
                .ok_or_else(|| format!("{what}.Entries is required"))?;
            let entries = list
                .iter()
                .enumerate()
                .map(|(i, e)| {
                    let what = format!("Entries[{i}]");
                    let e = object(e, &what, &["PartitionValueList", "PartitionInput"])?;
                    let values = opt_strings(e, "PartitionValueList", &what)?
                        .ok_or_else(|| format!("{what}.PartitionValueList is required"))?;
                    let input: PartitionInput = json::partition_input(
                        e.get("PartitionInput").unwrap_or(&Value::Null),
                        &format!("{what}.PartitionInput"),
                    )?;
                    BatchUpdatePartitionRequestEntry::builder()
                        .set_partition_value_list(Some(values))
                        .partition_input(input)
                        .build()
                        .map_err(|e| format!("{what}: {e}"))
                })
                .collect::<Result<Vec<_>, _>>()?;
            Ok((
                req_str(m, "DatabaseName", what)?,
                req_str(m, "TableName", what)?,
                opt_str(m, "CatalogId", what)?,
                entries,
            ))
        };
        let (database, table, catalog, entries) =
            parse().map_err(|e| bad_parameters("Glue BatchUpdatePartition", e))?;
        call.kpi = self.kpi_table(&database, &table);
        let sent: Vec<Vec<String>> = entries
            .iter()
            .map(|e| e.partition_value_list().to_vec())
            .collect();
        let out = self
            .aws
            .block_on(
                self.glue
                    .batch_update_partition()
                    .database_name(&database)
                    .table_name(&table)
                    .set_catalog_id(catalog)
                    .set_entries(Some(entries))
                    .send(),
            )
            .map_err(|e| {
                task_error(
                    "Glue",
                    &format!("Glue BatchUpdatePartition of {database}.{table}"),
                    e,
                )
            })?;
        let errors: Vec<EntryError> = out
            .errors()
            .iter()
            .map(|e| entry_error(e.partition_value_list(), e.error_detail()))
            .collect();
        self.settle(call, &sent, &errors);
        Ok(errors_json(&errors, "PartitionValueList"))
    }

    /// The entries of a batch Glue applied are published KPI-days; those it refused failed.
    fn settle(&self, call: &Call, sent: &[Vec<String>], errors: &[EntryError]) {
        let kpi = call.kpi.as_ref();
        for values in sent {
            match errors.iter().find(|(v, _, _)| v == values) {
                None => {
                    if let Some((kpi, day)) = self.entry_day(kpi, values) {
                        self.note_published(&kpi, day);
                    }
                }
                Some((_, code, message)) => {
                    if let Some((kpi, day)) = self.entry_day(kpi, values) {
                        self.fail_days(
                            &kpi,
                            [day],
                            &call.state,
                            &format!("Glue.{code}: {message}"),
                        );
                    }
                }
            }
        }
    }

    pub(super) fn batch_get_partition(
        &self,
        parameters: &Value,
        call: &mut Call,
    ) -> Result<Value, TaskError> {
        let what = "BatchGetPartition";
        let parse = || -> Result<_, String> {
            let m = object(
                parameters,
                what,
                &["DatabaseName", "TableName", "PartitionsToGet", "CatalogId"],
            )?;
            let list = opt_list(m, "PartitionsToGet", what)?
                .ok_or_else(|| format!("{what}.PartitionsToGet is required"))?;
            let keys = list
                .iter()
                .enumerate()
                .map(|(i, k)| {
                    let what = format!("PartitionsToGet[{i}]");
                    let k = object(k, &what, &["Values"])?;
                    let v = values(k.get("Values").unwrap_or(&Value::Null), &what)?;
                    PartitionValueList::builder()
                        .set_values(Some(v))
                        .build()
                        .map_err(|e| format!("{what}: {e}"))
                })
                .collect::<Result<Vec<_>, _>>()?;
            Ok((
                req_str(m, "DatabaseName", what)?,
                req_str(m, "TableName", what)?,
                opt_str(m, "CatalogId", what)?,
                keys,
            ))
        };
        let (database, table, catalog, keys) =
            parse().map_err(|e| bad_parameters("Glue BatchGetPartition", e))?;
        call.kpi = self.kpi_table(&database, &table);
        let out = self
            .aws
            .block_on(
                self.glue
                    .batch_get_partition()
                    .database_name(&database)
                    .table_name(&table)
                    .set_catalog_id(catalog)
                    .set_partitions_to_get(Some(keys))
                    .send(),
            )
            .map_err(|e| {
                task_error(
                    "Glue",
                    &format!("Glue BatchGetPartition of {database}.{table}"),
                    e,
                )
            })?;
        Ok(json!({
            "Partitions": out.partitions().iter().map(json::partition_json).collect::<Vec<_>>(),
            "UnprocessedKeys": out.unprocessed_keys().iter()
                .map(|k| json!({"Values": k.values()}))
                .collect::<Vec<_>>()
        }))
    }
}

//! The Glue calls of the compiled state machine over the local catalog: `getTable`,
//! `batchCreatePartition`, `batchUpdatePartition` (each batch one atomic replace of the
//! catalog) and `batchGetPartition` (which partitions of a source or KPI table exist).
//! Answers have AWS's shapes: a batch answers with a per-entry `Errors` list, not a failure.

use super::{LocalAws, QueryRecord, service_error};
use crate::inputs;
use crate::lake::LocalPartition;
use kpi_asl::TaskError;
use kpi_contract::aws::{self, partition};
use kpi_contract::manifest::Kpi;
use kpi_contract::sql::Attempt;
use kpi_contract::{Day, DayRange, limits};
use serde_json::{Value, json};

const PARQUET_SERDE: &str = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe";
const PARQUET_INPUT: &str = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat";
const PARQUET_OUTPUT: &str = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat";

/// One entry of a batch that could not be applied, as Glue lists it.
struct EntryError {
    values: Value,
    code: &'static str,
    message: String,
}

impl LocalAws<'_> {
    /// The KPI table a Glue call names; an unknown one is an error of the whole call.
    fn glue_kpi(&self, parameters: &Value, name_key: &str) -> Result<&Kpi, TaskError> {
        let database = parameters["DatabaseName"].as_str().unwrap_or("");
        let table = parameters[name_key].as_str().unwrap_or("");
        self.kpi_of_table(database, table).ok_or_else(|| {
            service_error(
                "Glue",
                "EntityNotFoundException",
                format!("Table {table} not found in database {database} of this build"),
            )
        })
    }

    pub(super) fn get_table(&self, parameters: &Value) -> Result<Value, TaskError> {
        let kpi = self.glue_kpi(parameters, "Name")?;
        let database = &self.manifest.project.database;
        let registered = self
            .catalog
            .lock()
            .map(|c| c.table(database, &kpi.name).is_some())
            .unwrap_or(false);
        if !registered {
            return Err(service_error(
                "Glue",
                "EntityNotFoundException",
                format!("Table {} not found: its setup has not run", kpi.name),
            ));
        }
        let columns: Vec<Value> = kpi
            .columns
            .iter()
            .map(|c| json!({"Name": c.name, "Type": c.ty.to_string()}))
            .collect();
        Ok(json!({"Table": {
            "Name": kpi.name,
            "DatabaseName": database,
            "TableType": "EXTERNAL_TABLE",
            "PartitionKeys": [{"Name": "dt", "Type": "string"}],
            "StorageDescriptor": {
                "Columns": columns,
                "Location": kpi.location,
                "InputFormat": PARQUET_INPUT,
                "OutputFormat": PARQUET_OUTPUT,
                "Compressed": false,
                "NumberOfBuckets": -1,
                "SerdeInfo": {"SerializationLibrary": PARQUET_SERDE, "Parameters": {"serialization.format": "1"}},
                "StoredAsSubDirectories": false
            },
            "Parameters": {"EXTERNAL": "TRUE", "parquet.compression": "SNAPPY", (partition::FINGERPRINT): kpi.fingerprint}
        }}))
    }

    /// A `PartitionInput` as the local catalog records it, or why it cannot be: it must point
    /// at its own attempt's prefix of this KPI, inside the lake.
    fn partition_input(
        &self,
        kpi: &Kpi,
        input: &Value,
    ) -> Result<(Day, LocalPartition), (&'static str, String)> {
        let invalid = |m: String| ("InvalidInputException", m);
        let values = input["Values"].as_array().cloned().unwrap_or_default();
        let day = match values.as_slice() {
            [Value::String(d)] => {
                Day::parse(d).ok_or_else(|| invalid(format!("`{d}` is not a day")))?
            }
            _ => {
                return Err(invalid(
                    "a partition of a KPI table has one value, its day".into(),
                ));
            }
        };
        let params = &input["Parameters"];
        let attempt = params[partition::ATTEMPT]
            .as_str()
            .and_then(Attempt::new)
            .ok_or_else(|| invalid(format!("`{}` must name the attempt", partition::ATTEMPT)))?;
        let location = input["StorageDescriptor"]["Location"]
            .as_str()
            .unwrap_or("");
        let expected = aws::attempt_prefix(&kpi.attempts_location, day, &attempt);
        if location != expected {
            return Err(invalid(format!(
                "partition {day} of {} must be at its attempt's prefix {expected}, not {location}",
                kpi.name
            )));
        }
        let files = self
            .lake
            .partition_files(location)
            .map_err(|e| invalid(e.0))?;
        if files.is_empty() {
            return Err(invalid(format!(
                "{location} holds no data file: it was never written"
            )));
        }
        let rows = params[partition::ROWS]
            .as_str()
            .and_then(|r| r.parse().ok())
            .ok_or_else(|| invalid(format!("`{}` must be a row count", partition::ROWS)))?;
        let inputs = self.written.lock().ok().and_then(|w| {
            w.get(&(kpi.name.clone(), attempt.to_string()))
                .and_then(|w| w.inputs.get(&day).cloned())
        });
        Ok((
            day,
            LocalPartition {
                location: location.to_string(),
                attempt: attempt.to_string(),
                fingerprint: params[partition::FINGERPRINT]
                    .as_str()
                    .unwrap_or("")
                    .to_string(),
                sequence: 0,
                rows,
                inputs,
                partial: params["kpi.partial"].as_str() == Some("true"),
                files,
            },
        ))
    }

    /// Applies a batch of partitions to the catalog in one atomic replace. `create`: new
    /// partitions only (an existing one is an `AlreadyExistsException` entry); otherwise
    /// existing ones only (a missing one is an `EntityNotFoundException` entry).
    fn apply_partitions(
        &self,
        kpi: &Kpi,
        inputs: Vec<(Value, &Value)>,
        create: bool,
    ) -> Result<Vec<EntryError>, TaskError> {
        if inputs.len() > limits::MAX_GLUE_BATCH_WRITE {
            return Err(service_error(
                "Glue",
                "InvalidInputException",
                format!(
                    "{} entries in one batch; at most {} are allowed",
                    inputs.len(),
                    limits::MAX_GLUE_BATCH_WRITE
                ),
            ));
        }
        let database = self.manifest.project.database.clone();
        let mut errors = Vec::new();
        let mut published = Vec::new();
        let start = std::time::Instant::now();
        {
            let mut catalog = self
                .catalog
                .lock()
                .map_err(|_| service_error("Glue", "InternalServiceException", "poisoned"))?;
            let mut next = catalog.clone();
            for (values, input) in inputs {
                match self.partition_input(kpi, input) {
                    Err((code, message)) => errors.push(EntryError {
                        values,
                        code,
                        message,
                    }),
                    Ok((day, p)) => {
                        let exists = next.partition(&database, &kpi.name, day).is_some();
                        if create && exists {
                            errors.push(EntryError {
                                values,
                                code: aws::ALREADY_EXISTS,
                                message: format!("Partition {day} already exists."),
                            });
                        } else if !create && !exists {
                            errors.push(EntryError {
                                values,
                                code: "EntityNotFoundException",
                                message: format!("Partition {day} not found."),
                            });
                        } else {
                            next.switch(&database, &kpi.name, day, p);
                            published.push(day);
                        }
                    }
                }
            }
            if !published.is_empty() {
                self.save(&next)
                    .map_err(|e| service_error("Glue", "InternalServiceException", e))?;
                *catalog = next;
            }
        }
        self.record(QueryRecord {
            id: self.next_id(),
            kpi: kpi.name.clone(),
            days: published
                .iter()
                .min()
                .zip(published.iter().max())
                .and_then(|(&first, &last)| DayRange::new(first, last)),
            statement: if create {
                "batchCreatePartition"
            } else {
                "batchUpdatePartition"
            }
            .into(),
            role: "publish".into(),
            start_ms: self.elapsed_ms(start),
            duration_ms: start.elapsed().as_secs_f64() * 1000.0,
            rows: published.len() as u64,
            files_read: Vec::new(),
            file_bytes: 0,
            error: None,
            sql: None,
        });
        for day in published {
            self.note_published(kpi, day);
        }
        for e in &errors {
            if let Some(day) = e.values[0].as_str().and_then(Day::parse) {
                self.fail_days(kpi, [day], &format!("Glue.{}: {}", e.code, e.message));
            }
        }
        Ok(errors)
    }

    pub(super) fn batch_create_partition(&self, parameters: &Value) -> Result<Value, TaskError> {
        let kpi = self.glue_kpi(parameters, "TableName")?;
        let list = parameters["PartitionInputList"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default();
        let inputs = list.iter().map(|i| (i["Values"].clone(), i)).collect();
        let errors = self.apply_partitions(kpi, inputs, true)?;
        Ok(json!({"Errors": errors.into_iter().map(|e| json!({
            "PartitionValues": e.values,
            "ErrorDetail": {"ErrorCode": e.code, "ErrorMessage": e.message}
        })).collect::<Vec<_>>()}))
    }

    pub(super) fn batch_update_partition(&self, parameters: &Value) -> Result<Value, TaskError> {
        let kpi = self.glue_kpi(parameters, "TableName")?;
        let entries = parameters["Entries"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default();
        let inputs = entries
            .iter()
            .map(|e| (e["PartitionValueList"].clone(), &e["PartitionInput"]))
            .collect();
        let errors = self.apply_partitions(kpi, inputs, false)?;
        Ok(json!({"Errors": errors.into_iter().map(|e| json!({
            "PartitionValueList": e.values,
            "ErrorDetail": {"ErrorCode": e.code, "ErrorMessage": e.message}
        })).collect::<Vec<_>>()}))
    }

    /// Which of the asked partitions exist: a source's `<partition>=<day>/` directory (even
    /// empty: a day declared without delivery), or a KPI table's published day.
    pub(super) fn batch_get_partition(&self, parameters: &Value) -> Result<Value, TaskError> {
        let database = parameters["DatabaseName"].as_str().unwrap_or("");
        let table = parameters["TableName"].as_str().unwrap_or("");
        let asked = parameters["PartitionsToGet"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default();
        if asked.len() > limits::MAX_GLUE_BATCH_GET {
            return Err(service_error(
                "Glue",
                "InvalidInputException",
                format!(
                    "{} partitions asked; at most {}",
                    asked.len(),
                    limits::MAX_GLUE_BATCH_GET
                ),
            ));
        }
        let source = self
            .manifest
            .sources
            .iter()
            .find(|s| s.database == database && s.table == table);
        let kpi = self.kpi_of_table(database, table);
        if source.is_none() && kpi.is_none() {
            return Err(service_error(
                "Glue",
                "EntityNotFoundException",
                format!("Table {table} not found in database {database}"),
            ));
        }
        let catalog = self.catalog();
        let mut found = Vec::new();
        for entry in asked {
            let Some(day) = entry["Values"][0].as_str().and_then(Day::parse) else {
                continue;
            };
            let location = match (source, kpi) {
                (Some(s), _) => inputs::partition_dir(self.lake, s, Some(day))
                    .filter(|d| d.is_dir())
                    .and_then(|d| self.lake.location_of(&d)),
                (None, Some(k)) => catalog
                    .partition(database, &k.name, day)
                    .map(|p| p.location.clone()),
                (None, None) => None,
            };
            if let Some(location) = location {
                found.push(json!({
                    "Values": [day.to_string()],
                    "DatabaseName": database,
                    "TableName": table,
                    "StorageDescriptor": {"Location": location}
                }));
            }
        }
        Ok(json!({"Partitions": found, "UnprocessedKeys": []}))
    }
}

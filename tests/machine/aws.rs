//! A Task handler answering the state machine as Athena and Glue would: `.sync` query results,
//! a check's rows (a header row, `{}` for NULL), `GetTable`, `BatchCreatePartition` with
//! `AlreadyExistsException` per entry for the partitions that exist, `BatchUpdatePartition`,
//! `BatchGetPartition` from a set of source partitions. Every call is recorded.

use super::Built;
use kpi_asl::{TaskContext, TaskError, TaskHandler};
use serde_json::{Value, json};
use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

pub const ATHENA_SYNC: &str = "arn:aws:states:::athena:startQueryExecution.sync";
pub const ATHENA_RESULTS: &str = "arn:aws:states:::athena:getQueryResults";
pub const GET_TABLE: &str = "arn:aws:states:::aws-sdk:glue:getTable";
pub const CREATE: &str = "arn:aws:states:::aws-sdk:glue:batchCreatePartition";
pub const UPDATE: &str = "arn:aws:states:::aws-sdk:glue:batchUpdatePartition";
pub const GET_PARTITIONS: &str = "arn:aws:states:::aws-sdk:glue:batchGetPartition";

/// One Task call: its resource, state, the Map item it ran for, and its parameters.
#[derive(Clone, Debug)]
pub struct Call {
    pub resource: String,
    pub state: String,
    pub item: Value,
    pub parameters: Value,
}

impl Call {
    pub fn kpi(&self) -> &str {
        self.item["kpi"].as_str().unwrap_or_default()
    }
    pub fn statement(&self) -> &str {
        self.state.split_once('.').map_or("", |(_, s)| s)
    }
    pub fn first(&self) -> &str {
        self.item["first"].as_str().unwrap_or_default()
    }
    pub fn last(&self) -> &str {
        self.item["last"].as_str().unwrap_or_default()
    }
    /// The attempt, as the request token starts with it.
    pub fn attempt(&self) -> &str {
        self.parameters["ClientRequestToken"]
            .as_str()
            .and_then(|t| t.split('-').next())
            .unwrap_or_default()
    }
}

#[derive(Default)]
struct Recorded {
    calls: Vec<Call>,
    /// Query ids handed out: the check runs by id.
    queries: Vec<Call>,
    /// (table, day) → the PartitionInput Glue holds.
    partitions: BTreeMap<(String, String), Value>,
}

pub struct Aws {
    pub database: String,
    /// KPI → its table's columns `(name, type)`.
    columns: BTreeMap<String, Vec<(String, String)>>,
    /// `database.table` → the days whose partitions exist.
    pub sources: BTreeMap<String, BTreeSet<String>>,
    /// (KPI, day) → the failure text its check gives.
    pub check_failures: BTreeMap<(String, String), String>,
    /// (KPI, day) whose row the check leaves out.
    pub missing_rows: BTreeSet<(String, String)>,
    /// (KPI, day): the write of the chunk holding that day fails.
    pub failing_writes: BTreeSet<(String, String)>,
    /// `BatchGetPartition` calls (from the first) that leave their last key unprocessed.
    pub unprocessed: Mutex<usize>,
    recorded: Mutex<Recorded>,
}

fn days(from: &str, to: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut d = chrono::NaiveDate::parse_from_str(from, "%Y-%m-%d").unwrap();
    let end = chrono::NaiveDate::parse_from_str(to, "%Y-%m-%d").unwrap();
    while d <= end {
        out.push(d.format("%Y-%m-%d").to_string());
        d = d.succ_opt().unwrap();
    }
    out
}

impl Aws {
    /// Glue as it is once the project's tables exist, and every day-partitioned source has
    /// a partition for each day from `from` to `to`.
    pub fn new(built: &Built, from: &str, to: &str) -> Aws {
        let mut sources = BTreeMap::new();
        for s in built.plan.sources.iter().filter(|s| s.partition.is_some()) {
            sources.insert(
                format!("{}.{}", s.database, s.table),
                days(from, to).into_iter().collect(),
            );
        }
        Aws {
            database: built.plan.settings.database.clone(),
            columns: built
                .plan
                .kpis
                .iter()
                .map(|k| {
                    let cols = k
                        .columns
                        .iter()
                        .map(|c| (c.name.clone(), kpi_compiler::sql::hive_ddl_type(&c.ty)))
                        .collect();
                    (k.name.clone(), cols)
                })
                .collect(),
            sources,
            check_failures: BTreeMap::new(),
            missing_rows: BTreeSet::new(),
            failing_writes: BTreeSet::new(),
            unprocessed: Mutex::new(0),
            recorded: Mutex::new(Recorded::default()),
        }
    }

    pub fn calls(&self) -> Vec<Call> {
        self.recorded.lock().unwrap().calls.clone()
    }

    pub fn calls_to(&self, resource: &str) -> Vec<Call> {
        self.calls()
            .into_iter()
            .filter(|c| c.resource == resource)
            .collect()
    }

    /// The partition Glue holds for a KPI's day.
    pub fn partition(&self, kpi: &str, day: &str) -> Option<Value> {
        self.recorded
            .lock()
            .unwrap()
            .partitions
            .get(&(kpi.to_string(), day.to_string()))
            .cloned()
    }

    pub fn published(&self, kpi: &str) -> Vec<String> {
        self.recorded
            .lock()
            .unwrap()
            .partitions
            .keys()
            .filter(|(k, _)| k == kpi)
            .map(|(_, d)| d.clone())
            .collect()
    }

    /// A partition from an earlier execution.
    pub fn publish_before(&self, kpi: &str, day: &str) {
        self.recorded.lock().unwrap().partitions.insert(
            (kpi.to_string(), day.to_string()),
            json!({"Values": [day], "Parameters": {"kpi.attempt": "old"}}),
        );
    }

    fn storage(&self, kpi: &str) -> Value {
        let columns: Vec<Value> = self.columns[kpi]
            .iter()
            .map(|(n, t)| json!({"Name": n, "Type": t, "Comment": format!("the {n}")}))
            .collect();
        json!({
            "Columns": columns,
            "Location": format!("s3://lake/kpi/{kpi}/"),
            "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
            "OutputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
            "Compressed": false,
            "NumberOfBuckets": -1,
            "SerdeInfo": {"SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe", "Parameters": {"serialization.format": "1"}},
            "BucketColumns": [], "SortColumns": [], "Parameters": {}, "StoredAsSubDirectories": false,
        })
    }

    fn athena(&self, call: &Call, rec: &mut Recorded) -> Result<Value, TaskError> {
        let token = call.parameters["ClientRequestToken"].as_str().unwrap_or("");
        assert!((32..=128).contains(&token.len()), "token {token}");
        rec.queries.push(call.clone());
        let id = format!("q{}", rec.queries.len());
        let query = call.parameters["QueryString"].clone();
        let chunk = days(call.first(), call.last());
        if call.statement() == "03_write"
            && chunk.iter().any(|d| {
                self.failing_writes
                    .contains(&(call.kpi().to_string(), d.clone()))
            })
        {
            let reason = format!("HIVE_BAD_DATA: broken file for {}", call.kpi());
            let cause = json!({"QueryExecution": {"QueryExecutionId": id, "Query": query,
                "Status": {"State": "FAILED", "StateChangeReason": reason}}});
            return Err(TaskError {
                error: "Athena.AmazonAthenaException".into(),
                cause: cause.to_string(),
            });
        }
        Ok(
            json!({"QueryExecution": {"QueryExecutionId": id, "Query": query,
            "Status": {"State": "SUCCEEDED"}, "StatementType": "DML",
            "Statistics": {"EngineExecutionTimeInMillis": 10, "DataScannedInBytes": 100}}}),
        )
    }

    fn rows(&self, call: &Call, rec: &Recorded) -> Result<Value, TaskError> {
        let id = call.parameters["QueryExecutionId"].as_str().unwrap_or("");
        let n: usize = id.trim_start_matches('q').parse().unwrap_or(0);
        let check = rec.queries.get(n.wrapping_sub(1)).expect("a query id");
        assert_eq!(check.statement(), "04_check", "rows of a check only");
        let cell = |v: &str| json!({"VarCharValue": v});
        let mut rows = vec![json!({"Data": [cell("dt"), cell("rows"), cell("failure")]})];
        for (i, day) in days(check.first(), check.last()).into_iter().enumerate() {
            let key = (check.kpi().to_string(), day.clone());
            if self.missing_rows.contains(&key) {
                continue;
            }
            let failure = self
                .check_failures
                .get(&key)
                .map_or_else(|| json!({}), |f| cell(f));
            rows.push(json!({"Data": [cell(&day), cell(&(10 + i).to_string()), failure]}));
        }
        Ok(
            json!({"ResultSet": {"Rows": rows, "ResultSetMetadata": {"ColumnInfo": []}},
                  "UpdateCount": 0}),
        )
    }

    fn glue(&self, call: &Call, rec: &mut Recorded) -> Result<Value, TaskError> {
        let p = &call.parameters;
        let table = |field: &str| p[field].as_str().unwrap_or_default().to_string();
        if call.resource == GET_PARTITIONS {
            let name = format!("{}.{}", table("DatabaseName"), table("TableName"));
            let existing = self.sources.get(&name).cloned().unwrap_or_default();
            let mut keys: Vec<Value> = p["PartitionsToGet"].as_array().unwrap().clone();
            let mut unprocessed = Vec::new();
            let mut left = self.unprocessed.lock().unwrap();
            if *left > 0 && keys.len() > 1 {
                *left -= 1;
                unprocessed.push(keys.pop().unwrap());
            }
            let found: Vec<Value> = keys
                .iter()
                .filter(|k| existing.contains(k["Values"][0].as_str().unwrap()))
                .map(|k| json!({"Values": k["Values"], "DatabaseName": table("DatabaseName"),
                    "TableName": table("TableName"), "CreationTime": "2024-01-01T00:00:00Z",
                    "StorageDescriptor": {"Columns": [{"Name": "x", "Type": "string"}],
                        "Location": format!("s3://lake/{name}/dt={}/", k["Values"][0].as_str().unwrap())}}))
                .collect();
            return Ok(json!({"Partitions": found, "UnprocessedKeys": unprocessed}));
        }
        assert_eq!(table("DatabaseName"), self.database);
        if call.resource == GET_TABLE {
            let kpi = table("Name");
            return Ok(json!({"Table": {"Name": kpi, "DatabaseName": self.database,
                "StorageDescriptor": self.storage(&kpi), "PartitionKeys": [{"Name": "dt", "Type": "string"}],
                "TableType": "EXTERNAL_TABLE", "CreateTime": "2024-01-01T00:00:00Z"}}));
        }
        let kpi = table("TableName");
        let mut errors = Vec::new();
        if call.resource == CREATE {
            for input in p["PartitionInputList"].as_array().unwrap() {
                let day = input["Values"][0].as_str().unwrap().to_string();
                match rec.partitions.entry((kpi.clone(), day.clone())) {
                    Entry::Occupied(_) => errors.push(json!({"PartitionValues": [day], "ErrorDetail": {
                        "ErrorCode": "AlreadyExistsException", "ErrorMessage": "Partition already exists."}})),
                    Entry::Vacant(v) => {
                        v.insert(input.clone());
                    }
                }
            }
        } else {
            assert_eq!(call.resource, UPDATE);
            for entry in p["Entries"].as_array().unwrap() {
                let day = entry["PartitionValueList"][0].as_str().unwrap().to_string();
                assert_eq!(entry["PartitionInput"]["Values"][0], day.as_str());
                match rec.partitions.get_mut(&(kpi.clone(), day.clone())) {
                    Some(held) => *held = entry["PartitionInput"].clone(),
                    None => errors.push(json!({"PartitionValueList": [day], "ErrorDetail": {
                        "ErrorCode": "EntityNotFoundException", "ErrorMessage": "Partition not found."}})),
                }
            }
        }
        Ok(json!({"Errors": errors}))
    }
}

impl TaskHandler for Aws {
    fn call(
        &self,
        resource: &str,
        parameters: &Value,
        context: &TaskContext,
    ) -> Result<Value, TaskError> {
        let call = Call {
            resource: resource.to_string(),
            state: context.state_name.clone(),
            item: context.context["Map"]["Item"]["Value"].clone(),
            parameters: parameters.clone(),
        };
        let mut rec = self.recorded.lock().unwrap();
        rec.calls.push(call.clone());
        match resource {
            ATHENA_SYNC => self.athena(&call, &mut rec),
            ATHENA_RESULTS => self.rows(&call, &rec),
            GET_TABLE | CREATE | UPDATE | GET_PARTITIONS => self.glue(&call, &mut rec),
            other => panic!("the machine called {other}"),
        }
    }
}

//! The sources the KPIs read by day → the Inputs phase: per source, the block size that keeps
//! a `BatchGetPartition` answer (which carries every partition's StorageDescriptor) far below
//! 256 KiB, and the item processor asking Glue which partitions of a block exist (again for
//! the keys Glue leaves unprocessed). A KPI-day whose window needs a partition that does not
//! exist, from `history_start` on, is then not run (`Kpi.MissingInput`).

use super::build::{MachineInput, jsonata_pass, present};
use super::items::jsonata_task;
use super::jsonata::{self, InputSource, ItemExpr, SourceReader};
use super::limits::{self, INPUTS_ANSWER_BUDGET, MAX_GLUE_BATCH_GET, PARTITION_FIXED_BYTES};
use super::tasks::glue_retriers;
use super::types::{
    ExecutionType, ItemProcessor, MapMode, ProcessorConfig, States, Succeed, Transition,
};
use crate::diagnostic::Diagnostic;
use crate::lower::{Plan, Target};
use crate::sql::hive_ddl_type;
use kpi_contract::aws::GLUE_BATCH_GET_PARTITION;
use serde_json::json;

/// The bytes of one partition of a source in a `BatchGetPartition` answer, at most: its
/// columns as the catalog gives them, and the rest (location, formats, values, parameters).
fn partition_bytes(plan: &Plan, source: &str) -> u64 {
    let columns: Vec<(String, String, Option<String>)> = plan
        .source(source)
        .map(|s| {
            s.columns
                .iter()
                .map(|c| (c.name.clone(), hive_ddl_type(&c.ty), c.doc.clone()))
                .collect()
        })
        .unwrap_or_default();
    limits::storage_bytes(&columns, 0) - limits::STORAGE_FIXED_BYTES + PARTITION_FIXED_BYTES
}

/// Every source some KPI reads by day, with its readers' windows and its block size; a
/// diagnostic for a source whose single partition would not fit the budget.
pub fn sources(plan: &Plan, diagnostics: &mut Vec<Diagnostic>) -> Vec<InputSource> {
    let mut out: Vec<InputSource> = Vec::new();
    for kpi in &plan.kpis {
        for read in kpi.reads.iter().filter(|r| r.partitioned) {
            let Target::Source(name) = &read.target else {
                continue;
            };
            let Some(source) = plan.source(name) else {
                continue;
            };
            let reader = SourceReader {
                kpi: kpi.name.clone(),
                lead: read.window.lead_in(),
                back: read.window.ends_before,
            };
            match out.iter_mut().find(|s| &s.name == name) {
                Some(s) => {
                    if let Some(r) = s.reads.iter_mut().find(|r| r.kpi == kpi.name) {
                        // Two reads of one source: the union of their windows.
                        r.lead = r.lead.max(reader.lead);
                        r.back = r.back.min(reader.back);
                    } else {
                        s.reads.push(reader);
                    }
                }
                None => {
                    let bytes = partition_bytes(plan, name);
                    let block = (INPUTS_ANSWER_BUDGET / bytes).min(MAX_GLUE_BATCH_GET as u64);
                    if block == 0 {
                        diagnostics.push(limits::payload_too_large(
                            &format!(
                                "the `BatchGetPartition` answer for one partition of source `{name}` (it carries the partition's columns)"
                            ),
                            bytes,
                        ));
                    }
                    out.push(InputSource {
                        name: name.clone(),
                        db: source.database.clone(),
                        table: source.table.clone(),
                        block: block.max(1),
                        reads: vec![reader],
                    });
                }
            }
        }
    }
    out
}

/// Days one execution may ask about for a source: the longest backfill and its readers'
/// longest lead-in.
pub fn reach_days(source: &InputSource, max_days: u32) -> u64 {
    let lead = source.reads.iter().map(|r| r.lead).max().unwrap_or(0);
    let back = source.reads.iter().map(|r| r.back).min().unwrap_or(0);
    (u64::from(max_days) + u64::from(lead)).saturating_sub(u64::from(back))
}

pub fn processor(phase: &str, input: &MachineInput<'_>) -> ItemProcessor {
    let name = |s: &str| format!("{phase}.{s}");
    let day = input.history_day;
    let mut states = States::default();
    states.add(
        name("Get"),
        jsonata_task(
            GLUE_BATCH_GET_PARTITION,
            json!({
                "DatabaseName": "{% $states.input.db %}",
                "TableName": "{% $states.input.table %}",
                "PartitionsToGet": jsonata::item(ItemExpr::InputsKeys, day),
            }),
            jsonata::item(ItemExpr::InputsFound, day),
            glue_retriers(),
            Transition::next(name("Again")),
            &name("Failed"),
        ),
    );
    states.add(
        name("Again"),
        present("$.keys[0]", &name("Get"), &name("Done")),
    );
    states.add(
        name("Done"),
        Succeed {
            comment: None,
            output_path: None,
        },
    );
    states.add(
        name("Failed"),
        jsonata_pass(
            Some("Records that these partitions are unknown; the KPI-days needing them fail, the rest runs."),
            jsonata::item(ItemExpr::InputsFailed, day),
            Transition::END,
        ),
    );
    ItemProcessor {
        processor_config: ProcessorConfig {
            mode: input.mode,
            execution_type: (input.mode == MapMode::Distributed).then_some(ExecutionType::Standard),
        },
        start_at: name("Get"),
        states,
    }
}

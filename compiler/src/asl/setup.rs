//! The Setup phase's KPIs → its item processor: the route on the item's KPI, each KPI's Pass
//! state (its query texts), then one shared Athena Task state per statement kind, each
//! optional kind behind a Choice on the presence of its query text.

use super::build::{MachineInput, SetupKpi, jsonata_pass, present, unknown_kpi};
use super::jsonata::{self, ItemExpr};
use super::tasks::{KPI_PATH, Keep, SQL_PATH, athena_task, query_keys, setup_pass};
use super::types::{
    Choice, ChoiceRule, ExecutionType, ItemProcessor, MapMode, Pass, ProcessorConfig, States, Test,
    Transition,
};
use kpi_contract::manifest::Statement;

/// One statement kind of the phase: its name, its key under `$.sql`, and whether some KPI
/// lacks it (then a Choice on presence skips its Task state).
pub struct Kind<'a> {
    pub statement: &'a str,
    pub key: String,
    pub optional: bool,
}

/// The statement kinds of the phase, in an order that keeps every KPI's own order: each kind
/// goes right after the kind before it in the first KPI that has it.
pub fn kinds<'a>(kpis: &[SetupKpi<'a>]) -> Vec<Kind<'a>> {
    let mut order: Vec<&'a str> = Vec::new();
    for kpi in kpis {
        let mut at = 0;
        for s in &kpi.statements {
            match order.iter().position(|k| *k == s.name) {
                Some(i) => at = i + 1,
                None => {
                    order.insert(at, s.name.as_str());
                    at += 1;
                }
            }
        }
    }
    let keys = query_keys(&order);
    order
        .into_iter()
        .zip(keys)
        .map(|(statement, key)| Kind {
            statement,
            key,
            optional: !kpis
                .iter()
                .all(|k| k.statements.iter().any(|s| s.name == statement)),
        })
        .collect()
}

/// Task states and presence Choices each KPI's item passes: for the history model.
pub fn shape(kpis: &[SetupKpi<'_>]) -> Vec<(u64, u64)> {
    let kinds = kinds(kpis);
    let choices = kinds.iter().filter(|k| k.optional).count() as u64
        + u64::from(kinds.last().is_some_and(|k| k.optional));
    kpis.iter()
        .map(|k| (k.statements.len() as u64, choices))
        .collect()
}

pub fn processor(phase: &str, kpis: &[SetupKpi<'_>], input: &MachineInput<'_>) -> ItemProcessor {
    let failed = format!("{phase}.Failed");
    let route = format!("{phase}.Route");
    let unknown = format!("{phase}.Unknown");
    let done = format!("{phase}.Done");
    let kinds = kinds(kpis);
    let task = |k: &Kind<'_>| format!("{phase}.{}", k.statement);
    let entry = |i: usize| {
        kinds.get(i).map_or_else(
            || done.clone(),
            |k| {
                if k.optional {
                    format!("{phase}.If.{}", k.statement)
                } else {
                    task(k)
                }
            },
        )
    };
    let mut states = States::default();
    let mut choices = Vec::new();
    let mut passes = States::default();
    for kpi in kpis {
        let state = format!("{}.Setup", kpi.name);
        let with_keys: Vec<(&Statement, &str)> = kpi
            .statements
            .iter()
            .filter_map(|s| {
                kinds
                    .iter()
                    .find(|k| k.statement == s.name)
                    .map(|k| (*s, k.key.as_str()))
            })
            .collect();
        passes.add(
            state.clone(),
            setup_pass(&with_keys, Transition::next(entry(0))),
        );
        choices.push(ChoiceRule {
            variable: KPI_PATH.into(),
            test: Test::StringEquals(kpi.name.to_string()),
            next: state,
        });
    }
    states.add(
        route.clone(),
        Choice {
            comment: None,
            choices,
            default: unknown.clone(),
        },
    );
    states.0.extend(passes.0);
    let mut needs_done = false;
    for (i, kind) in kinds.iter().enumerate() {
        let last = i + 1 == kinds.len();
        if kind.optional {
            needs_done |= last;
            states.add(
                entry(i),
                present(
                    &format!("{SQL_PATH}.{}", kind.key),
                    &task(kind),
                    &entry(i + 1),
                ),
            );
        }
        let users: Vec<String> = kpis
            .iter()
            .filter(|k| k.statements.iter().any(|s| s.name == kind.statement))
            .map(|k| k.name.to_string())
            .collect();
        let next = if last {
            Transition::END
        } else {
            Transition::next(entry(i + 1))
        };
        let mut t = athena_task(
            kind.statement,
            &kind.key,
            users,
            Keep::Nothing,
            next,
            &failed,
        );
        if last {
            // The item ends with its KPI's name, so a batch's results stay small.
            t.output_path = Some(KPI_PATH.into());
        }
        states.add(task(kind), t);
    }
    if needs_done {
        states.add(
            done,
            Pass {
                output_path: Some(KPI_PATH.into()),
                transition: Some(Transition::END),
                ..Pass::default()
            },
        );
    }
    states.add(
        failed,
        jsonata_pass(
            Some("Records the failure and ends the item normally, so the rest completes."),
            jsonata::item(ItemExpr::SetupFailed, input.history_day),
            Transition::END,
        ),
    );
    states.add(unknown, unknown_kpi());
    ItemProcessor {
        processor_config: ProcessorConfig {
            mode: input.mode,
            execution_type: (input.mode == MapMode::Distributed).then_some(ExecutionType::Standard),
        },
        start_at: route,
        states,
    }
}

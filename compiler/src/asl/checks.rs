//! The phases' items → the payloads an item's states can reach (query texts, `.sync`
//! echoes, a check's rows, the Glue calls publishing a whole chunk), and the statement
//! limits (query length, no local lake in Athena text): each one over a limit is a diagnostic.

use super::build::{Phase, PhaseKind};
use super::limits;
use crate::diagnostic::Diagnostic;
use crate::lower::Plan;
use kpi_contract::Param;
use kpi_contract::manifest::Statement;

/// The JSON-encoded bytes of a statement's query text at its longest.
fn query_json_bytes(s: &Statement) -> u64 {
    let text = s.athena.render_with(|p| match p {
        Param::FirstDay | Param::LastDay => "2024-01-01".into(),
        Param::Attempt => "a".repeat(Param::Attempt.max_len()),
        Param::Lake => String::new(),
    });
    limits::json_len(&text)
}

fn room(bytes: u64) -> bool {
    bytes + limits::PAYLOAD_MARGIN <= limits::MAX_PAYLOAD_BYTES
}

/// One item's statements: each within Athena's length and its `.sync` echo within a payload,
/// none naming the lake; the item's state with all their texts (and `literals` more bytes)
/// within a payload even when an error echoing the longest comes back. Returns the largest.
fn statements(
    kpi: &str,
    phase: &str,
    statements: &[&Statement],
    literals: u64,
    diagnostics: &mut Vec<Diagnostic>,
) -> u64 {
    let mut largest = 0;
    let mut too_long = false;
    for s in statements {
        let bytes = s.athena.max_len();
        if s.athena.params().contains(&Param::Lake) {
            diagnostics.push(limits::missing_statement(
                kpi,
                &format!("an Athena statement `{}` that names the local lake", s.name),
            ));
        }
        if bytes > limits::MAX_QUERY_BYTES {
            too_long = true;
            diagnostics.push(limits::query_too_long(kpi, &s.name, bytes));
        }
        let sync = bytes as u64 + limits::SYNC_RESULT_OVERHEAD;
        largest = largest.max(sync);
        if bytes <= limits::MAX_QUERY_BYTES && sync > limits::MAX_PAYLOAD_BYTES {
            diagnostics.push(limits::payload_too_large(
                &format!(
                    "the `.sync` result of `{kpi}.{}` (it echoes the query text)",
                    s.name
                ),
                sync,
            ));
        }
    }
    let sizes: Vec<u64> = statements.iter().map(|s| query_json_bytes(s)).collect();
    let state = limits::item_state_bytes(
        sizes.iter().sum(),
        sizes.iter().copied().max().unwrap_or(0),
        literals,
    );
    if !too_long && !room(state) {
        diagnostics.push(limits::payload_too_large(
            &format!("the state of a `{kpi}` item of `{phase}` (it holds the KPI's query texts)"),
            state + limits::PAYLOAD_MARGIN,
        ));
    }
    largest.max(state)
}

/// Every item's payloads; returns the largest.
pub fn items(plan: &Plan, phases: &[Phase<'_>], diagnostics: &mut Vec<Diagnostic>) -> u64 {
    let chunk = u64::from(plan.settings.chunk_days);
    let mut largest = 0;
    let has_levels = phases.iter().any(|p| matches!(p.kind, PhaseKind::Level(_)));
    if has_levels {
        largest = limits::check_rows_bytes(chunk);
        if !room(largest) {
            diagnostics.push(limits::payload_too_large(
                &format!("the rows of a check over {chunk} days"),
                largest,
            ));
        }
    }
    for phase in phases {
        match &phase.kind {
            PhaseKind::Setup(kpis) => {
                for k in kpis {
                    largest = largest.max(statements(
                        k.name,
                        &phase.name,
                        &k.statements,
                        0,
                        diagnostics,
                    ));
                }
            }
            PhaseKind::Inputs(_) => {}
            PhaseKind::Level(kpis) => {
                for k in kpis {
                    let literals = limits::json_len(k.attempts_location)
                        + limits::json_len(k.fingerprint)
                        + 64;
                    largest = largest.max(statements(
                        k.name,
                        &phase.name,
                        &[k.write, k.check],
                        literals,
                        diagnostics,
                    ));
                    let verdict = 4_096
                        + chunk * 48
                        + limits::level_cell_bytes(limits::json_len(k.name), chunk);
                    let per_call = (limits::ENTRY_BUDGET / (k.entry_bytes + 64))
                        .clamp(1, limits::MAX_GLUE_BATCH_WRITE as u64);
                    for (what, bytes) in [
                        ("the `GetTable` answer for".to_string(), k.table_bytes),
                        (
                            "the state publishing a chunk of".to_string(),
                            verdict + k.table_bytes,
                        ),
                        (
                            "the Glue request publishing one day of".to_string(),
                            1_024 + 4 * (k.entry_bytes + 64),
                        ),
                        (
                            "the Glue answer for a call publishing".to_string(),
                            512 + per_call.min(chunk) * limits::GLUE_ERROR_BYTES,
                        ),
                    ] {
                        largest = largest.max(bytes);
                        if !room(bytes) {
                            diagnostics.push(limits::payload_too_large(
                                &format!("{what} `{}`", k.name),
                                bytes,
                            ));
                        }
                    }
                }
            }
        }
    }
    largest
}

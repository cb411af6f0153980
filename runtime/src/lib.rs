//! The kpi runtime: executes what the compiler builds. It reads only the compiler's output
//! types, never its internals.
//!
//! - `asl`: an interpreter for Amazon States Language documents, with a clock tests can drive.
//! - `jsonata`: the JSONata evaluator the interpreter uses for JSONata states.
//! - `local`: the local runtime: the state machine on an embedded DuckDB over a lake directory.
//! - `sample`: a deterministic generator of a realistic sample lake.

pub mod asl;
pub mod jsonata;
pub mod local;
pub mod sample;

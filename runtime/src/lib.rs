//! The kpi runtime: executes what the compiler builds. It reads only the compiler's output
//! types, never its internals. The ASL interpreter and the local DuckDB engine live here.

//! Syntax: `.kpi` text → AST (`parse`), or syntax diagnostics. pest stays behind `parse.rs`.

pub mod ast;
mod errors;
mod parse;
mod scan;

pub use errors::SyntaxError;
pub use parse::{MAX_EXPR_DEPTH, parse};
pub use scan::{Comment, MAX_NESTING, comments};

#[cfg(test)]
mod tests;

//! A source of the manifest and its files in the lake → a DuckDB view typed as the catalog
//! says. File names are data: every path reaches SQL escaped, never as a glob. The partition
//! value comes from the file's own partition directory (the part of the path below the table's
//! location), never from anything above it. A file that cannot be read whole (damaged, or with
//! values that do not convert) becomes a branch of the view that fails, naming the file, only
//! when a query reads its partition.

use super::engine::{Engine, EngineError, ident, literal};
use super::lake::Lake;
use super::staging;
use duckdb::Connection;
use kpi_contract::hive::{Column, HiveType};
use kpi_contract::manifest::{Source, SourceFormat};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Why a source file cannot be read. Every message about source files is worded here.
#[derive(Debug)]
pub enum SourceError {
    /// The file cannot be read to its end (a truncated gzip, a broken Parquet footer).
    Damaged { file: PathBuf, reason: String },
    /// Present, non-null values that do not convert to their column's type.
    LostValues {
        file: PathBuf,
        columns: Vec<ColumnLoss>,
    },
    /// The file could not be opened.
    Unreadable {
        file: PathBuf,
        error: std::io::Error,
    },
    /// The staging area could not be written.
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
}

/// The values of one column (`context.tags[]`) that did not convert, in one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnLoss {
    pub column: String,
    pub expected: String,
    pub count: u64,
    /// The first such value, as the file has it, and its line (1-based).
    pub example: String,
    pub line: u64,
}

impl std::fmt::Display for SourceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SourceError::Damaged { file, reason } => {
                write!(f, "{} is damaged: {reason}", file.display())
            }
            SourceError::LostValues { file, columns } => {
                write!(
                    f,
                    "{} has values that are not of their column's type:",
                    file.display()
                )?;
                for c in columns {
                    let values = if c.count == 1 { "value" } else { "values" };
                    write!(
                        f,
                        " column `{}`: {} {values} not readable as {} (first on line {}: {});",
                        c.column, c.count, c.expected, c.line, c.example
                    )?;
                }
                f.write_str(" Athena fails any query that reads them: fix the file, or the column's type in the catalog")
            }
            SourceError::Unreadable { file, error } => {
                write!(f, "cannot read {}: {error}", file.display())
            }
            SourceError::Io { path, error } => {
                write!(f, "cannot write {}: {error}", path.display())
            }
        }
    }
}

impl From<SourceError> for EngineError {
    fn from(e: SourceError) -> Self {
        EngineError(e.to_string())
    }
}

/// The DuckDB type of a catalog type.
pub fn duckdb_type(ty: &HiveType) -> Result<String, EngineError> {
    Ok(match ty {
        HiveType::Boolean => "BOOLEAN".into(),
        HiveType::TinyInt => "TINYINT".into(),
        HiveType::SmallInt => "SMALLINT".into(),
        HiveType::Int => "INTEGER".into(),
        HiveType::BigInt => "BIGINT".into(),
        HiveType::Float => "FLOAT".into(),
        HiveType::Double => "DOUBLE".into(),
        HiveType::Decimal { precision, scale } => format!("DECIMAL({precision}, {scale})"),
        HiveType::String | HiveType::Varchar { .. } | HiveType::Char { .. } => "VARCHAR".into(),
        HiveType::Date => "DATE".into(),
        HiveType::Timestamp => "TIMESTAMP".into(),
        HiveType::Binary => "BLOB".into(),
        HiveType::Array { element } => format!("{}[]", duckdb_type(element)?),
        HiveType::Map { key, value } => {
            format!("MAP({}, {})", duckdb_type(key)?, duckdb_type(value)?)
        }
        HiveType::Struct { fields } => {
            let fields = fields
                .iter()
                .map(|f| Ok(format!("{} {}", ident(&f.name), duckdb_type(&f.ty)?)))
                .collect::<Result<Vec<_>, EngineError>>()?;
            format!("STRUCT({})", fields.join(", "))
        }
    })
}

/// How a source's files are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    /// JSON lines, gzip-compressed or not; malformed lines are skipped.
    Json,
    Parquet,
}

pub fn file_format(source: &Source) -> Result<FileFormat, EngineError> {
    match &source.format {
        SourceFormat::Json => Ok(FileFormat::Json),
        SourceFormat::Parquet => Ok(FileFormat::Parquet),
        SourceFormat::Other(serde) => Err(EngineError(format!(
            "source `{}` ({}.{}) is stored as {serde}; the local engine reads JSON lines and Parquet",
            source.name, source.database, source.table
        ))),
    }
}

/// The data files of a source's partition directory (or of the whole table when it is not
/// partitioned), sorted; hidden files and Hive's `_` files are left out, as Athena does.
pub fn data_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        if name.starts_with('.') || name.starts_with('_') {
            continue;
        }
        let path = entry.path();
        if path.is_file() {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// A file's size and modification time (nanoseconds since 1970): what tells a changed file.
pub fn file_stamp(path: &Path) -> Option<(u64, u128)> {
    let meta = path.metadata().ok()?;
    let modified = meta
        .modified()
        .ok()?
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .as_nanos();
    Some((meta.len(), modified))
}

/// A path as an SQL string that DuckDB reads as that one file: its glob characters (`*`, `?`,
/// `[`) are each put in a bracket class of their own.
pub fn sql_path(path: &Path) -> String {
    let text = path.to_string_lossy();
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '*' | '?' | '[' => {
                out.push('[');
                out.push(c);
                out.push(']');
            }
            _ => out.push(c),
        }
    }
    literal(&out)
}

/// An SQL list of file paths.
pub fn file_list(files: &[PathBuf]) -> String {
    let quoted: Vec<String> = files.iter().map(|f| sql_path(f)).collect();
    format!("[{}]", quoted.join(", "))
}

/// The column the readers name each row's file in, and the reader option that adds it. DuckDB
/// skips whole files on a filter over that column only under its own name, `filename`; a
/// table that has a column of that name gets another (and reads every file).
pub fn file_column(columns: &[Column]) -> (&'static str, String) {
    if columns.iter().any(|c| c.name == "filename") {
        ("__kpi_file", literal("__kpi_file"))
    } else {
        ("filename", "true".into())
    }
}

/// SQL for the value of the `key=value` directory `levels` directories above the file (0: its
/// own directory), from the file column.
pub fn partition_value(file_column: &str, key: &str, levels: usize) -> String {
    let escaped: String = key
        .chars()
        .flat_map(|c| {
            let special = !c.is_ascii_alphanumeric() && c != '_';
            special.then_some('\\').into_iter().chain([c])
        })
        .collect();
    let pattern = format!("/{escaped}=([^/]*)/{}[^/]*$", "[^/]*/".repeat(levels));
    format!(
        "regexp_extract({}, {}, 1)",
        ident(file_column),
        literal(&pattern)
    )
}

/// The value cast to the column's type; `varchar(n)` is cut to `n` characters and `char(n)`
/// padded with spaces to `n`, as Athena returns them.
fn cast(value: &str, ty: &HiveType) -> Result<String, EngineError> {
    let cast = format!("CAST({value} AS {})", duckdb_type(ty)?);
    Ok(match ty {
        HiveType::Varchar { length } => format!("left({cast}, {length})"),
        HiveType::Char { length } => format!("rpad({cast}, {length}, ' ')"),
        _ => cast,
    })
}

/// `SELECT` list of the catalog's columns, each cast to its catalog type; the partition column
/// is text, from `partition_sql`; `value` gives what is cast for the others.
pub fn cast_columns(
    columns: &[Column],
    partition: Option<(&str, &str)>,
    value: impl Fn(&str) -> String,
) -> Result<String, EngineError> {
    let mut out = Vec::new();
    for c in columns {
        let expr = match partition {
            Some((name, sql)) if name == c.name => format!("CAST({sql} AS VARCHAR)"),
            _ => cast(&value(&c.name), &c.ty)?,
        };
        out.push(format!("{expr} AS {}", ident(&c.name)));
    }
    Ok(out.join(", "))
}

/// A branch of a view with no rows that fails, with `message`, when a query reads it: the
/// partition value is a constant, so a query filtering on other partitions never runs it.
fn failing_branch(
    columns: &[Column],
    partition: Option<(&str, &str)>,
    message: &str,
) -> Result<String, EngineError> {
    let nulls = cast_columns(columns, partition, |_| "NULL".to_string())?;
    Ok(format!(
        "SELECT {nulls} WHERE error({}) IS NULL",
        literal(message)
    ))
}

/// A typed relation with no rows, for a table with no files yet.
pub fn empty_select(columns: &[Column], partition: Option<&str>) -> Result<String, EngineError> {
    let partition = partition.map(|p| (p, "NULL"));
    let nulls = cast_columns(columns, partition, |_| "NULL".to_string())?;
    Ok(format!("SELECT {nulls} WHERE false"))
}

/// The files of a source, by partition: (partition value or `None`, files), sorted.
fn listing(root: &Path, partition: Option<&str>) -> Vec<(Option<String>, Vec<PathBuf>)> {
    let Some(p) = partition else {
        return vec![(None, data_files(root))];
    };
    let prefix = format!("{p}=");
    let mut dirs: Vec<(String, PathBuf)> = std::fs::read_dir(root)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.path().is_dir())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().to_string();
            let value = name.strip_prefix(&prefix)?.to_string();
            Some((value, e.path()))
        })
        .collect();
    dirs.sort();
    dirs.into_iter()
        .map(|(value, dir)| (Some(value), data_files(&dir)))
        .collect()
}

/// A file the view reads (`read`, a staged copy or the file itself), or one it cannot.
enum Part {
    Read(PathBuf),
    Failed {
        partition: Option<String>,
        message: String,
    },
}

/// Creates (or replaces) the view of one source. `malformed` learns the malformed lines of
/// each JSON file staged.
pub fn create_source_view(
    conn: &Connection,
    lake: &Lake,
    source: &Source,
    malformed: &Mutex<BTreeMap<PathBuf, u64>>,
) -> Result<(), EngineError> {
    let location = source.location.as_deref().ok_or_else(|| {
        EngineError(format!(
            "source `{}` has no location in the catalog",
            source.name
        ))
    })?;
    let root = lake.path_of(location).map_err(|e| EngineError(e.0))?;
    let partition = source.partition.as_deref();
    let listed = listing(&root, partition);
    let mut parts = Vec::new();
    match file_format(source)? {
        FileFormat::Json => {
            let files: Vec<(Option<String>, PathBuf)> = listed
                .into_iter()
                .flat_map(|(value, files)| files.into_iter().map(move |f| (value.clone(), f)))
                .collect();
            for (file, value, outcome) in staging::stage(conn, lake, source, &root, &files)? {
                match outcome {
                    staging::Outcome::Staged { copy, malformed: n } => {
                        if let Ok(mut known) = malformed.lock() {
                            known.insert(file, n);
                        }
                        parts.push(Part::Read(copy));
                    }
                    staging::Outcome::Failed(message) => parts.push(Part::Failed {
                        partition: value,
                        message,
                    }),
                }
            }
        }
        FileFormat::Parquet => {
            for (_, files) in listed {
                parts.extend(files.into_iter().map(Part::Read));
            }
        }
    }
    let view = |parts: &[Part]| -> Result<(), EngineError> {
        conn.execute_batch(&format!(
            "CREATE OR REPLACE VIEW {}.{} AS {};",
            ident(&source.database),
            ident(&source.table),
            view_body(source, parts)?
        ))?;
        Ok(())
    };
    if view(&parts).is_ok() {
        return Ok(());
    }
    // A damaged file the view's definition had to read (its first, for the schema): find
    // which, and let only the queries that read them fail.
    let parts: Vec<Part> = parts
        .into_iter()
        .map(|part| match part {
            Part::Read(file) => match probe_parquet(conn, &file) {
                Ok(()) => Part::Read(file),
                Err(e) => {
                    // A damaged staged copy is made again by the next open.
                    if file.starts_with(staging::staging_root(lake)) {
                        let _ = std::fs::remove_file(&file);
                    }
                    let value = partition.and_then(|p| partition_of(&file, p));
                    Part::Failed {
                        partition: value,
                        message: e.0,
                    }
                }
            },
            failed => failed,
        })
        .collect();
    view(&parts)
}

/// The value of the `key=` directory a file lies in.
fn partition_of(file: &Path, key: &str) -> Option<String> {
    let dir = file.parent()?.file_name()?.to_string_lossy().to_string();
    Some(dir.strip_prefix(&format!("{key}="))?.to_string())
}

fn view_body(source: &Source, parts: &[Part]) -> Result<String, EngineError> {
    let partition = source.partition.as_deref();
    let read: Vec<PathBuf> = parts
        .iter()
        .filter_map(|p| match p {
            Part::Read(f) => Some(f.clone()),
            Part::Failed { .. } => None,
        })
        .collect();
    let mut branches = Vec::new();
    if !read.is_empty() {
        let (column, option) = file_column(&source.columns);
        let value = partition.map(|p| partition_value(column, p, 0));
        let select = cast_columns(&source.columns, partition.zip(value.as_deref()), ident)?;
        branches.push(format!(
            "SELECT {select} FROM read_parquet({}, filename = {option})",
            file_list(&read),
        ));
    }
    for part in parts {
        if let Part::Failed {
            partition: value,
            message,
        } = part
        {
            let constant = value.as_deref().map(literal);
            let partition = partition.zip(constant.as_deref().or(Some("NULL")));
            branches.push(failing_branch(&source.columns, partition, message)?);
        }
    }
    if branches.is_empty() {
        return empty_select(&source.columns, partition);
    }
    Ok(branches.join(" UNION ALL "))
}

/// Reads one Parquet file's footer and rows count, to find out whether it is readable.
fn probe_parquet(conn: &Connection, file: &Path) -> Result<(), EngineError> {
    conn.prepare(&format!(
        "SELECT count(*) FROM read_parquet({})",
        sql_path(file)
    ))
    .and_then(|mut s| s.query_row([], |r| r.get::<_, i64>(0)))
    .map(|_| ())
    .map_err(|e| {
        SourceError::Damaged {
            file: file.to_path_buf(),
            reason: EngineError::from(e).0,
        }
        .into()
    })
}

/// Counts the non-empty lines of a JSON-lines file (gzip or plain) that are not a JSON
/// object: the lines the engine skips, as Athena's `ignore.malformed.json` does.
pub fn malformed_lines(path: &Path) -> Result<u64, EngineError> {
    let mut bad = 0;
    staging::each_line(path, |_, line| {
        let object = line.first() == Some(&b'{')
            && serde_json::from_slice::<serde::de::IgnoredAny>(line).is_ok();
        bad += u64::from(!object);
        Ok(())
    })?;
    Ok(bad)
}

/// Reads one source file whole, to find out whether it is readable; the error names it. A
/// JSON-lines file is also converted to the catalog's types (every value must convert).
pub fn probe_file(engine: &Engine, source: &Source, path: &Path) -> Result<(), EngineError> {
    match file_format(source)? {
        FileFormat::Parquet => probe_parquet(engine.connection(), path),
        FileFormat::Json => staging::check(source, path).map(|_| ()),
    }
}

//! The local engine: one embedded DuckDB database whose schemas mirror the catalog. Each
//! source is a view over its files in the lake, typed as the catalog describes it; each KPI
//! table is a view over the partitions the local catalog points at.

use super::lake::{Lake, LocalCatalog};
use duckdb::Connection;
use kpi_contract::hive::{Column, HiveType};
use kpi_contract::manifest::{Kpi, Manifest, Source, SourceFormat};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

#[derive(Debug)]
pub struct EngineError(pub String);

impl std::fmt::Display for EngineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for EngineError {}

impl From<duckdb::Error> for EngineError {
    /// DuckDB's message without the excerpt of the SQL it appends (`LINE 1: …`).
    fn from(e: duckdb::Error) -> Self {
        let text = e.to_string();
        let cut = text.find("\nLINE ").unwrap_or(text.len());
        EngineError(text[..cut].trim_end().to_string())
    }
}

pub struct Engine {
    conn: Connection,
    lake_text: String,
    database: String,
    /// Source files staged whole → their malformed lines, counted when staged.
    malformed: std::sync::Mutex<std::collections::BTreeMap<PathBuf, u64>>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("lake", &self.lake_text)
            .finish()
    }
}

/// Quotes an SQL identifier.
pub fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Quotes an SQL string literal.
pub fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
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

/// An SQL list of file paths.
fn file_list(files: &[String]) -> String {
    let quoted: Vec<String> = files.iter().map(|f| literal(f)).collect();
    format!("[{}]", quoted.join(", "))
}

/// The reader options that take the partition column from the path, as text.
fn hive_options(partition: Option<&str>) -> String {
    partition.map_or(String::new(), |p| {
        format!(
            ", hive_partitioning = true, hive_types = {{{}: 'VARCHAR'}}",
            literal(p)
        )
    })
}

/// A source's table expression over the given files.
fn source_reader(
    source: &Source,
    files: &[String],
    partition: Option<&str>,
) -> Result<String, EngineError> {
    let list = file_list(files);
    let hive = hive_options(partition);
    Ok(match file_format(source)? {
        FileFormat::Json => {
            let columns = source
                .columns
                .iter()
                .filter(|c| Some(c.name.as_str()) != partition)
                .map(|c| {
                    Ok(format!(
                        "{}: {}",
                        literal(&c.name),
                        literal(&duckdb_type(&c.ty)?)
                    ))
                })
                .collect::<Result<Vec<_>, EngineError>>()?;
            format!(
                "read_json({list}, format = 'newline_delimited', columns = {{{}}}, ignore_errors = true, timestampformat = 'auto'{hive})",
                columns.join(", ")
            )
        }
        FileFormat::Parquet => format!("read_parquet({list}{hive})"),
    })
}

/// `SELECT` list of the catalog's columns, each cast to its catalog type (the partition column
/// as text); `value` gives what is cast: the column itself, or `NULL` for an empty relation.
fn cast_columns(
    columns: &[Column],
    partition: Option<&str>,
    value: impl Fn(&str) -> String,
) -> Result<String, EngineError> {
    let mut out = Vec::new();
    for c in columns {
        let ty = if Some(c.name.as_str()) == partition {
            "VARCHAR".to_string()
        } else {
            duckdb_type(&c.ty)?
        };
        out.push(format!(
            "CAST({} AS {ty}) AS {}",
            value(&c.name),
            ident(&c.name)
        ));
    }
    Ok(out.join(", "))
}

/// `SELECT` of the catalog's columns, each cast to its catalog type.
fn typed_select(columns: &[Column], partition: Option<&str>) -> Result<String, EngineError> {
    cast_columns(columns, partition, ident)
}

/// A typed relation with no rows, for a table with no files yet.
fn empty_select(columns: &[Column], partition: Option<&str>) -> Result<String, EngineError> {
    let nulls = cast_columns(columns, partition, |_| "NULL".to_string())?;
    Ok(format!("SELECT {nulls} WHERE false"))
}

impl Engine {
    /// An in-memory database with a view per source of the manifest, over the lake's files.
    pub fn open(lake: &Lake, manifest: &Manifest) -> Result<Engine, EngineError> {
        let conn = Connection::open_in_memory()?;
        let lake_text = lake
            .sql_root()
            .map_err(|e| EngineError(e.0))?
            .as_str()
            .to_string();
        let mut schemas = BTreeSet::new();
        schemas.insert(manifest.project.database.clone());
        for s in &manifest.sources {
            schemas.insert(s.database.clone());
        }
        for schema in &schemas {
            conn.execute_batch(&format!("CREATE SCHEMA IF NOT EXISTS {};", ident(schema)))?;
        }
        let engine = Engine {
            conn,
            lake_text,
            database: manifest.project.database.clone(),
            malformed: std::sync::Mutex::new(std::collections::BTreeMap::new()),
        };
        for source in &manifest.sources {
            engine.create_source_view(lake, source)?;
        }
        Ok(engine)
    }

    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    pub fn lake_text(&self) -> &str {
        &self.lake_text
    }

    fn create_source_view(&self, lake: &Lake, source: &Source) -> Result<(), EngineError> {
        let location = source.location.as_deref().ok_or_else(|| {
            EngineError(format!(
                "source `{}` has no location in the catalog",
                source.name
            ))
        })?;
        let root = lake.path_of(location).map_err(|e| EngineError(e.0))?;
        let partition = source.partition.as_deref();
        let mut files = Vec::new();
        match partition {
            Some(p) => {
                let prefix = format!("{p}=");
                let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
                    .into_iter()
                    .flatten()
                    .flatten()
                    .map(|e| e.path())
                    .filter(|d| {
                        d.is_dir()
                            && d.file_name()
                                .is_some_and(|n| n.to_string_lossy().starts_with(&prefix))
                    })
                    .collect();
                dirs.sort();
                for d in dirs {
                    files.extend(data_files(&d));
                }
            }
            None => files.extend(data_files(&root)),
        }
        let (staged, files) = match file_format(source)? {
            FileFormat::Json => self.stage(lake, source, &root, files),
            FileFormat::Parquet => (Vec::new(), files),
        };
        let create = |files: &[PathBuf]| -> Result<(), EngineError> {
            let text = |list: &[PathBuf]| -> Vec<String> {
                list.iter()
                    .map(|f| f.to_string_lossy().to_string())
                    .collect()
            };
            let mut parts = Vec::new();
            if !staged.is_empty() {
                parts.push(format!(
                    "SELECT {} FROM read_parquet({}{})",
                    typed_select(&source.columns, partition)?,
                    file_list(&text(&staged)),
                    hive_options(partition)
                ));
            }
            if !files.is_empty() {
                parts.push(format!(
                    "SELECT {} FROM {}",
                    typed_select(&source.columns, partition)?,
                    source_reader(source, &text(files), partition)?
                ));
            }
            let body = if parts.is_empty() {
                empty_select(&source.columns, partition)?
            } else {
                parts.join(" UNION ALL ")
            };
            self.conn.execute_batch(&format!(
                "CREATE OR REPLACE VIEW {}.{} AS {body};",
                ident(&source.database),
                ident(&source.table)
            ))?;
            Ok(())
        };
        if create(&files).is_err() {
            // A damaged file the view's definition had to read: leave the damaged files out
            // of the view; the KPI-days that read them fail, naming them, before they query.
            let readable: Vec<PathBuf> = files
                .iter()
                .filter(|f| probe_file(self, source, f).is_ok())
                .cloned()
                .collect();
            create(&readable)?;
        }
        Ok(())
    }

    /// JSON lines are slow to parse, and a window reads each day's file again for every day
    /// it covers; so each JSON file is parsed once, its malformed lines dropped line by line,
    /// typed as the catalog says, into a Parquet copy under `<lake>/.kpi/staged/`, named after the file's size and modification time
    /// (a changed file is staged anew). Returns the staged copies and the files that could
    /// not be staged, which the view reads as they are.
    fn stage(
        &self,
        lake: &Lake,
        source: &Source,
        root: &Path,
        files: Vec<PathBuf>,
    ) -> (Vec<PathBuf>, Vec<PathBuf>) {
        let partition = source.partition.as_deref();
        let staging = lake
            .root()
            .join(".kpi/staged")
            .join(&source.database)
            .join(&source.table);
        let target = |f: &Path| -> Option<PathBuf> {
            let (len, modified) = file_stamp(f)?;
            let relative = f.strip_prefix(root).ok()?;
            let name = relative.file_name()?.to_string_lossy().to_string();
            let dir = staging.join(relative.parent()?);
            Some(dir.join(format!("{name}.{len}-{modified}.parquet")))
        };
        let stage_one = |conn: &Connection, file: &Path, to: &Path| -> Result<(), EngineError> {
            let dir = to.parent().unwrap_or(Path::new("."));
            std::fs::create_dir_all(dir)
                .map_err(|e| EngineError(format!("cannot create {}: {e}", dir.display())))?;
            let name = to
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_default();
            let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
            let clean = dir.join(format!(".{name}.{}.jsonl", std::process::id()));
            {
                let file_out = std::fs::File::create(&clean)
                    .map_err(|e| EngineError(format!("cannot create {}: {e}", clean.display())))?;
                let mut writer = std::io::BufWriter::new(file_out);
                let malformed = filter_lines(file, Some(&mut writer))?;
                std::fs::write(to.with_extension("malformed"), malformed.to_string())
                    .map_err(|e| EngineError(format!("cannot write {}: {e}", to.display())))?;
                std::io::Write::flush(&mut writer)
                    .map_err(|e| EngineError(format!("cannot write {}: {e}", clean.display())))?;
            }
            let columns: Vec<Column> = source
                .columns
                .iter()
                .filter(|c| Some(c.name.as_str()) != partition)
                .cloned()
                .collect();
            let copied = conn.execute_batch(&format!(
                "COPY (SELECT {} FROM {}) TO {} (FORMAT parquet, COMPRESSION zstd);",
                typed_select(&columns, None)?,
                source_reader(source, &[clean.to_string_lossy().to_string()], None)?,
                literal(&tmp.to_string_lossy())
            ));
            let _ = std::fs::remove_file(&clean);
            copied?;
            std::fs::rename(&tmp, to)
                .map_err(|e| EngineError(format!("cannot write {}: {e}", to.display())))?;
            // Copies of earlier versions of the file go.
            let prefix = name.split('.').next().unwrap_or("").to_string();
            for old in data_files(dir) {
                let n = old.file_name().map(|n| n.to_string_lossy().to_string());
                if old != to && n.is_some_and(|n| n.starts_with(&prefix) && n.ends_with(".parquet"))
                {
                    let _ = std::fs::remove_file(old);
                }
            }
            Ok(())
        };
        let jobs: Vec<(PathBuf, Option<PathBuf>)> = files
            .into_iter()
            .map(|f| {
                let t = target(&f);
                (f, t)
            })
            .collect();
        let pending: Vec<usize> = (0..jobs.len())
            .filter(|i| jobs[*i].1.as_ref().is_some_and(|t| !t.exists()))
            .collect();
        let failed = std::sync::Mutex::new(std::collections::BTreeSet::new());
        let next = std::sync::atomic::AtomicUsize::new(0);
        let workers = std::thread::available_parallelism()
            .map_or(1, std::num::NonZero::get)
            .min(pending.len());
        std::thread::scope(|scope| {
            for _ in 0..workers {
                let Ok(conn) = self.conn.try_clone() else {
                    continue;
                };
                scope.spawn(|| {
                    let conn = conn;
                    loop {
                        let k = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        let Some(&i) = pending.get(k) else { break };
                        let (file, Some(to)) = &jobs[i] else { continue };
                        if stage_one(&conn, file, to).is_err()
                            && let Ok(mut f) = failed.lock()
                        {
                            f.insert(i);
                        }
                    }
                });
            }
        });
        let failed = failed.into_inner().unwrap_or_default();
        let mut staged = Vec::new();
        let mut unstaged = Vec::new();
        let mut known = self.malformed.lock().ok();
        for (i, (file, to)) in jobs.into_iter().enumerate() {
            match to {
                Some(to) if !failed.contains(&i) && to.exists() => {
                    let count = std::fs::read_to_string(to.with_extension("malformed"))
                        .ok()
                        .and_then(|t| t.trim().parse().ok());
                    if let (Some(known), Some(count)) = (known.as_mut(), count) {
                        known.insert(file, count);
                    }
                    staged.push(to);
                }
                _ => unstaged.push(file),
            }
        }
        (staged, unstaged)
    }

    /// (Re)defines a KPI's table as the partitions the local catalog points at. Each
    /// partition's files carry its `dt`; a partition whose files are not those it was
    /// published with is left out (the next run recomputes it).
    pub fn refresh_kpi_view(
        &self,
        lake: &Lake,
        kpi: &Kpi,
        catalog: &LocalCatalog,
    ) -> Result<(), EngineError> {
        let mut files = Vec::new();
        if let Some(table) = catalog.table(&self.database, &kpi.name) {
            for p in table.partitions.values() {
                if lake.verify(p).is_err() {
                    continue;
                }
                let dir = lake.path_of(&p.location).map_err(|e| EngineError(e.0))?;
                for f in &p.files {
                    files.push(dir.join(&f.name).to_string_lossy().to_string());
                }
            }
        }
        let mut columns = kpi.columns.clone();
        columns.push(Column {
            name: "dt".into(),
            ty: HiveType::String,
            doc: None,
        });
        let body = if files.is_empty() {
            empty_select(&columns, Some("dt"))?
        } else {
            format!(
                "SELECT {} FROM read_parquet({}, union_by_name = true, hive_partitioning = false)",
                typed_select(&columns, Some("dt"))?,
                file_list(&files)
            )
        };
        self.conn.execute_batch(&format!(
            "CREATE OR REPLACE VIEW {}.{} AS {body};",
            ident(&self.database),
            ident(&kpi.name)
        ))?;
        Ok(())
    }

    /// Runs one statement; the number of rows it wrote or returned.
    pub fn run(&self, sql: &str) -> Result<u64, EngineError> {
        run_on(&self.conn, sql)
    }

    /// The malformed lines of a source file that was staged whole (and so is not damaged).
    pub fn known_malformed(&self, file: &Path) -> Option<u64> {
        self.malformed.lock().ok()?.get(file).copied()
    }

    /// Another connection to the same database: it sees the same views.
    pub fn connect(&self) -> Result<Connection, EngineError> {
        Ok(self.conn.try_clone()?)
    }
}

/// Runs one statement on a connection; the number of rows it wrote or returned.
pub fn run_on(conn: &Connection, sql: &str) -> Result<u64, EngineError> {
    let mut stmt = conn.prepare(sql)?;
    let n = stmt.execute([])?;
    Ok(n as u64)
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

/// Counts the non-empty lines of a JSON-lines file (gzip or plain) that are not a JSON
/// object: the lines the engine skips, as Athena's `ignore.malformed.json` does.
pub fn malformed_lines(path: &Path) -> Result<u64, EngineError> {
    filter_lines(path, None)
}

/// Reads a JSON-lines file (gzip or plain) line by line, writing the lines that are JSON
/// objects to `out` (when given); returns how many non-empty lines were not. Line by line, as
/// Athena's SerDe reads: a damaged line never takes a neighbour with it.
fn filter_lines(path: &Path, mut out: Option<&mut dyn std::io::Write>) -> Result<u64, EngineError> {
    use std::io::{BufRead, BufReader};
    let file = std::fs::File::open(path)
        .map_err(|e| EngineError(format!("cannot read {}: {e}", path.display())))?;
    let reader: Box<dyn std::io::Read> =
        if path.extension().is_some_and(|e| e == "gz" || e == "gzip") {
            Box::new(flate2::read::MultiGzDecoder::new(file))
        } else {
            Box::new(file)
        };
    let mut reader = BufReader::with_capacity(1 << 16, reader);
    let mut line = Vec::new();
    let mut bad = 0;
    loop {
        line.clear();
        let n = reader
            .read_until(b'\n', &mut line)
            .map_err(|e| EngineError(format!("{} is damaged: {e}", path.display())))?;
        if n == 0 {
            break;
        }
        let text = line.trim_ascii();
        if text.is_empty() {
            continue;
        }
        let ok = serde_json::from_slice::<serde::de::IgnoredAny>(text).is_ok()
            && text.first() == Some(&b'{');
        if !ok {
            bad += 1;
        } else if let Some(out) = out.as_mut() {
            out.write_all(text)
                .and_then(|()| out.write_all(b"\n"))
                .map_err(|e| EngineError(format!("cannot stage {}: {e}", path.display())))?;
        }
    }
    Ok(bad)
}

/// Reads one source file whole, to find out whether it is readable; the error names it.
pub fn probe_file(engine: &Engine, source: &Source, path: &Path) -> Result<(), EngineError> {
    let file = path.to_string_lossy().to_string();
    let reader = source_reader(source, &[file], None)?;
    let check = engine
        .conn
        .prepare(&format!("SELECT count(*) FROM {reader}"))
        .and_then(|mut s| s.query_row([], |r| r.get::<_, i64>(0)));
    match check {
        Ok(_) => {
            if file_format(source)? == FileFormat::Json {
                malformed_lines(path)?;
            }
            Ok(())
        }
        Err(e) => Err(EngineError(format!(
            "{} is damaged: {}",
            path.display(),
            EngineError::from(e).0
        ))),
    }
}

//! JSON-lines source files → Parquet copies under `<lake>/.kpi/staged/<database>/<table>/`,
//! one per version of each file, every value converted to its column's type by `convert`
//! (so DuckDB then reads them strictly, and a value that does not convert is an error naming
//! the file, the column and the value, never a NULL); and the sweep of what a killed run or a
//! deleted source file left there.
//!
//! A source file `<table>/dt=D/NAME` of size L modified at M (ns) is staged as
//! `<staging>/dt=D/ENC.L-M-S.parquet`, where ENC is NAME with every byte outside
//! `[A-Za-z0-9._-]` written `%XX` (file names are data: never a glob, never a prefix of
//! another's) and S a digest of the columns' types (a changed catalog stages anew). Beside it,
//! `ENC.L-M-S.malformed` holds its count of malformed lines and `ENC.L-M-S.rejected` why its
//! values do not convert. Half-written files are hidden
//! (`.…tmp`, `.…jsonl`). The callers hold the lake's lock, so whatever the sweep finds that the
//! current files do not explain is a leftover, and goes.

use super::convert::{Hive, Lost, Row};
use super::engine::{EngineError, ident, literal};
use super::lake::Lake;
use super::sources::{ColumnLoss, SourceError, duckdb_type, file_stamp, sql_path};
use duckdb::Connection;
use kpi_contract::hive::HiveType;
use kpi_contract::manifest::Source;
use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Write};
use std::path::{Component, Path, PathBuf};

/// What became of one source file.
#[derive(Debug)]
pub enum Outcome {
    Staged {
        copy: PathBuf,
        malformed: u64,
    },
    /// The view fails with this message when a query reads the file's partition.
    Failed(String),
}

/// `<lake>/.kpi/staged`.
pub fn staging_root(lake: &Lake) -> PathBuf {
    lake.root().join(".kpi").join("staged")
}

/// `%XX` for every byte outside `[A-Za-z0-9._-]`.
fn encode(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"._-".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The staged copy of a file (with `.parquet`; its siblings by `with_extension`). `schema`
/// tells the columns' types apart: a copy made for other types is not this one.
fn target(staging: &Path, root: &Path, file: &Path, schema: &str) -> Option<PathBuf> {
    let (len, modified) = file_stamp(file)?;
    let relative = file.strip_prefix(root).ok()?;
    let name = encode(&relative.file_name()?.to_string_lossy());
    let dir = staging.join(relative.parent()?);
    Some(dir.join(format!("{name}.{len}-{modified}-{schema}.parquet")))
}

/// Where the staged copy of a source file is (when the file is JSON lines and staged): what
/// queries read in its place.
pub fn staged_copy(lake: &Lake, source: &Source, file: &Path) -> Option<PathBuf> {
    let root = lake.path_of(source.location.as_deref()?).ok()?;
    let staging = staging_root(lake)
        .join(&source.database)
        .join(&source.table);
    target(&staging, &root, file, &schema_digest(source)).filter(|t| t.is_file())
}

/// A short digest of a source's columns and their catalog types.
fn schema_digest(source: &Source) -> String {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    for c in &source.columns {
        hasher.update(format!("{}\t{}\n", c.name, c.ty));
    }
    hasher
        .finalize()
        .iter()
        .take(4)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A database or table name used as a directory: one plain component.
fn plain(name: &str) -> bool {
    let mut parts = Path::new(name).components();
    matches!(parts.next(), Some(Component::Normal(_))) && parts.next().is_none()
}

/// Calls `f(line number, line)` for each non-empty line (trimmed) of a JSON-lines file, gzip
/// or plain; line by line, as Athena's SerDe reads, so a damaged line takes no other with it.
pub fn each_line(
    path: &Path,
    mut f: impl FnMut(u64, &[u8]) -> Result<(), SourceError>,
) -> Result<(), SourceError> {
    let damaged = |e: std::io::Error| SourceError::Damaged {
        file: path.to_path_buf(),
        reason: e.to_string(),
    };
    let file = std::fs::File::open(path).map_err(|error| SourceError::Unreadable {
        file: path.to_path_buf(),
        error,
    })?;
    let reader: Box<dyn std::io::Read> =
        if path.extension().is_some_and(|e| e == "gz" || e == "gzip") {
            Box::new(flate2::read::MultiGzDecoder::new(file))
        } else {
            Box::new(file)
        };
    let mut reader = BufReader::with_capacity(1 << 16, reader);
    let mut line = Vec::new();
    let mut number = 0;
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line).map_err(damaged)? == 0 {
            return Ok(());
        }
        number += 1;
        let text = line.trim_ascii();
        if !text.is_empty() {
            f(number, text)?;
        }
    }
}

/// The columns a JSON file is converted to (all but the partition column).
fn columns(source: &Source) -> Result<Vec<(String, Hive)>, EngineError> {
    source
        .columns
        .iter()
        .filter(|c| Some(c.name.as_str()) != source.partition.as_deref())
        .map(|c| {
            Hive::of(&c.ty).map(|h| (c.name.clone(), h)).ok_or_else(|| {
                EngineError(format!(
                    "the catalog type of `{}` has no local equivalent",
                    c.name
                ))
            })
        })
        .collect()
}

/// Converts every line of `file`; writes the converted lines to `out` when given and every
/// value converted. Returns the malformed lines, or the values that did not convert.
fn convert_file(
    file: &Path,
    columns: &[(String, Hive)],
    mut out: Option<&mut dyn Write>,
    written: &Path,
) -> Result<u64, SourceError> {
    let mut malformed = 0;
    let mut losses: BTreeMap<String, ColumnLoss> = BTreeMap::new();
    let mut lost: Vec<Lost> = Vec::new();
    let mut row = String::new();
    each_line(file, |number, line| {
        row.clear();
        let converted = std::str::from_utf8(line)
            .ok()
            .is_some_and(|l| Row { lost: &mut lost }.line(l, columns, &mut row));
        if !converted {
            malformed += 1;
            return Ok(());
        }
        for l in lost.drain(..) {
            let entry = losses.entry(l.path.clone()).or_insert(ColumnLoss {
                column: l.path,
                expected: l.expected,
                count: 0,
                example: l.value,
                line: number,
            });
            entry.count += 1;
        }
        if let (Some(out), true) = (out.as_mut(), losses.is_empty()) {
            row.push('\n');
            out.write_all(row.as_bytes())
                .map_err(|error| SourceError::Io {
                    path: written.to_path_buf(),
                    error,
                })?;
        }
        Ok(())
    })?;
    if !losses.is_empty() {
        return Err(SourceError::LostValues {
            file: file.to_path_buf(),
            columns: losses.into_values().collect(),
        });
    }
    Ok(malformed)
}

/// Reads a JSON-lines file whole and converts every value; its malformed lines.
pub fn check(source: &Source, file: &Path) -> Result<u64, EngineError> {
    Ok(convert_file(file, &columns(source)?, None, file)?)
}

/// The type DuckDB reads a converted column as: binary arrives as base64 text.
fn read_type(ty: &Hive, catalog: &HiveType) -> Result<String, EngineError> {
    Ok(match (ty, catalog) {
        (Hive::Binary, _) => "VARCHAR".into(),
        (Hive::Array(e), HiveType::Array { element }) => format!("{}[]", read_type(e, element)?),
        (Hive::Map(k, v), HiveType::Map { key, value }) => {
            format!("MAP({}, {})", read_type(k, key)?, read_type(v, value)?)
        }
        (Hive::Struct(fields), HiveType::Struct { fields: catalog }) => {
            let mut out = Vec::new();
            for ((name, t), f) in fields.iter().zip(catalog) {
                out.push(format!("{} {}", ident(name), read_type(t, &f.ty)?));
            }
            format!("STRUCT({})", out.join(", "))
        }
        _ => duckdb_type(catalog)?,
    })
}

/// SQL turning a read value back into its type, when it holds binary (base64 → bytes).
fn decode(expr: &str, ty: &Hive, depth: usize) -> Option<String> {
    let x = format!("x{depth}");
    match ty {
        Hive::Binary => Some(format!("from_base64({expr})")),
        Hive::Array(e) => {
            decode(&x, e, depth + 1).map(|d| format!("list_transform({expr}, {x} -> {d})"))
        }
        Hive::Map(k, v) => {
            let (dk, dv) = (
                decode(&format!("{x}.key"), k, depth + 1),
                decode(&format!("{x}.value"), v, depth + 1),
            );
            (dk.is_some() || dv.is_some()).then(|| {
                format!(
                    "map_from_entries(list_transform(map_entries({expr}), {x} -> {{'key': {}, 'value': {}}}))",
                    dk.unwrap_or(format!("{x}.key")),
                    dv.unwrap_or(format!("{x}.value"))
                )
            })
        }
        Hive::Struct(fields) => {
            let decoded: Vec<Option<String>> = fields
                .iter()
                .map(|(n, t)| decode(&format!("({expr}).{}", ident(n)), t, depth + 1))
                .collect();
            decoded.iter().any(Option::is_some).then(|| {
                let members: Vec<String> = fields
                    .iter()
                    .zip(decoded)
                    .map(|((n, _), d)| {
                        format!(
                            "{} := {}",
                            ident(n),
                            d.unwrap_or(format!("({expr}).{}", ident(n)))
                        )
                    })
                    .collect();
                format!("struct_pack({})", members.join(", "))
            })
        }
        _ => None,
    }
}

/// Why a file was not staged; `lasting` when it stays so until the file changes (values that
/// do not convert), so the reason is kept beside the would-be copy.
struct Unstaged {
    message: String,
    lasting: bool,
}

impl From<EngineError> for Unstaged {
    fn from(e: EngineError) -> Self {
        Unstaged {
            message: e.0,
            lasting: false,
        }
    }
}

/// Stages one file into `to` (its `.parquet` path): converted lines to a hidden `.jsonl`,
/// DuckDB reads them strictly into a hidden `.tmp` Parquet file, renamed into place.
fn stage_one(conn: &Connection, source: &Source, file: &Path, to: &Path) -> Result<u64, Unstaged> {
    let dir = to.parent().unwrap_or(Path::new("."));
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |error| EngineError::from(SourceError::Io { path, error })
    };
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let name = to
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let pid = std::process::id();
    let tmp = dir.join(format!(".{name}.{pid}.tmp"));
    let clean = dir.join(format!(".{name}.{pid}.jsonl"));
    let columns = columns(source)?;
    let converted = (|| {
        let mut writer =
            std::io::BufWriter::new(std::fs::File::create(&clean).map_err(io(&clean))?);
        let malformed = convert_file(file, &columns, Some(&mut writer), &clean);
        writer.flush().map_err(io(&clean))?;
        Ok::<_, EngineError>(malformed)
    })();
    let malformed = match converted {
        Ok(Ok(n)) => n,
        failed => {
            let _ = std::fs::remove_file(&clean);
            return Err(match failed {
                Ok(Err(e)) => Unstaged {
                    lasting: matches!(e, SourceError::LostValues { .. }),
                    message: e.to_string(),
                },
                Err(e) => e.into(),
                Ok(Ok(_)) => unreachable!("handled above"),
            });
        }
    };
    let catalog: BTreeMap<&str, &HiveType> = source
        .columns
        .iter()
        .map(|c| (c.name.as_str(), &c.ty))
        .collect();
    let mut read = Vec::new();
    let mut select = Vec::new();
    for (name, ty) in &columns {
        let Some(catalog_type) = catalog.get(name.as_str()).copied() else {
            continue;
        };
        let t = read_type(ty, catalog_type)?;
        read.push(format!("{}: {}", literal(name), literal(&t)));
        let column = ident(name);
        select.push(format!(
            "{} AS {column}",
            decode(&column, ty, 0).unwrap_or(column.clone())
        ));
    }
    let copied = conn.execute_batch(&format!(
        "COPY (SELECT {} FROM read_json({}, format = 'newline_delimited', columns = {{{}}})) TO {} (FORMAT parquet, COMPRESSION snappy);",
        select.join(", "),
        sql_path(&clean),
        read.join(", "),
        literal(&tmp.to_string_lossy())
    ));
    let _ = std::fs::remove_file(&clean);
    if let Err(e) = copied {
        let _ = std::fs::remove_file(&tmp);
        return Err(EngineError(format!(
            "cannot stage {}: {}",
            file.display(),
            EngineError::from(e).0
        ))
        .into());
    }
    std::fs::write(to.with_extension("malformed"), malformed.to_string()).map_err(io(to))?;
    std::fs::rename(&tmp, to).map_err(io(to))?;
    Ok(malformed)
}

/// Stages the files of a JSON source (each with its partition value) that have no staged copy
/// of their current version, on a thread per core; sweeps the staging area; says what became
/// of each file, in order.
pub fn stage(
    conn: &Connection,
    lake: &Lake,
    source: &Source,
    root: &Path,
    files: &[(Option<String>, PathBuf)],
) -> Result<Vec<(PathBuf, Option<String>, Outcome)>, EngineError> {
    if !plain(&source.database) || !plain(&source.table) {
        return Err(EngineError(format!(
            "source `{}`: the table {}.{} cannot name a staging directory",
            source.name, source.database, source.table
        )));
    }
    let staging = staging_root(lake)
        .join(&source.database)
        .join(&source.table);
    let schema = schema_digest(source);
    let targets: Vec<Option<PathBuf>> = files
        .iter()
        .map(|(_, f)| target(&staging, root, f, &schema))
        .collect();
    sweep(&staging, &targets.iter().flatten().cloned().collect());
    let pending: Vec<usize> = (0..files.len())
        .filter(|&i| {
            targets[i]
                .as_ref()
                .is_some_and(|t| !t.exists() && !t.with_extension("rejected").exists())
        })
        .collect();
    let failures = std::sync::Mutex::new(BTreeMap::new());
    let next = std::sync::atomic::AtomicUsize::new(0);
    let workers = std::thread::available_parallelism()
        .map_or(1, std::num::NonZero::get)
        .min(pending.len());
    std::thread::scope(|scope| {
        for _ in 0..workers {
            let Ok(conn) = conn.try_clone() else { continue };
            scope.spawn(|| {
                let conn = conn;
                loop {
                    let k = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    let Some(&i) = pending.get(k) else { break };
                    let (Some(to), (_, file)) = (&targets[i], &files[i]) else {
                        continue;
                    };
                    if let Err(e) = stage_one(&conn, source, file, to)
                        && let Ok(mut f) = failures.lock()
                    {
                        f.insert(i, e);
                    }
                }
            });
        }
    });
    let mut failures = failures.into_inner().unwrap_or_default();
    let mut out = Vec::new();
    for (i, ((value, file), to)) in files.iter().zip(targets).enumerate() {
        let outcome = match (failures.remove(&i), to) {
            (Some(failure), Some(to)) => {
                if failure.lasting {
                    write_hidden(&to.with_extension("rejected"), &failure.message);
                }
                Outcome::Failed(failure.message)
            }
            (Some(failure), None) => Outcome::Failed(failure.message),
            (None, Some(to)) if to.exists() => {
                let malformed = std::fs::read_to_string(to.with_extension("malformed"))
                    .ok()
                    .and_then(|t| t.trim().parse().ok())
                    .unwrap_or(0);
                Outcome::Staged {
                    copy: to,
                    malformed,
                }
            }
            (None, Some(to)) => match std::fs::read_to_string(to.with_extension("rejected")) {
                Ok(message) => Outcome::Failed(message),
                Err(_) => Outcome::Failed(format!("{} could not be staged", file.display())),
            },
            (None, None) => Outcome::Failed(format!("cannot read {}", file.display())),
        };
        out.push((file.clone(), value.clone(), outcome));
    }
    Ok(out)
}

/// Writes `text` to `path` through a hidden temporary file, so a reader never sees half.
fn write_hidden(path: &Path, text: &str) {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    if std::fs::write(&tmp, text).is_ok() {
        let _ = std::fs::rename(&tmp, path);
    }
}

/// Removes from a source's staging directory everything but the staged copies (and their
/// notes) of the files listed now: half-written files, copies of earlier versions, copies of
/// files deleted since, whole partitions gone from the source.
fn sweep(staging: &Path, keep: &BTreeSet<PathBuf>) {
    let wanted: BTreeSet<PathBuf> = keep
        .iter()
        .flat_map(|p| ["parquet", "malformed", "rejected"].map(|e| p.with_extension(e)))
        .collect();
    let dirs: BTreeSet<&Path> = keep.iter().filter_map(|p| p.parent()).collect();
    fn walk(dir: &Path, wanted: &BTreeSet<PathBuf>, dirs: &BTreeSet<&Path>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() {
                walk(&path, wanted, dirs);
                if !dirs.contains(path.as_path()) {
                    let _ = std::fs::remove_dir(&path);
                }
            } else if !wanted.contains(&path) {
                let _ = std::fs::remove_file(&path);
            }
        }
    }
    walk(staging, &wanted, &dirs);
}

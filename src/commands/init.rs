//! `kpi init [DIR] --catalog FILE...`: a Glue catalog snapshot → a new project: the snapshot
//! copied into `catalog/`, a kpi.yaml declaring a source per table, and one example KPI that
//! checks (the scaffold is checked before the command says it is done).

use crate::error::CliError;
use crate::load::{find_project, shown};
use crate::output::{self, Format};
use kpi_compiler::catalog::{Catalog, Table, parse_catalog};
use kpi_compiler::driver::Options;
use kpi_compiler::span::Sources;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Start a project from a Glue catalog snapshot: kpi.yaml with a source for every table it
/// finds, the snapshot in catalog/, and an example KPI that checks.
///
/// Save the snapshot first with `aws glue get-tables --database-name DB > DB.json`.
///
/// Example: `kpi init pipelines --catalog app_logs.json --catalog master.json`
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The project directory to create (or fill, if it holds no kpi.yaml yet). Default: the
    /// current directory.
    #[arg(value_name = "DIR", default_value = ".")]
    pub dir: PathBuf,
    /// A catalog snapshot (`aws glue get-tables` JSON, or kpi's catalog YAML); repeatable.
    #[arg(long = "catalog", value_name = "FILE", required = true)]
    pub catalogs: Vec<PathBuf>,
}

pub fn run(args: Args) -> Result<ExitCode, CliError> {
    let dir = &args.dir;
    if dir.join("kpi.yaml").exists() {
        return Err(CliError::usage(format!(
            "{} already holds a kpi.yaml; `kpi check --project {}` checks it",
            shown(dir).display(),
            shown(dir).display()
        )));
    }
    let mut sources = Sources::new();
    let mut files = Vec::new();
    let mut names = BTreeSet::new();
    for path in &args.catalogs {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .ok_or_else(|| CliError::usage(format!("{} is not a file", path.display())))?;
        if !names.insert(name.clone()) {
            return Err(CliError::usage(format!(
                "two catalog files are named {name}; rename one"
            )));
        }
        let bytes = std::fs::read(path).map_err(CliError::io("read", path))?;
        let text = String::from_utf8(bytes)
            .map_err(|_| CliError::usage(format!("{} is not UTF-8 text", path.display())))?;
        files.push((name.clone(), sources.add(name, text)));
    }
    let ids: Vec<_> = files.iter().map(|(_, id)| *id).collect();
    let (catalog, diagnostics) = parse_catalog(&sources, &ids);
    if diagnostics.iter().any(|d| d.is_error()) || catalog.tables.is_empty() {
        let here = crate::load::ProjectDir {
            root: PathBuf::new(),
            shown: PathBuf::new(),
        };
        output::diagnostics(&diagnostics, &sources, &here, Format::Human)?;
        return Err(CliError::usage(
            "the catalog snapshot has no table kpi can read; save it with `aws glue get-tables --database-name DB`",
        ));
    }
    let catalog_dir = dir.join("catalog");
    std::fs::create_dir_all(&catalog_dir).map_err(CliError::io("create", &catalog_dir))?;
    for (name, id) in &files {
        let to = catalog_dir.join(name);
        std::fs::write(&to, sources.text(*id)).map_err(CliError::io("write", &to))?;
    }
    let project = project_name(dir);
    let declared = declared_sources(&catalog);
    let yaml = kpi_yaml(&project, &catalog, &declared);
    std::fs::write(dir.join("kpi.yaml"), yaml)
        .map_err(CliError::io("write", dir.join("kpi.yaml")))?;
    let example = example_kpi(&declared);
    let example_path = dir.join("example.kpi");
    std::fs::write(&example_path, example).map_err(CliError::io("write", &example_path))?;
    // The scaffold must check: say so only once it does.
    let project_dir = find_project(Some(dir), None)?;
    let Some(compiled) = super::compile_clean(&project_dir, Options::default(), Format::Human)?
    else {
        return Ok(ExitCode::from(1));
    };
    output::note(format!(
        "created {} with {} sources and {} KPI: `kpi check --project {}` checks it",
        project_dir.shown_root(),
        declared.len(),
        compiled.program.as_ref().map_or(0, |p| p.kpis.len()),
        project_dir.shown_root()
    ));
    Ok(ExitCode::SUCCESS)
}

/// A source of the new project: its name and the table it reads.
struct Declared<'a> {
    name: String,
    table: &'a Table,
}

/// A lower-case identifier from any name: other characters become `_`.
fn identifier(name: &str) -> String {
    let mut out: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    if !out.starts_with(|c: char| c.is_ascii_lowercase()) {
        out.insert(0, 'x');
    }
    out
}

fn project_name(dir: &Path) -> String {
    let name = dir
        .canonicalize()
        .ok()
        .and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "kpis".into());
    identifier(&name)
}

/// One source per table, named after the table (prefixed with its database when two
/// databases have a table of the same name).
fn declared_sources(catalog: &Catalog) -> Vec<Declared<'_>> {
    let mut seen = BTreeSet::new();
    let clashing: BTreeSet<String> = catalog
        .tables
        .values()
        .filter(|t| !seen.insert(identifier(&t.name)))
        .map(|t| identifier(&t.name))
        .collect();
    catalog
        .tables
        .values()
        .map(|t| {
            let base = identifier(&t.name);
            let name = if clashing.contains(&base) {
                format!("{}_{base}", identifier(&t.database))
            } else {
                base
            };
            Declared { name, table: t }
        })
        .collect()
}

/// `s3://<bucket of the first located table>/kpi/`, where the KPI tables will be written.
fn default_location(catalog: &Catalog) -> String {
    let bucket = catalog.tables.values().find_map(|t| {
        let rest = t.location.as_deref()?.strip_prefix("s3://")?;
        rest.split('/')
            .next()
            .filter(|b| !b.is_empty())
            .map(str::to_string)
    });
    format!(
        "s3://{}/kpi/",
        bucket.unwrap_or_else(|| "my-kpi-bucket".into())
    )
}

/// Today in UTC, YYYY-MM-DD.
fn today() -> String {
    let days = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() / 86_400);
    // 1970-01-01 is day 719,163 of the common era.
    i32::try_from(days + 719_163)
        .ok()
        .and_then(kpi_sample::NaiveDate::from_num_days_from_ce_opt)
        .map_or_else(|| "2024-01-01".into(), |d| d.format("%Y-%m-%d").to_string())
}

fn kpi_yaml(project: &str, catalog: &Catalog, declared: &[Declared<'_>]) -> String {
    let mut out = format!(
        "# The KPI project {project}, started by `kpi init`. Check it with `kpi check`.\n\
         name: {project}\n\
         # The Glue catalog snapshot (`aws glue get-tables --database-name DB > catalog/DB.json`).\n\
         catalog: catalog/\n\
         # One source per table of the snapshot. `kind`: `events` when each day's partition holds\n\
         # that day's rows, `snapshot` when it holds the whole table as of that day (guessed from\n\
         # a table description that says \"snapshot\"), `table` when it has no day partitions.\n\
         sources:\n"
    );
    for d in declared {
        out.push_str(&format!(
            "  {}:\n    table: {}.{}\n",
            d.name, d.table.database, d.table.name
        ));
        let snapshot = d
            .table
            .description
            .as_deref()
            .is_some_and(|t| t.to_lowercase().contains("snapshot"));
        match d.table.partition_keys.first() {
            Some(key) => out.push_str(&format!(
                "    kind: {}\n    partition: {}\n",
                if snapshot { "snapshot" } else { "events" },
                key.name
            )),
            None => out.push_str("    kind: table\n"),
        }
    }
    out.push_str(&format!(
        "target:\n\
         \x20 # The Glue database and the S3 prefix the KPI tables are written to.\n\
         \x20 database: {project}_kpi\n\
         \x20 location: {}\n\
         \x20 workgroup: primary\n\
         \x20 # KPI-days computed at once, below Athena's DML query quota.\n\
         \x20 concurrency: 4\n\
         \x20 # The first day `kpi run` computes.\n\
         \x20 history_start: {}\n\
         \x20 time_zone: UTC\n",
        default_location(catalog),
        today()
    ));
    out
}

/// Rows per day of the first day-partitioned source (else of the first source).
fn example_kpi(declared: &[Declared<'_>]) -> String {
    let source = declared
        .iter()
        .find(|d| !d.table.partition_keys.is_empty())
        .or(declared.first())
        .map_or("events", |d| d.name.as_str());
    format!(
        "/// Rows of `{source}` per day: an example to start from. docs/language.md shows what\n\
         /// else a KPI can say: filters, joins, dimensions, windows, checks.\n\
         kpi {source}_rows {{\n\
         \x20 from {source} s\n\
         \x20 measure rows = count(*)\n\
         \x20 check rows > 0\n\
         }}\n"
    )
}

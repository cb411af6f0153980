//! Checking a generated project of 1,000 KPI files over 10 source tables: parse alone, and
//! the whole front end (catalog, kpi.yaml, parse, check), so the parsing share is visible.

use criterion::{Criterion, criterion_group, criterion_main};
use kpi_compiler::span::{FileId, Sources};
use std::fmt::Write as _;
use std::hint::black_box;

const TABLES: usize = 10;
const KPIS: usize = 1000;

fn catalog() -> String {
    let mut out = String::from("databases:\n  lake:\n");
    for t in 0..TABLES {
        let _ = writeln!(out, "    t{t}:\n      format: json\n      columns:");
        out.push_str("        id: bigint\n        company_id: bigint\n        member_id: bigint\n        kind: string\n        ts: timestamp\n        amount: double\n");
        for c in 0..14 {
            let _ = writeln!(
                out,
                "        c{c}: {}",
                if c % 2 == 0 { "string" } else { "bigint" }
            );
        }
        out.push_str("      partition_keys:\n        dt: string\n");
    }
    out
}

fn project_yaml() -> String {
    let mut out = String::from("name: bench\ncatalog: catalog/\nsources:\n");
    for t in 0..TABLES {
        let _ = writeln!(
            out,
            "  s{t}:\n    table: lake.t{t}\n    kind: events\n    partition: dt"
        );
    }
    out.push_str("target:\n  database: out\n  location: s3://bench/kpi/\n  workgroup: kpi\n  concurrency: 8\n  crawler: c\n  history_start: 2024-01-01\n");
    out
}

fn kpi_file(i: usize) -> String {
    let t = i % TABLES;
    let u = (i + 1) % TABLES;
    let mut out = format!(
        "/// KPI number {i}.\nkpi k{i} {{\n  from s{t} e over {} days\n  left join s{u} o on o.member_id = e.member_id and o.kind = 'comment'\n  where e.kind in ('post', 'comment') and e.amount > {i} and lower(e.c0) like 'a%'\n  group by e.company_id, bucket = e.c1 % 10\n  measure events = count(*)\n  measure members = count(distinct e.member_id)\n  measure amount = sum(e.amount where o.id is not null)\n  measure per_member = amount / members\n  check events > 0\n}}\n",
        1 + i % 30
    );
    if i % 10 == 9 {
        let _ = write!(
            out,
            "\nkpi k{i}_daily {{\n  from k{} d\n  group by d.company_id, d.bucket\n  measure events = sum(d.events)\n  measure members = sum(d.members)\n}}\n",
            i - 1
        );
    }
    out
}

struct Project {
    sources: Sources,
    yaml: FileId,
    catalog: FileId,
    kpis: Vec<FileId>,
}

fn project() -> Project {
    let mut sources = Sources::new();
    let yaml = sources.add("kpi.yaml", project_yaml());
    let catalog = sources.add("catalog/lake.yaml", catalog());
    let kpis = (0..KPIS)
        .map(|i| sources.add(format!("k{i}.kpi"), kpi_file(i)))
        .collect();
    Project {
        sources,
        yaml,
        catalog,
        kpis,
    }
}

fn check_all(p: &Project) -> usize {
    let (project, _) = kpi_compiler::project::parse_project(&p.sources, p.yaml);
    let checked = kpi_compiler::check_project(&p.sources, project.as_ref(), &[p.catalog], &p.kpis);
    assert!(!checked.has_errors(), "{:?}", checked.diagnostics.first());
    checked.program.map_or(0, |program| program.kpis.len())
}

fn bench(c: &mut Criterion) {
    let p = project();
    assert_eq!(check_all(&p), KPIS + KPIS / 10);
    let mut group = c.benchmark_group("1000 KPI files");
    group.sample_size(10);
    group.bench_function("parse", |b| {
        b.iter(|| {
            p.kpis
                .iter()
                .map(|id| kpi_compiler::syntax::parse(&p.sources, *id).0.kpis.len())
                .sum::<usize>()
        })
    });
    group.bench_function("parse + check", |b| b.iter(|| black_box(check_all(&p))));
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

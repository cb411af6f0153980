//! A KPI whose output table is already in the catalog snapshot: appended columns become
//! `ALTER TABLE … ADD COLUMNS`, any other change is refused with E0710.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{project_from, run_in};

const KPI: &str = "kpi posts {\n  from events e\n  where e.kind = 'post'\n  group by e.company_id\n  measure posts = count(*)\n  measure posters = count(distinct e.member_id)\n}\n";

/// The project with the output table `test_kpi.posts` already in its catalog, with `columns`.
fn project_with_existing(columns: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let kpi = dir.path().join("posts.kpi");
    std::fs::write(&kpi, KPI).unwrap();
    let project = project_from(&kpi);
    let existing = format!(
        "databases:\n  test_kpi:\n    posts:\n      format: parquet\n      columns:\n{columns}      partition_keys:\n        dt: string\n"
    );
    std::fs::write(project.path().join("catalog/test_kpi.yaml"), existing).unwrap();
    project
}

#[test]
fn appended_columns_are_added_to_both_tables() {
    let project = project_with_existing("        company_id: bigint\n        posts: bigint\n");
    let build = run_in(project.path(), &["build"]);
    assert_eq!(build.code, 0, "{}", build.stderr);
    let out = project.path().join("target/kpi/athena/posts");
    let add = std::fs::read_to_string(out.join("00_add_columns.sql")).unwrap();
    assert!(
        add.contains("ALTER TABLE `test_kpi`.`posts` ADD COLUMNS (`posters` bigint)"),
        "{add}"
    );
    let attempts = std::fs::read_to_string(out.join("00_add_columns_attempts.sql")).unwrap();
    assert!(
        attempts
            .contains("ALTER TABLE `test_kpi`.`posts__attempts` ADD COLUMNS (`posters` bigint)"),
        "{attempts}"
    );
}

#[test]
fn an_unchanged_table_needs_no_migration() {
    let project = project_with_existing(
        "        company_id: bigint\n        posts: bigint\n        posters: bigint\n",
    );
    let build = run_in(project.path(), &["build"]);
    assert_eq!(build.code, 0, "{}", build.stderr);
    assert!(
        !project
            .path()
            .join("target/kpi/athena/posts/00_add_columns.sql")
            .exists()
    );
}

#[test]
fn incompatible_changes_are_refused() {
    for (columns, change) in [
        (
            "        company_id: bigint\n        posts: double\n",
            "column `posts` changes type from `double` to `bigint`",
        ),
        (
            "        company_id: bigint\n        events: bigint\n",
            "column 2 was `events` and is now `posts`",
        ),
        (
            "        company_id: bigint\n        posts: bigint\n        posters: bigint\n        extra: bigint\n",
            "column `extra` is no longer produced",
        ),
    ] {
        let project = project_with_existing(columns);
        let build = run_in(project.path(), &["build"]);
        assert_eq!(build.code, 1, "{}", build.stderr);
        assert!(
            build
                .stderr
                .contains("[E0710] KPI `posts` no longer fits its existing table"),
            "{}",
            build.stderr
        );
        assert!(build.stderr.contains(change), "{}", build.stderr);
        assert!(
            !project.path().join("target/kpi").exists(),
            "nothing is written when the build fails"
        );
    }
}

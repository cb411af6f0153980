//! `kpi build` writes only what changed: a second build touches no file, an edited KPI
//! rewrites its own files and the project-wide ones only, a deleted KPI's files go and
//! nothing else does, and the tree always equals a fresh build's, byte for byte.

#![allow(clippy::expect_used)]

mod common;

use common::{copy_tree, kpi, root, run};
use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::fs::MetadataExt;
use std::path::Path;

/// Per file under `dir`: its length, mtime (ns) and inode.
type Stamps = BTreeMap<String, (u64, i128, u64)>;

fn stamps(dir: &Path) -> Stamps {
    let mut out = Stamps::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        for entry in std::fs::read_dir(&current).expect("read dir") {
            let path = entry.expect("entry").path();
            let meta = std::fs::symlink_metadata(&path).expect("metadata");
            if meta.is_dir() {
                pending.push(path);
            } else {
                let name = path
                    .strip_prefix(dir)
                    .expect("inside")
                    .to_string_lossy()
                    .into_owned();
                let mtime =
                    i128::from(meta.mtime()) * 1_000_000_000 + i128::from(meta.mtime_nsec());
                out.insert(name, (meta.len(), mtime, meta.ino()));
            }
        }
    }
    out
}

fn build(project: &Path, out: &Path) {
    let result = run(kpi()
        .arg("build")
        .arg("--project")
        .arg(project)
        .arg("--out")
        .arg(out));
    assert_eq!(result.code, 0, "kpi build: {}", result.stderr);
}

/// The files whose stamps differ between two listings (present in both).
fn changed(before: &Stamps, after: &Stamps) -> BTreeSet<String> {
    before
        .iter()
        .filter(|(name, stamp)| after.get(*name).is_some_and(|s| s != *stamp))
        .map(|(name, _)| name.clone())
        .collect()
}

/// `out` holds exactly the files of a fresh build of `project`, with the same bytes.
fn same_as_fresh(project: &Path, out: &Path) {
    let fresh = tempfile::tempdir().expect("temp dir");
    build(project, fresh.path());
    let ours = stamps(out);
    let theirs = stamps(fresh.path());
    assert_eq!(
        ours.keys().collect::<Vec<_>>(),
        theirs.keys().collect::<Vec<_>>()
    );
    for name in theirs.keys() {
        let a = std::fs::read(out.join(name)).expect("read");
        let b = std::fs::read(fresh.path().join(name)).expect("read");
        assert!(a == b, "{name} differs from a fresh build's");
    }
}

fn files_of(kpi: &str, listing: &Stamps) -> BTreeSet<String> {
    listing
        .keys()
        .filter(|f| f.split('/').nth(1) == Some(kpi))
        .cloned()
        .collect()
}

#[test]
fn builds_write_only_what_changed() {
    let project = tempfile::tempdir().expect("temp dir");
    copy_tree(&root().join("pipelines"), project.path());
    // A KPI of its own file, to delete later.
    let conversations =
        std::fs::read_to_string(project.path().join("conversations.kpi")).expect("read");
    let extra = conversations
        .split("\n\n")
        .find(|block| block.contains("kpi thanks_by_department"))
        .expect("thanks_by_department")
        .replace("thanks_by_department", "thanks_sent_extra");
    std::fs::write(project.path().join("extra.kpi"), &extra).expect("write extra.kpi");
    let out = project.path().join("target/kpi");
    build(project.path(), &out);
    let first = stamps(&out);
    assert!(first.contains_key("manifest.json"));
    assert!(!files_of("thanks_sent_extra", &first).is_empty());

    // Nothing changed: nothing is written, not even with the same bytes.
    build(project.path(), &out);
    assert_eq!(
        stamps(&out),
        first,
        "a rebuild with no change touched files"
    );

    // One KPI edited in place (the same lines): its files and the project-wide ones change.
    let edited = conversations.replacen("where e.kind = 'thanks'", "where e.kind = 'thank'", 1);
    assert_ne!(edited, conversations);
    std::fs::write(project.path().join("conversations.kpi"), edited).expect("edit");
    build(project.path(), &out);
    let second = stamps(&out);
    assert_eq!(
        second.keys().collect::<Vec<_>>(),
        first.keys().collect::<Vec<_>>()
    );
    let touched = changed(&first, &second);
    let own = files_of("thanks_by_department", &first);
    let project_wide: BTreeSet<String> =
        ["manifest.json", "statemachine.asl.json", "template.yaml"]
            .map(String::from)
            .into();
    assert!(
        touched.contains("athena/thanks_by_department/03_write.sql"),
        "{touched:?}"
    );
    assert!(touched.contains("manifest.json"), "{touched:?}");
    let allowed: BTreeSet<String> = own.union(&project_wide).cloned().collect();
    assert!(
        touched.is_subset(&allowed),
        "files of other KPIs were rewritten: {:?}",
        touched.difference(&allowed).collect::<Vec<_>>()
    );
    same_as_fresh(project.path(), &out);

    // A KPI deleted: its files go, every other file stays.
    std::fs::remove_file(project.path().join("extra.kpi")).expect("delete");
    build(project.path(), &out);
    let third = stamps(&out);
    let gone: BTreeSet<String> = second
        .keys()
        .filter(|f| !third.contains_key(*f))
        .cloned()
        .collect();
    assert_eq!(gone, files_of("thanks_sent_extra", &second));
    assert!(
        !out.join("athena/thanks_sent_extra").exists(),
        "its folder stays"
    );
    assert!(
        third.keys().all(|f| second.contains_key(f)),
        "a file appeared"
    );
    let touched = changed(&second, &third);
    assert!(touched.is_subset(&project_wide), "{touched:?}");
    same_as_fresh(project.path(), &out);

    // A file kpi does not write is removed; a rebuild after that again touches nothing.
    std::fs::write(out.join("athena/stray.sql"), "select 1").expect("stray");
    build(project.path(), &out);
    assert!(!out.join("athena/stray.sql").exists());
    assert_eq!(stamps(&out), third);
}

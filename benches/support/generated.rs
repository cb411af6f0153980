//! A generated project of N KPI files modelled on `pipelines/` → a folder on disk: its kpi.yaml
//! and Glue snapshot, one KPI per file in folders of 100, with doc comments, windows of 1 to 30
//! days, joins to members and of events to events, cohorts from the members snapshot, and
//! every fifth KPI reading two earlier ones. Every such project checks clean.
//!
//! Shared by the benchmarks: `#[path = "support/generated.rs"] mod generated;`.

#![allow(dead_code)]

use std::fmt::Write as _;
use std::path::Path;

/// Files per folder, as a large project would group them.
pub const PER_FOLDER: usize = 100;

/// The text of the `i`th KPI file; a KPI at `i % 5 == 4` reads the two before it.
pub fn kpi_file(i: usize) -> String {
    let days = 1 + i % 30;
    let mut out = format!("// Generated KPI file {i}.\n\n");
    match i % 5 {
        0 => {
            let _ = write!(
                out,
                "/// Members who did anything social on the day, per company (variant {i}).\n\
                 kpi k{i}_active {{\n  from events e\n  \
                 where e.kind in ('post', 'comment', 'reaction', 'thanks') and e.client <> 'bot{i}'\n  \
                 group by e.company_id\n  \
                 /// Distinct members with at least one social action.\n  \
                 measure active = count(distinct e.member_id)\n  \
                 /// Social actions.\n  measure actions = count(*)\n  \
                 check active > 0\n  check active <= actions\n  check unique(company_id)\n}}\n"
            );
        }
        1 => {
            let _ = write!(
                out,
                "/// Members active in the {days} days ending on the day, per department.\n\
                 kpi k{i}_by_department {{\n  from events e over {days} days\n  \
                 join members m on m.member_id = e.member_id\n  \
                 where e.kind in ('post', 'comment') and m.role <> 'guest'\n  \
                 group by e.company_id, m.department_id\n  \
                 /// Distinct members of the department with a post or comment.\n  \
                 measure active = count(distinct e.member_id)\n  \
                 check active > 0\n  check unique(company_id, department_id)\n}}\n"
            );
        }
        2 => {
            let _ = write!(
                out,
                "/// Share of the day's posts that got a comment, per company (variant {i}).\n\
                 kpi k{i}_replies {{\n  from events p\n  \
                 left join events c on c.target_post_id = p.event_id and c.kind = 'comment'\n  \
                 where p.kind = 'post'\n  group by p.company_id\n  \
                 /// Posts written on the day.\n  measure posts = count(distinct p.event_id)\n  \
                 /// Of them, posts with a comment.\n  \
                 measure replied = count(distinct p.event_id where c.event_id is not null)\n  \
                 /// replied / posts.\n  measure rate = replied / posts\n  \
                 check rate between 0 and 1\n  check unique(company_id)\n}}\n"
            );
        }
        3 => {
            let _ = write!(
                out,
                "/// New members who were active in the {days} days, per company (variant {i}).\n\
                 kpi k{i}_activation {{\n  from members m\n  \
                 left join events e over {days} days on e.member_id = m.member_id\n  \
                 where m.joined_on between day - 6 and day and m.left_on is null\n  \
                 group by m.company_id\n  \
                 /// Members who joined in the 7 days.\n  \
                 measure joined = count(distinct m.member_id)\n  \
                 /// Of them, members with an event.\n  \
                 measure activated = count(distinct e.member_id)\n  \
                 measure rate = activated / joined\n  \
                 check joined > 0\n  check rate between 0 and 1\n  check unique(company_id)\n}}\n"
            );
        }
        _ => {
            let _ = write!(
                out,
                "/// A score per company from two KPIs above (variant {i}).\n\
                 kpi k{i}_score {{\n  from k{}_active a\n  \
                 left join k{}_activation n on n.company_id = a.company_id\n  \
                 group by a.company_id\n  \
                 /// Actions per active member.\n  \
                 measure intensity = max(a.actions) / max(a.active)\n  \
                 /// Activation, 0 without new members.\n  \
                 measure activation = coalesce(max(n.rate), 0)\n  \
                 measure score = 100 * (0.5 * activation + 0.5 * least(intensity / 10, 1))\n  \
                 check score between 0 and 100\n  check unique(company_id)\n}}\n",
                i - 4,
                i - 1
            );
        }
    }
    out
}

/// Writes a project of `files` KPI files into `dir`: pipelines/'s kpi.yaml and catalog.
pub fn generate(dir: &Path, files: usize) {
    let pipelines = Path::new(env!("CARGO_MANIFEST_DIR")).join("pipelines");
    std::fs::create_dir_all(dir.join("catalog")).unwrap();
    std::fs::copy(pipelines.join("kpi.yaml"), dir.join("kpi.yaml")).unwrap();
    for entry in std::fs::read_dir(pipelines.join("catalog")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), dir.join("catalog").join(entry.file_name())).unwrap();
    }
    for i in 0..files {
        let folder = dir.join(format!("f{:03}", i / PER_FOLDER));
        if i % PER_FOLDER == 0 {
            std::fs::create_dir_all(&folder).unwrap();
        }
        std::fs::write(folder.join(format!("k{i}.kpi")), kpi_file(i)).unwrap();
    }
}

//! Generated projects of many KPIs over `pipelines/`'s catalog and kpi.yaml, from five
//! templates (a day's actions, a window joined to members, events joined to events, a cohort
//! with a window, and a score over two earlier KPIs), so every project checks clean and has
//! two DAG levels.

#![allow(dead_code, clippy::unwrap_used)]

use std::path::Path;

/// The text of the `i`th KPI; one in five reads the two before it.
pub fn kpi(i: usize) -> String {
    let days = 1 + i % 30;
    match i % 5 {
        0 => format!(
            "kpi k{i}_active {{\n  from events e\n  where e.kind in ('post', 'comment') and e.client <> 'bot{i}'\n  group by e.company_id\n  measure active = count(distinct e.member_id)\n  measure actions = count(*)\n  check active <= actions\n}}\n"
        ),
        1 => format!(
            "kpi k{i}_by_department {{\n  from events e over {days} days\n  join members m on m.member_id = e.member_id\n  where e.kind in ('post', 'comment') and m.role <> 'guest'\n  group by e.company_id, m.department_id\n  measure active = count(distinct e.member_id)\n}}\n"
        ),
        2 => format!(
            "kpi k{i}_replies {{\n  from events p\n  left join events c on c.target_post_id = p.event_id and c.kind = 'comment'\n  where p.kind = 'post'\n  group by p.company_id\n  measure posts = count(distinct p.event_id)\n  measure replied = count(distinct p.event_id where c.event_id is not null)\n}}\n"
        ),
        3 => format!(
            "kpi k{i}_activation {{\n  from members m\n  left join events e over {days} days on e.member_id = m.member_id\n  where m.joined_on between day - 6 and day and m.left_on is null\n  group by m.company_id\n  measure joined = count(distinct m.member_id)\n  measure activated = count(distinct e.member_id)\n}}\n"
        ),
        _ => format!(
            "kpi k{i}_score {{\n  from k{}_active a\n  left join k{}_activation n on n.company_id = a.company_id\n  group by a.company_id\n  measure intensity = max(a.actions) / max(a.active)\n}}\n",
            i - 4,
            i - 1
        ),
    }
}

/// The name of the `i`th KPI.
pub fn name(i: usize) -> String {
    let template = ["active", "by_department", "replies", "activation", "score"][i % 5];
    format!("k{i}_{template}")
}

/// Writes a project of the KPIs `ids` (each id's template) into `dir`, 100 files a folder.
pub fn project(dir: &Path, ids: impl IntoIterator<Item = usize>) {
    let pipelines = Path::new(env!("CARGO_MANIFEST_DIR")).join("pipelines");
    std::fs::create_dir_all(dir.join("catalog")).unwrap();
    std::fs::copy(pipelines.join("kpi.yaml"), dir.join("kpi.yaml")).unwrap();
    for entry in std::fs::read_dir(pipelines.join("catalog")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), dir.join("catalog").join(entry.file_name())).unwrap();
    }
    for i in ids {
        let folder = dir.join(format!("f{:03}", i / 100));
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::write(folder.join(format!("k{i}.kpi")), kpi(i)).unwrap();
    }
}

//! `direct/` against pest: on every `.kpi` file of the repository, on texts that reach
//! each rule's corners, and on thousands of mutations of them, both parsers give the same AST
//! and the same errors; and the direct parser takes every chunk of the clean files itself.

use super::{direct, parse, parse_with_pest};
use crate::span::Sources;
use crate::syntax::scan;
use std::path::{Path, PathBuf};

/// Texts that reach each rule's corners: trailing comments inside spans, `///` after an
/// expression, keywords glued to numbers, every predicate tail, nested calls and cases.
const CORNERS: &[&str] = &[
    "kpi a { from events }",
    "// lead\n/// Doc one.\n//// plain\n///Doc two.  \nKPI `A b` {\n  FROM events e // c\n  // d\n  over 7 days ending day - 2 // e\n  where e.x = 1 // f\n  group by e.y // g\n  , z = e.z // h\n  /// m doc\n  measure n = count(*) // i\n  /// n doc\n  measure m = sum(e.v where e.k is not null) / 2 ///x\n  check n > 0 // j\n}\n// tail\n",
    "kpi a {\n  from events e over 1 day\n  left join members m over 30 days on m.id = e.id and not not m.ok\n  join k2 on k2.id = e.id\n  where not e.x in (1, 2.5, 'a''b', date '2024-02-29', true, false, null, day - 1) or e.y not like 'x%' and e.z not between -1 and --2\n  group by /// d\n  e.a[1][e.b['k']], b = case when e.c then 1 when e.d then 2 else 3 end\n  measure c = count(distinct e.u, e.v) - -1 * (2 + 3) % 4 || 'x'\n  measure d = now()\n  check c <= 1 and c >= 0 and c <> 2 and c != 3 and c < 4 and c > 5 and c == 6\n}\n",
    "kpi a { from events where x=1and y=2or z in(1)and w is null group by a=b measure m = 1in (2) }",
    "kpi a { from events e where date  \n '2024-01-01' < e.d and dated = 1 and date(e.x) = e.y }",
    "kpi a { from events measure m = a /// b\n c }",
    "kpi a { from events measure m = a ///\n measure n = b }",
    "kpi a { from events e over 99999999999999999999 days }",
    "kpi a { from events measure m = 9223372036854775808 }",
    "kpi a { from events where date '2023-02-29' = day }",
    "kpi a { from events `a\u{200b}b` }",
    "kpi a { from events where a where b }",
    "kpi a { from events group by a group by b }",
    "kpi a { from events e over 0 days ending day }",
    "kpi a { from events over 3 days ending day - }",
    "kpi a { from events measure m = count(distinct) }",
    "kpi a { from events measure m = f(* 2) }",
    "kpi a { from events measure m = f(where x) }",
    "kpi a { from events group by a == b }",
    "kpi a { from events measure m = case when a then b end end }",
    "kpi a { from events measure m = a . b . `c d` }",
    "kpi a { from events measure m = x[1 }",
    "kpi a { from events }\nkpi b { from a }\n/// orphan doc\n",
    "kpi a { from events } }",
    "kpi a { from events ",
    "",
    "  // only a comment\n",
    "kpi a { from events measure m = 'unterminated }",
    "kpi a { from events measure m = ((((1)))) }",
    "kpi a { from e measure m = a * b / c % d + e - f || g }",
    "kpi a { from e where a is not null and b is null and c not in (1) }",
];

fn kpi_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if path.is_dir() {
            if !name.starts_with('.') && name != "target" {
                kpi_files(&path, out);
            }
        } else if name.ends_with(".kpi") {
            out.push(path);
        }
    }
}

/// Every `.kpi` file of the repository and the corner texts.
fn seeds() -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    kpi_files(&root, &mut files);
    files.sort();
    assert!(files.len() >= 50, "found {} .kpi files", files.len());
    let mut texts: Vec<String> = files
        .iter()
        .filter_map(|f| std::fs::read_to_string(f).ok())
        .collect();
    texts.extend(CORNERS.iter().map(|s| s.to_string()));
    texts
}

/// Both parsers on `text`; whether the direct parser took every chunk itself.
fn same_as_pest(text: &str) -> bool {
    let mut sources = Sources::new();
    let file = sources.add("a.kpi", text);
    let direct = parse(&sources, file);
    let pest = parse_with_pest(&sources, file);
    assert_eq!(direct, pest, "the parsers differ on:\n{text}");
    scan::chunks(file, text).iter().all(|c| {
        c.too_deep.is_none() && direct::chunk(file, c.start, &text[c.start..c.end]).is_some()
    })
}

#[test]
fn both_parsers_give_the_same_trees_and_errors() {
    for text in seeds() {
        same_as_pest(&text);
    }
}

/// A small xorshift generator: the same mutations on every run.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n.max(1) as u64) as usize
    }
}

/// Tokens whose insertion reaches a rule's other branches.
const TOKENS: &[&str] = &[
    "(",
    ")",
    "[",
    "]",
    ",",
    ".",
    "=",
    "==",
    "<",
    ">=",
    "!=",
    "-",
    "--",
    "+",
    "*",
    "/",
    "%",
    "||",
    "'",
    "''",
    "`",
    "//",
    "///",
    "////",
    "\n",
    " ",
    "\t",
    "not ",
    " and ",
    " or ",
    "in",
    "is ",
    "null",
    "like ",
    "between ",
    "case ",
    "when ",
    "then ",
    "else ",
    "end",
    "date ",
    "day",
    "days",
    "over ",
    "ending ",
    "distinct ",
    "where ",
    "group by ",
    "measure m = ",
    "check ",
    "join ",
    "left ",
    "on ",
    "kpi k { from e ",
    "}",
    "{",
    "1",
    "2.5",
    "0",
    "99999999999999999999",
    "'2024-02-30'",
    "\u{200b}",
    "é",
    "x",
];

fn boundary(text: &str, mut at: usize) -> usize {
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn mutate(text: &str, rng: &mut Rng) -> String {
    let mut out = text.to_string();
    for _ in 0..1 + rng.below(3) {
        let at = boundary(&out, rng.below(out.len() + 1));
        let to = boundary(&out, (at + 1 + rng.below(12)).min(out.len()));
        match rng.below(4) {
            0 => out.replace_range(at..to, ""),
            1 => {
                let piece = out[at..to].to_string();
                out.insert_str(to, &piece);
            }
            2 => {
                let piece = out[at..to].to_ascii_uppercase();
                out.replace_range(at..to, &piece);
            }
            _ => out.insert_str(at, TOKENS[rng.below(TOKENS.len())]),
        }
    }
    out
}

#[test]
fn both_parsers_agree_on_mutated_texts() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let (mut mutants, mut taken) = (0, 0);
    for text in seeds() {
        for _ in 0..150 {
            taken += usize::from(same_as_pest(&mutate(&text, &mut rng)));
            mutants += 1;
        }
    }
    // Enough mutants parse cleanly for the direct parser's trees to be compared too.
    assert!(
        mutants > 10_000 && taken > 1_000,
        "{taken} of {mutants} mutants taken"
    );
}

#[test]
fn the_direct_parser_takes_every_chunk_of_a_clean_file() {
    let mut taken = 0;
    for text in seeds() {
        let mut sources = Sources::new();
        let file = sources.add("a.kpi", text.as_str());
        if !parse_with_pest(&sources, file).1.is_empty() {
            continue;
        }
        for chunk in scan::chunks(file, &text) {
            let slice = &text[chunk.start..chunk.end];
            assert!(
                direct::chunk(file, chunk.start, slice).is_some(),
                "declined a chunk pest parses cleanly:\n{slice}"
            );
            taken += 1;
        }
    }
    assert!(taken >= 100, "{taken} chunks");
}

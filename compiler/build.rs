//! Embeds `explain/*.md` (one long explanation per diagnostic code) into the compiler.

use std::fmt::Write as _;
use std::path::Path;

fn fail(message: String) -> ! {
    eprintln!("{message}");
    std::process::exit(1);
}

fn main() {
    // Read where the crate is now, not where this script was first compiled: a target
    // directory can outlive the checkout it was built from.
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR")
        .unwrap_or_else(|_| fail("CARGO_MANIFEST_DIR is not set".into()));
    let dir = Path::new(&manifest_dir).join("explain");
    println!("cargo:rerun-if-changed={}", dir.display());
    let entries = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| fail(format!("cannot read {}: {e}", dir.display())));
    let mut codes: Vec<String> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().to_str().map(str::to_string))
        .filter_map(|name| name.strip_suffix(".md").map(str::to_string))
        .collect();
    if codes.is_empty() {
        fail(format!(
            "{} holds no explanation (`E0001.md` …)",
            dir.display()
        ));
    }
    codes.sort();
    let mut out = String::from("static EXPLANATIONS: &[(&str, &str)] = &[\n");
    for code in &codes {
        let path = dir.join(format!("{code}.md"));
        println!("cargo:rerun-if-changed={}", path.display());
        let _ = writeln!(
            out,
            "    ({code:?}, include_str!({:?})),",
            path.display().to_string()
        );
    }
    out.push_str("];\n");
    let out_dir = std::env::var("OUT_DIR").unwrap_or_else(|_| ".".into());
    if let Err(e) = std::fs::write(Path::new(&out_dir).join("explanations.rs"), out) {
        fail(format!("cannot write explanations: {e}"));
    }
}

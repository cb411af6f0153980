//! Embeds `explain/*.md` (one long explanation per diagnostic code) into the compiler.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("explain");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut codes: Vec<String> = std::fs::read_dir(&dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .filter_map(|e| e.file_name().to_str().map(str::to_string))
                .filter_map(|name| name.strip_suffix(".md").map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
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
        println!("cargo:warning=cannot write explanations: {e}");
        std::process::exit(1);
    }
}

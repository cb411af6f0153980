//! Linking DuckDB's prebuilt library (`DUCKDB_LIB_DIR`, without the `bundled` feature) → an
//! rpath to its directory in the `kpi` binary (and this package's tests and benches), so the
//! binary runs outside the script that built it, with no LD_LIBRARY_PATH.
//!
//! Here rather than `RUSTFLAGS=-C link-args=-Wl,-rpath,…` in the scripts: a RUSTFLAGS change
//! rebuilds every dependency, and `scripts/demo` and `scripts/test` share one target directory.

fn main() {
    println!("cargo:rerun-if-env-changed=DUCKDB_LIB_DIR");
    println!("cargo:rerun-if-changed=build.rs");
    let bundled = std::env::var_os("CARGO_FEATURE_BUNDLED").is_some();
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let Some(dir) = std::env::var_os("DUCKDB_LIB_DIR") else {
        return;
    };
    // Windows has no rpath: the DLL is found on PATH.
    if bundled || !(os == "linux" || os == "macos") {
        return;
    }
    let dir = std::path::Path::new(&dir);
    let dir = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    println!("cargo:rustc-link-arg=-Wl,-rpath,{}", dir.display());
}

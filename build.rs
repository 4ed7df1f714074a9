//! Lists the SQL migrations of both engines for `app::store::migrations`, which embeds them
//! in the binary: a new file in `migrations/<engine>/` is picked up without a code change.

use std::path::Path;
use std::{env, fs};

fn main() {
    let root = env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let mut code = String::new();
    for engine in ["sqlite", "postgres"] {
        let dir = Path::new(&root).join("migrations").join(engine);
        // A directory's own change time moves when a file is added or removed; changes to a
        // file's text are followed by `include_str!`.
        println!("cargo:rerun-if-changed={}", dir.display());
        let mut files: Vec<_> = fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
            .map(|e| e.expect("a directory entry").path())
            .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "sql"))
            .collect();
        files.sort();
        code.push_str(&format!(
            "pub const {}: &[(&str, &str)] = &[\n",
            engine.to_uppercase()
        ));
        for f in files {
            let name = f
                .file_name()
                .and_then(|n| n.to_str())
                .expect("a UTF-8 name");
            code.push_str(&format!(
                "    ({name:?}, include_str!({:?})),\n",
                f.display().to_string()
            ));
        }
        code.push_str("];\n");
    }
    let out = Path::new(&env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("migrations.rs");
    fs::write(&out, code).unwrap_or_else(|e| panic!("writing {}: {e}", out.display()));
}

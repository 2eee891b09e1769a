//! The `Containerfile` builds the image the Kubernetes Job example runs
//! (experiments/README.md): it is not built here (no container registry), so these
//! tests hold what can be checked without building it: it copies the binary from where
//! `cargo build --release` puts it, every file it copies exists, and the tag it is built
//! with is the image the Job names.

use std::path::Path;

fn read(path: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path))
        .unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The instructions of a Containerfile, comments dropped, continuation lines joined.
fn instructions(text: &str) -> Vec<String> {
    text.replace("\\\n", " ")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect()
}

#[test]
fn containerfile_copies_the_release_binary_from_where_cargo_puts_it() {
    let file = instructions(&read("Containerfile"));
    // The binary the tests run is the one Cargo names: target/<profile>/rollsim.
    let binary = Path::new(env!("CARGO_BIN_EXE_rollsim"))
        .file_name()
        .and_then(|n| n.to_str())
        .expect("the binary has a name")
        .to_string();
    assert!(
        file.iter()
            .any(|l| l.starts_with("RUN cargo build --release") && l.contains(&binary)),
        "the build stage builds the release binary {binary}: {file:?}"
    );
    let copied = format!("COPY --from=build /src/target/release/{binary} /usr/local/bin/{binary}");
    assert!(file.contains(&copied), "{copied} missing: {file:?}");
    let stages = file.iter().filter(|l| l.starts_with("FROM ")).count();
    assert_eq!(stages, 2, "a build stage and a runtime stage: {file:?}");
    assert!(
        file.iter()
            .any(|l| l.starts_with("FROM ") && l.contains("debian") && l.contains("slim")),
        "the runtime is Debian slim: {file:?}"
    );
}

#[test]
fn containerfile_copies_only_files_the_repository_has() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for line in instructions(&read("Containerfile")) {
        let Some(args) = line.strip_prefix("COPY ") else {
            continue;
        };
        if args.starts_with("--from=") {
            continue;
        }
        let parts: Vec<&str> = args.split_whitespace().collect();
        for source in &parts[..parts.len() - 1] {
            assert!(
                root.join(source).exists(),
                "Containerfile copies {source}, which the repository does not have"
            );
        }
    }
}

#[test]
fn the_job_example_names_the_image_the_containerfile_is_built_as() {
    let guide = read("experiments/README.md");
    assert!(guide.contains("image: rollsim:latest"), "the Job's image");
    assert!(
        guide.contains("podman build -f Containerfile -t rollsim:latest ."),
        "the guide says how to build the image the Job names"
    );
    // The Job's command runs a sweep shipped in the image.
    assert!(guide.contains("rollsim sweep /experiments/example-sweep.toml"));
    assert!(read("Containerfile").contains("COPY experiments /experiments"));
}

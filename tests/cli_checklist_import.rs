//! `opsdeck checklist import` on a fresh machine: with no config file it creates one from the
//! commented example (saying so) and records the plan in it, so the next `opsdeck` shows the plan
//! instead of silently opening the demo without it. Importing again adds nothing twice.

use std::path::Path;
use std::process::Command;

fn opsdeck(config_dir: &Path, data_dir: &Path, args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_opsdeck"))
        .args(args)
        .env("OPSDECK_CONFIG_DIR", config_dir)
        .env("OPSDECK_DATA_DIR", data_dir)
        .env_remove("XDG_CONFIG_HOME")
        .env_remove("XDG_DATA_HOME")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[test]
fn import_without_a_config_creates_one_that_names_the_plan_once() {
    let tmp = tempfile::tempdir().unwrap();
    let config_dir = tmp.path().join("config");
    let data_dir = tmp.path().join("data");
    let plan = tmp.path().join("launch plan.md");
    std::fs::write(
        &plan,
        "# Launch\n\n## Gate \"A\"\n\n- [ ] sign-off\n- [x] load test\n",
    )
    .unwrap();
    let plan_arg = plan.to_str().unwrap();

    let (code, out) = opsdeck(
        &config_dir,
        &data_dir,
        &["checklist", "import", plan_arg, "--gate", "Gate \"A\""],
    );

    assert_eq!(code, 0, "{out}");
    let config_file = config_dir.join("config.toml");
    assert!(
        out.contains(&format!("created {}", config_file.display())),
        "{out}"
    );
    assert!(out.contains("2 items, 1 done"), "{out}");
    let text = std::fs::read_to_string(&config_file).unwrap();
    let config = opsdeck::config::Config::parse(&text, "config.toml").unwrap();
    let canonical = std::fs::canonicalize(&plan).unwrap();
    assert_eq!(config.checklists.len(), 1, "{text}");
    assert_eq!(
        config.checklists[0].path,
        canonical.to_str().unwrap(),
        "the plan is recorded"
    );
    assert_eq!(config.checklists[0].gates, vec!["Gate \"A\"".to_owned()]);
    let (_, paths) = opsdeck(&config_dir, &data_dir, &["paths"]);
    assert!(
        !paths.contains("the demo opens"),
        "the next start opens the workspace: {paths}"
    );

    let (code, out) = opsdeck(&config_dir, &data_dir, &["checklist", "import", plan_arg]);
    assert_eq!(code, 0, "{out}");
    assert!(!out.contains("created"), "{out}");
    let again = std::fs::read_to_string(&config_file).unwrap();
    assert_eq!(again, text, "a second import changes nothing in the config");
    let (code, export) = opsdeck(&config_dir, &data_dir, &["checklist", "export"]);
    assert_eq!(code, 0, "{export}");
    assert!(
        export.contains("sign-off") && export.contains("load test"),
        "{export}"
    );
}

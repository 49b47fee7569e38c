//! Shared widgets: the generic data table, the detail pane, the status bar and the overlays.

pub mod boxes;
pub mod data_table;
pub mod detail;
pub mod detail_fields;
pub mod help;
pub mod hints;
pub mod outbox_view;
pub mod overlays;
pub mod prompt;
pub mod status_bar;

#[cfg(test)]
mod tests {
    /// Tabs import widgets, never the reverse: a widget naming `ui::tabs` would bring back
    /// the `widgets ↔ tabs` import cycle.
    #[test]
    fn widgets_never_import_tabs() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/ui/widgets");
        // Every file under widgets/, sub-modules (data_table/column.rs) included.
        let mut files = Vec::new();
        let mut dirs = vec![dir];
        while let Some(d) = dirs.pop() {
            let Ok(entries) = std::fs::read_dir(&d) else {
                panic!("cannot read {}", d.display());
            };
            for e in entries.flatten() {
                if e.path().is_dir() {
                    dirs.push(e.path());
                } else {
                    files.push(e.path());
                }
            }
        }
        assert!(files.len() > 10, "widgets found: {files:?}");
        let mut offenders = Vec::new();
        for path in files {
            let Ok(src) = std::fs::read_to_string(&path) else {
                panic!("cannot read {}", path.display());
            };
            let code = src.split("#[cfg(test)]").next().unwrap_or("");
            let (a, b) = (concat!("ui::", "tabs"), concat!("super::super::", "tabs"));
            if code.contains(a) || code.contains(b) {
                offenders.push(path.display().to_string());
            }
        }
        assert!(
            offenders.is_empty(),
            "widgets importing tabs: {offenders:?}"
        );
    }
}

//! `cargo xtask status`: each component, its pid, health and URL, and where the
//! mail, keys and Matrix account are.

use super::components;
use super::health::healthy;
use super::layout::Layout;
use super::{SYNAPSE, StackArgs, supervisor};

/// `cargo xtask status`.
pub fn status(args: &StackArgs) -> anyhow::Result<()> {
    let layout = Layout::new(&args.dir)?;
    let matrix = supervisor::running_pid(&layout, "synapse").is_some();
    print_table(&layout, matrix);
    Ok(())
}

pub fn print_table(layout: &Layout, matrix: bool) {
    println!("\n{:<18} {:<9} {:<8} URL", "COMPONENT", "PID", "HEALTH");
    for component in components::all()
        .iter()
        .filter(|c| matrix || !c.matrix_only)
    {
        let pid = supervisor::running_pid(layout, &component.name);
        let (pid, url) = match (component.name.as_str(), pid) {
            ("postgres", None) if supervisor::port_open(5432) => (
                "machine".to_owned(),
                "postgres://127.0.0.1:5432/vigie".to_owned(),
            ),
            (_, Some(pid)) => (pid.to_string(), component.url.clone()),
            (_, None) => ("-".to_owned(), component.url.clone()),
        };
        let health = match component.name.as_str() {
            "postgres" if pid == "machine" => "up",
            _ if pid == "-" => "stopped",
            _ if healthy(&component.health) => "healthy",
            _ => "UNHEALTHY",
        };
        println!("{:<18} {:<9} {:<8} {}", component.name, pid, health, url);
    }
    println!(
        "\nmail caught by the SMTP catcher: {}/new",
        layout.mail().display()
    );
    println!(
        "queue API keys: {}/queue-<team>.key",
        layout.secrets().display()
    );
    if matrix && let Ok(text) = std::fs::read_to_string(layout.secrets().join("matrix.json")) {
        println!("Matrix room (log in to http://localhost:{SYNAPSE} with these): {text}");
    }
}

//! Where the native stack keeps its state: one directory (`.vigie/` by default,
//! git-ignored) with the generated configuration, data, logs, pid files and
//! secrets of every component, so `down` and a fresh `up` know what is theirs.

use std::path::{Path, PathBuf};

/// The state directory and its parts.
#[derive(Debug, Clone)]
pub struct Layout {
    root: PathBuf,
}

impl Layout {
    /// The layout under `root`, made absolute (processes run from other directories).
    pub fn new(root: &Path) -> anyhow::Result<Self> {
        let root = if root.is_absolute() {
            root.to_path_buf()
        } else {
            std::env::current_dir()?.join(root)
        };
        Ok(Self { root })
    }

    /// Creates every directory.
    pub fn create(&self) -> anyhow::Result<()> {
        for dir in [
            self.config(""),
            self.data(""),
            self.logs(),
            self.run(),
            self.secrets(),
        ] {
            std::fs::create_dir_all(dir)?;
        }
        Ok(())
    }

    /// The root.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Generated configuration of `component`.
    pub fn config(&self, component: &str) -> PathBuf {
        self.root.join("config").join(component)
    }

    /// Data of `component`.
    pub fn data(&self, component: &str) -> PathBuf {
        self.root.join("data").join(component)
    }

    /// The logs directory (`<component>.log`).
    pub fn logs(&self) -> PathBuf {
        self.root.join("logs")
    }

    /// The log file of `component`.
    pub fn log(&self, component: &str) -> PathBuf {
        self.logs().join(format!("{component}.log"))
    }

    /// The pid files directory.
    pub fn run(&self) -> PathBuf {
        self.root.join("run")
    }

    /// The pid file of `component`.
    pub fn pid_file(&self, component: &str) -> PathBuf {
        self.run().join(format!("{component}.pid"))
    }

    /// The secrets directory (mode 700).
    pub fn secrets(&self) -> PathBuf {
        self.root.join("secrets")
    }

    /// The messages the SMTP catcher received (one `.eml` file each).
    pub fn mail(&self) -> PathBuf {
        self.data("mail")
    }
}

//! Messages from notifications, through minijinja templates: the defaults in
//! `alerter/templates/` are compiled in, and a templates directory can override
//! any of them by file name. Templates whose name ends in `.html` escape every
//! value (labels and annotations are untrusted text); links are checked before
//! templates see them (`links`).

pub mod links;
mod split;
pub mod view;

use std::path::Path;

use anyhow::Context;
use minijinja::{AutoEscape, Environment};

pub use links::LinkSettings;
pub use split::MAX_MATRIX_CONTENT_BYTES;
use view::NotificationView;

use crate::payload::Notification;

/// The template files, with their compiled-in defaults.
pub const TEMPLATES: &[(&str, &str)] = &[
    (
        "email_subject.txt",
        include_str!("../../templates/email_subject.txt"),
    ),
    ("email.txt", include_str!("../../templates/email.txt")),
    ("email.html", include_str!("../../templates/email.html")),
    ("matrix.txt", include_str!("../../templates/matrix.txt")),
    ("matrix.html", include_str!("../../templates/matrix.html")),
];

/// Longest subject kept, in characters.
const MAX_SUBJECT_CHARS: usize = 200;

/// A rendered e-mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailContent {
    /// One line, no control characters.
    pub subject: String,
    /// The text/plain part.
    pub text: String,
    /// The text/html part.
    pub html: String,
}

/// One Matrix `m.notice` event's text and HTML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatrixContent {
    /// `body`
    pub body: String,
    /// `formatted_body` (`org.matrix.custom.html`)
    pub formatted_body: String,
}

/// The compiled templates and the link settings.
#[derive(Debug)]
pub struct Renderer {
    env: Environment<'static>,
    links: LinkSettings,
}

impl Renderer {
    /// Compiles the templates, each from `dir` when it holds a file of that name.
    pub fn load(dir: Option<&Path>, links: LinkSettings) -> anyhow::Result<Self> {
        let mut env = Environment::new();
        env.set_auto_escape_callback(|name| {
            if name.ends_with(".html") {
                AutoEscape::Html
            } else {
                AutoEscape::None
            }
        });
        // Keep the final newline of the text parts as written.
        env.set_keep_trailing_newline(true);
        for (name, default) in TEMPLATES {
            let source = match dir.map(|dir| dir.join(name)).filter(|path| path.is_file()) {
                Some(path) => std::fs::read_to_string(&path)
                    .with_context(|| format!("cannot read template {}", path.display()))?,
                None => (*default).to_owned(),
            };
            env.add_template_owned(*name, source)
                .with_context(|| format!("template {name} does not compile"))?;
        }
        if let Some(dir) = dir {
            anyhow::ensure!(
                dir.is_dir(),
                "templates directory {} does not exist",
                dir.display()
            );
        }
        Ok(Self { env, links })
    }

    /// The e-mail for `notification`.
    pub fn email(&self, notification: &Notification) -> anyhow::Result<EmailContent> {
        let view = NotificationView::new(notification, &notification.alerts, &self.links, (1, 1));
        let subject = self.render("email_subject.txt", &view)?;
        Ok(EmailContent {
            subject: one_line(&subject, MAX_SUBJECT_CHARS),
            text: self.render("email.txt", &view)?,
            html: self.render("email.html", &view)?,
        })
    }

    /// The Matrix events for `notification`: one, or several when the group is too
    /// large for one event.
    pub fn matrix(&self, notification: &Notification) -> anyhow::Result<Vec<MatrixContent>> {
        split::matrix_parts(notification, |alerts, part| {
            let view = NotificationView::new(notification, alerts, &self.links, part);
            Ok(MatrixContent {
                body: self.render("matrix.txt", &view)?,
                formatted_body: self.render("matrix.html", &view)?,
            })
        })
    }

    fn render(&self, name: &str, view: &NotificationView) -> anyhow::Result<String> {
        self.env
            .get_template(name)
            .and_then(|template| template.render(view))
            .with_context(|| format!("template {name} failed to render"))
    }
}

/// A header-safe line: control characters (CR, LF, ...) become spaces, runs of
/// spaces collapse, and the result is cut at `max` characters.
pub fn one_line(text: &str, max: usize) -> String {
    let cleaned: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let collapsed = cleaned.split_whitespace().collect::<Vec<_>>().join(" ");
    if collapsed.chars().count() <= max {
        collapsed
    } else {
        let cut: String = collapsed.chars().take(max.saturating_sub(1)).collect();
        format!("{cut}…")
    }
}

#[cfg(test)]
mod tests;

//! What the alerter sent, read with mail-parser: the headers as written (to see
//! that no header was injected), the decoded subject, the text and HTML parts.

use mail_parser::MessageParser;

/// A received e-mail.
#[derive(Debug)]
pub struct Email {
    pub headers: Vec<(String, String)>,
    pub subject: String,
    pub text: String,
    pub html: String,
}

impl Email {
    pub fn parse(raw: &str) -> Self {
        let message = MessageParser::default()
            .parse(raw.as_bytes())
            .expect("a MIME message");
        Self {
            headers: message
                .headers_raw()
                .map(|(name, value)| (name.to_ascii_lowercase(), unfold(value)))
                .collect(),
            subject: message.subject().expect("a subject").to_owned(),
            text: message.body_text(0).expect("a text part").into_owned(),
            html: message.body_html(0).expect("an HTML part").into_owned(),
        }
    }

    /// The raw value of header `name` (case-insensitive), unfolded and trimmed.
    pub fn header(&self, name: &str) -> Option<String> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(header, _)| *header == name)
            .map(|(_, value)| value.clone())
    }
}

/// A header value on one line, as its folded lines say (RFC 5322 unfolding).
fn unfold(value: &str) -> String {
    value
        .replace("\r\n", "")
        .replace('\n', "")
        .trim()
        .to_owned()
}

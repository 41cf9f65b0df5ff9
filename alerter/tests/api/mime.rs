//! Just enough MIME to read what the alerter sent: headers (with RFC 2047
//! encoded words), and the text and HTML parts decoded.

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
        let raw = raw.replace("\r\n", "\n");
        let (head, body) = raw.split_once("\n\n").expect("headers end");
        let headers = headers(head);
        let subject = decode_words(&header(&headers, "subject").expect("a subject"));
        let content_type = header(&headers, "content-type").expect("a content type");
        let boundary = content_type
            .split("boundary=")
            .nth(1)
            .expect("a multipart boundary")
            .trim_matches('"')
            .to_owned();
        let mut text = String::new();
        let mut html = String::new();
        for part in body.split(&format!("--{boundary}")).skip(1) {
            let Some((part_head, part_body)) = part.trim_start_matches('\n').split_once("\n\n")
            else {
                continue;
            };
            let part_headers = headers_of(part_head);
            let kind = header(&part_headers, "content-type").unwrap_or_default();
            let encoding = header(&part_headers, "content-transfer-encoding").unwrap_or_default();
            let decoded = decode_body(part_body.trim_end_matches("\n"), &encoding);
            if kind.starts_with("text/plain") {
                text = decoded;
            } else if kind.starts_with("text/html") {
                html = decoded;
            }
        }
        Self {
            headers,
            subject,
            text,
            html,
        }
    }

    pub fn header(&self, name: &str) -> Option<String> {
        header(&self.headers, name)
    }
}

fn headers_of(head: &str) -> Vec<(String, String)> {
    headers(head)
}

fn headers(head: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in head.lines() {
        if line.starts_with([' ', '\t']) {
            if let Some(last) = out.last_mut() {
                last.1.push_str(line);
            }
        } else if let Some((name, value)) = line.split_once(':') {
            out.push((name.to_ascii_lowercase(), value.trim().to_owned()));
        }
    }
    out
}

fn header(headers: &[(String, String)], name: &str) -> Option<String> {
    headers
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.clone())
}

/// Decodes `=?utf-8?b?...?=` and `=?utf-8?q?...?=` words; whitespace between
/// two encoded words is dropped, as RFC 2047 says.
fn decode_words(value: &str) -> String {
    let mut out = String::new();
    let mut last_was_word = false;
    for token in value.split_whitespace() {
        let word = token
            .strip_prefix("=?")
            .and_then(|t| t.strip_suffix("?="))
            .and_then(|t| {
                let mut parts = t.splitn(3, '?');
                let _charset = parts.next()?;
                let encoding = parts.next()?.to_ascii_lowercase();
                let text = parts.next()?;
                let bytes = if encoding == "b" {
                    base64(text)
                } else {
                    quoted_printable(&text.replace('_', " "))
                };
                Some(String::from_utf8_lossy(&bytes).into_owned())
            });
        match word {
            Some(word) => {
                if !last_was_word && !out.is_empty() {
                    out.push(' ');
                }
                out.push_str(&word);
                last_was_word = true;
            }
            None => {
                if !out.is_empty() {
                    out.push(' ');
                }
                out.push_str(token);
                last_was_word = false;
            }
        }
    }
    out
}

fn decode_body(body: &str, encoding: &str) -> String {
    let bytes = match encoding.to_ascii_lowercase().as_str() {
        "base64" => base64(&body.split_whitespace().collect::<String>()),
        "quoted-printable" => quoted_printable(&body.replace("=\n", "")),
        _ => body.as_bytes().to_vec(),
    };
    String::from_utf8_lossy(&bytes).into_owned()
}

fn quoted_printable(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'='
            && i + 2 < bytes.len()
            && let Ok(byte) = u8::from_str_radix(&text[i + 1..i + 3], 16)
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

fn base64(text: &str) -> Vec<u8> {
    let value = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let digits: Vec<u32> = text.bytes().filter_map(value).collect();
    let mut out = Vec::new();
    for chunk in digits.chunks(4) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0, |acc, (i, d)| acc | (d << (18 - 6 * i)));
        for i in 0..chunk.len().saturating_sub(1) {
            out.push((n >> (16 - 8 * i)) as u8);
        }
    }
    out
}

#[test]
fn decoders_match_the_references() {
    assert_eq!(base64("TWFu"), b"Man");
    assert_eq!(base64("TWE="), b"Ma");
    assert_eq!(quoted_printable("a=3Db=C2=B7"), "a=b·".as_bytes());
    assert_eq!(decode_words("=?utf-8?b?wrc=?= x"), "· x");
}

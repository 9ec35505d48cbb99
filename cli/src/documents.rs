//! Reading payloads from files or standard input: one payload, possibly spread over many
//! lines, or a stream of payloads one per line, as a logging proxy or `listen --save` writes
//! them.

use std::io::Read;

/// One payload's bytes, where it comes from, and the input's line it starts on (zero-based).
pub struct Document {
    pub source: String,
    pub bytes: Vec<u8>,
    pub first_line: usize,
}

impl Document {
    /// `source:line`, for messages.
    pub fn place(&self) -> String {
        format!("{}:{}", self.source, self.first_line + 1)
    }
}

/// The contents of `input`: a file, or standard input for `-`.
pub fn read(input: &str) -> std::io::Result<Vec<u8>> {
    if input == "-" {
        let mut body = Vec::new();
        std::io::stdin().read_to_end(&mut body)?;
        Ok(body)
    } else {
        std::fs::read(input)
    }
}

/// How an input is named in messages: escaped, since a file name can hold anything a
/// terminal acts on (a name that came with a download, or a glob's match).
pub fn display_name(input: &str) -> String {
    if input == "-" {
        "<stdin>".into()
    } else {
        crate::output::shown(input)
    }
}

/// Splits an input into payloads: the whole input, or one per non-blank line when the first
/// non-blank line is a JSON object on its own.
pub fn split(source: &str, body: &[u8]) -> Vec<Document> {
    let lines: Vec<&[u8]> = body.split(|&b| b == b'\n').collect();
    let is_blank = |line: &&[u8]| line.iter().all(u8::is_ascii_whitespace);
    let first = lines.iter().find(|line| !is_blank(line));
    let one_per_line = first.is_some_and(|line| {
        let mut solid = line.iter().filter(|b| !b.is_ascii_whitespace());
        solid.next() == Some(&b'{') && solid.next_back() == Some(&b'}')
    });
    if !one_per_line {
        return vec![Document {
            source: source.to_owned(),
            bytes: body.to_vec(),
            first_line: 0,
        }];
    }
    lines
        .iter()
        .enumerate()
        .filter(|(_, line)| !is_blank(line))
        .map(|(index, line)| Document {
            source: source.to_owned(),
            bytes: line.to_vec(),
            first_line: index,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_payload_or_one_per_line() {
        let pretty = b"{\n  \"a\": 1\n}\n";
        assert_eq!(split("x", pretty).len(), 1);
        let stream = b"{\"a\": 1}\n\n{\"b\": 2}\nnot json\n";
        let documents = split("x", stream);
        assert_eq!(documents.len(), 3);
        assert_eq!(documents[1].first_line, 2);
        assert_eq!(documents[2].place(), "x:4");
    }
}

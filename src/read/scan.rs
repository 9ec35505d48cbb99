//! A forgiving scanner of JSON text, for the places that need byte offsets, which serde_json
//! does not give: finding a value an error is about (`locate`) and editing a raw body
//! (`key::strip`). It steps over values without checking them (the text has been read by
//! serde_json, or is only being cut, not believed) and without recursion; every step is `None`
//! at a byte it does not expect, so broken text ends a scan instead of a loop.

use std::borrow::Cow;

/// A position in JSON text.
pub(crate) struct Scanner<'a> {
    bytes: &'a [u8],
    /// The offset of the next byte to read.
    pub at: usize,
}

impl<'a> Scanner<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Scanner { bytes, at: 0 }
    }

    pub(crate) fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    pub(crate) fn whitespace(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    /// Steps past whitespace and then `byte`, if `byte` is next.
    pub(crate) fn expect(&mut self, byte: u8) -> Option<()> {
        self.whitespace();
        (self.peek()? == byte).then(|| self.at += 1)
    }

    /// Reads a string here, unescaped, and steps past it.
    pub(crate) fn string(&mut self) -> Option<Cow<'a, str>> {
        let start = self.at;
        self.skip_string()?;
        let bytes: &'a [u8] = self.bytes;
        let raw = std::str::from_utf8(&bytes[start..self.at]).ok()?;
        let inner = &raw[1..raw.len() - 1];
        if inner.contains('\\') {
            serde_json::from_str(raw).ok().map(Cow::Owned)
        } else {
            Some(Cow::Borrowed(inner))
        }
    }

    /// Steps past the string that starts here.
    fn skip_string(&mut self) -> Option<()> {
        (self.peek()? == b'"').then_some(())?;
        self.at += 1;
        loop {
            match self.peek()? {
                b'"' => {
                    self.at += 1;
                    return Some(());
                }
                b'\\' => self.at += 2,
                _ => self.at += 1,
            }
        }
    }

    /// Steps past the value that starts here.
    pub(crate) fn skip_value(&mut self) -> Option<()> {
        match self.peek()? {
            b'"' => self.skip_string(),
            b'{' | b'[' => {
                let mut depth = 0usize;
                loop {
                    match self.peek()? {
                        b'"' => {
                            self.skip_string()?;
                            continue;
                        }
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' => {
                            depth -= 1;
                            if depth == 0 {
                                self.at += 1;
                                return Some(());
                            }
                        }
                        _ => {}
                    }
                    self.at += 1;
                }
            }
            // A number or a literal: up to the next delimiter.
            _ => {
                let start = self.at;
                while self.peek().is_some_and(|b| {
                    !matches!(b, b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r')
                }) {
                    self.at += 1;
                }
                (self.at > start).then_some(())
            }
        }
    }
}

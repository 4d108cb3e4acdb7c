//! clamd's side of the conversation (clamd(8)): the commands, the framing of `INSTREAM` and what
//! its answers mean. Pure functions over bytes, so the rules are tested without a daemon.

/// `INSTREAM`, `z`-prefixed: the answer comes back NUL-terminated.
pub const INSTREAM: &[u8] = b"zINSTREAM\0";
pub const PING: &[u8] = b"zPING\0";
pub const VERSION: &[u8] = b"zVERSION\0";
/// The zero-length chunk that ends a stream.
pub const END_OF_STREAM: [u8; 4] = [0; 4];
/// The longest answer read: clamd's are one short line.
pub const MAX_ANSWER: usize = 4096;

/// The prefix of a chunk of `len` bytes: its length as 4 bytes big-endian.
pub fn chunk_header(len: usize) -> [u8; 4] {
    u32::try_from(len)
        .expect("a chunk is smaller than 4 GiB")
        .to_be_bytes()
}

/// What clamd concluded about a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// No signature matched.
    Clean,
    /// A signature matched: its name (`Win.Test.EICAR_HDB-1`, `Name.UNOFFICIAL` for a local one).
    Found(String),
    /// Too big for the scanner's limits, so not scanned to the end: clamd's answer.
    TooBig(String),
}

/// Why an answer is not a verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnswerError {
    /// An `… ERROR` line: clamd could not scan.
    Error(String),
    /// Not a line clamd sends.
    Garbled(String),
}

/// The text of an answer: up to its NUL, without trailing whitespace.
pub fn answer_text(raw: &[u8]) -> String {
    let end = raw.iter().position(|b| *b == 0).unwrap_or(raw.len());
    String::from_utf8_lossy(&raw[..end]).trim().to_owned()
}

/// The verdict in an answer to `INSTREAM`.
///
/// `stream: OK` is clean; `stream: <name> FOUND` found, unless `<name>` is one of the
/// `Heuristics.Limits.Exceeded…` alerts (`AlertExceedsMax yes`): then, as with `INSTREAM size
/// limit exceeded. ERROR` (over `StreamMaxLength`), the file was too big to be scanned, which
/// says nothing of what it holds.
pub fn verdict(answer: &str) -> Result<Verdict, AnswerError> {
    let line = answer.strip_prefix("stream: ").unwrap_or(answer);
    if line == "OK" {
        return Ok(Verdict::Clean);
    }
    if line.contains("size limit exceeded") {
        return Ok(Verdict::TooBig(answer.to_owned()));
    }
    if let Some(name) = line.strip_suffix(" FOUND") {
        let name = name.trim();
        if name.is_empty() {
            return Err(AnswerError::Garbled(answer.to_owned()));
        }
        if name.starts_with("Heuristics.Limits.Exceeded") {
            return Ok(Verdict::TooBig(name.to_owned()));
        }
        return Ok(Verdict::Found(name.to_owned()));
    }
    if line.ends_with("ERROR") {
        return Err(AnswerError::Error(answer.to_owned()));
    }
    Err(AnswerError::Garbled(answer.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_read_as_clamd_writes_them() {
        let cases = [
            ("stream: OK", Ok(Verdict::Clean)),
            (
                "stream: Eicar-Test.UNOFFICIAL FOUND",
                Ok(Verdict::Found("Eicar-Test.UNOFFICIAL".into())),
            ),
            (
                "stream: Win.Test.EICAR_HDB-1 FOUND",
                Ok(Verdict::Found("Win.Test.EICAR_HDB-1".into())),
            ),
            (
                "stream: Heuristics.Limits.Exceeded.MaxFileSize FOUND",
                Ok(Verdict::TooBig(
                    "Heuristics.Limits.Exceeded.MaxFileSize".into(),
                )),
            ),
            (
                "INSTREAM size limit exceeded. ERROR",
                Ok(Verdict::TooBig(
                    "INSTREAM size limit exceeded. ERROR".into(),
                )),
            ),
            (
                "stream: Can't allocate memory ERROR",
                Err(AnswerError::Error(
                    "stream: Can't allocate memory ERROR".into(),
                )),
            ),
            (
                "UNKNOWN COMMAND",
                Err(AnswerError::Garbled("UNKNOWN COMMAND".into())),
            ),
            (
                "stream:  FOUND",
                Err(AnswerError::Garbled("stream:  FOUND".into())),
            ),
            ("", Err(AnswerError::Garbled(String::new()))),
        ];
        for (answer, expected) in cases {
            assert_eq!(verdict(answer), expected, "{answer:?}");
        }
    }

    #[test]
    fn an_answer_ends_at_its_nul() {
        assert_eq!(answer_text(b"stream: OK\0"), "stream: OK");
        assert_eq!(answer_text(b"PONG\0garbage"), "PONG");
        assert_eq!(
            answer_text(b"ClamAV 1.4.6/27000/Mon Dec  1 2025\n"),
            "ClamAV 1.4.6/27000/Mon Dec  1 2025"
        );
    }

    #[test]
    fn chunks_are_prefixed_by_their_length_big_endian() {
        assert_eq!(chunk_header(1), [0, 0, 0, 1]);
        assert_eq!(chunk_header(262_144), [0, 4, 0, 0]);
    }
}

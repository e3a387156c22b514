//! A strict cursor over JSON text for the one-pass read of a reply: it takes a subset of what serde_json
//! takes, and answers `None` ("not sure") for everything else, so that its caller can leave that input to
//! serde, which defines the rules. It never accepts what serde_json would reject.

/// Deeper than this is left to serde (whose own limit is 128), so a value's slice handed to serde on its own
/// can never pass where the whole reply would not.
const MAX_DEPTH: u32 = 64;

pub(super) struct Scan<'a> {
    text: &'a str,
    pos: usize,
    depth: u32,
    /// `\uXXXX` escapes stepped over so far, in any string.
    unicode_escapes: u32,
    /// For each kind of object its caller names ([`Scan::entries`]), the keys of the last one read, in their
    /// order, each with what the caller made of it: the next object's keys are tried against them first.
    keys: [Vec<Remembered<'a>>; KEY_SLOTS],
}

/// A key as it stood in the text, with quotes, and what the caller made of it; for a key its caller skips, also
/// the whole entry as it stood (key, colon and value), so that the same entry next time is stepped over at once.
struct Remembered<'a> {
    quoted: &'a [u8],
    key: Window<2>,
    made: Option<u32>,
    /// Empty when there is none: the value was not a scalar, held an escape, or the entry was too long.
    entry: &'a [u8],
    entry_window: Window<4>,
    /// Objects to pass (the one where it changed first) before the skipped entry here is remembered again, set
    /// when it was not the same: an entry whose value changes from one object to the next then costs neither a
    /// compare nor a note each time.
    quiet: u8,
}

impl<'a> Remembered<'a> {
    fn new(quoted: &'a [u8], made: Option<u32>) -> Self {
        Remembered {
            quoted,
            key: Window::new(quoted),
            made,
            entry: &[],
            entry_window: Window::new(&[]),
            quiet: 0,
        }
    }
}

/// How many objects a place whose skipped entry changed waits before its entry is remembered again.
const QUIET_OBJECTS: u8 = 16;

/// Text of up to `8 × N` bytes kept as `N` words and their masks, so that it is compared with the text in a
/// few instructions.
struct Window<const N: usize> {
    words: [u64; N],
    masks: [u64; N],
}

impl<const N: usize> Window<N> {
    /// The window of `text`; one of longer text is never used ([`Window::starts`] compares the text itself).
    fn new(text: &[u8]) -> Self {
        const { assert!(N <= 4) };
        let mut padded = [0u8; 32];
        let len = if text.len() <= 8 * N { text.len() } else { 0 };
        padded[..len].copy_from_slice(&text[..len]);
        Self::of_window(&padded, len)
    }

    /// The window of the first `len` (at most `8 × N`) bytes of `window` (at least `8 × N` bytes), read as they
    /// stand.
    #[inline(always)]
    fn of_window(window: &[u8], len: usize) -> Self {
        // `len` bytes of 0xff then zeros, cut from one constant.
        const ONES_THEN_ZEROS: [u8; 64] = {
            let mut b = [0u8; 64];
            let mut i = 0;
            while i < 32 {
                b[i] = 0xff;
                i += 1;
            }
            b
        };
        let mask = &ONES_THEN_ZEROS[32 - len..];
        let word = |b: &[u8], i: usize| {
            u64::from_le_bytes(b[i * 8..i * 8 + 8].try_into().expect("eight bytes"))
        };
        let mut out = Window {
            words: [0; N],
            masks: [0; N],
        };
        for i in 0..N {
            out.masks[i] = word(mask, i);
            out.words[i] = word(window, i) & out.masks[i];
        }
        out
    }

    /// Whether `text` starts with `whole`, the text this window was made of.
    #[inline(always)]
    fn starts(&self, whole: &[u8], text: &[u8]) -> bool {
        match text.get(..8 * N) {
            Some(window) if whole.len() <= 8 * N => {
                let mut differ = 0;
                for i in 0..N {
                    let word = u64::from_le_bytes(
                        window[i * 8..i * 8 + 8].try_into().expect("eight bytes"),
                    );
                    differ |= (word & self.masks[i]) ^ self.words[i];
                }
                differ == 0
            }
            _ => text.starts_with(whole),
        }
    }
}

/// Kinds of object whose keys are remembered (a slot beyond them is simply not remembered).
pub const KEY_SLOTS: usize = 6;

/// Keys remembered per kind of object (a user object has 17).
const KEYS_KEPT: usize = 32;

/// What may follow a number's digits in JSON without being part of it.
fn ends_number(b: u8) -> bool {
    !matches!(b, b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-')
}

impl<'a> Scan<'a> {
    pub fn new(text: &'a str) -> Self {
        Scan {
            text,
            pos: 0,
            depth: 0,
            unicode_escapes: 0,
            keys: Default::default(),
        }
    }

    /// Where the cursor is (after any white space it has stepped over).
    pub fn pos(&self) -> usize {
        self.pos
    }

    /// How many `\uXXXX` escapes the cursor has stepped over.
    pub fn unicode_escapes(&self) -> u32 {
        self.unicode_escapes
    }

    /// The text from `start` (an earlier [`Scan::pos`]) to the cursor.
    pub fn text_since(&self, start: usize) -> &'a str {
        &self.text[start..self.pos]
    }

    fn bytes(&self) -> &'a [u8] {
        self.text.as_bytes()
    }

    // Compact JSON has no white space between tokens, and this runs about four times per field: the common
    // case is decided by one comparison, inlined (issue 14).
    #[inline(always)]
    fn ws(&mut self) {
        let bytes = self.bytes();
        if bytes.get(self.pos).is_some_and(|&b| b > b' ') {
            return;
        }
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = bytes.get(self.pos) {
            self.pos += 1;
        }
    }

    /// The next byte that is not white space, not consumed.
    #[inline(always)]
    pub fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.bytes().get(self.pos).copied()
    }

    fn eat(&mut self, want: u8) -> Option<()> {
        (self.peek()? == want).then(|| self.pos += 1)
    }

    /// Only white space is left.
    pub fn at_end(&mut self) -> bool {
        self.peek().is_none()
    }

    /// A string, at its opening quote: its text between the quotes, and whether it holds an escape (whose
    /// form is checked, not decoded). Control characters are refused, as JSON requires.
    // Inlined into each caller: a call cost about as much as a short key's scan (issue 14: −6 % of all
    // instructions, docs/performance.md).
    #[inline(always)]
    fn string(&mut self) -> Option<(&'a str, bool)> {
        let bytes = self.bytes();
        if bytes.get(self.pos) != Some(&b'"') {
            return None;
        }
        let start = self.pos + 1;
        let mut i = start;
        let mut escaped = false;
        loop {
            i = plain_run(bytes, i);
            match *bytes.get(i)? {
                b'"' => break,
                b'\\' => {
                    escaped = true;
                    match *bytes.get(i + 1)? {
                        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => i += 2,
                        b'u' => {
                            let hex = bytes.get(i + 2..i + 6)?;
                            if !hex.iter().all(u8::is_ascii_hexdigit) {
                                return None;
                            }
                            self.unicode_escapes = self.unicode_escapes.saturating_add(1);
                            i += 6;
                        }
                        _ => return None,
                    }
                }
                // A control character.
                _ => return None,
            }
        }
        self.pos = i + 1;
        Some((&self.text[start..i], escaped))
    }

    /// A number in JSON's grammar (`-`, no leading zero, fraction, exponent), not converted.
    fn number(&mut self) -> Option<()> {
        let bytes = self.bytes();
        let mut i = self.pos;
        let digits = |i: &mut usize| {
            let from = *i;
            while bytes.get(*i).is_some_and(u8::is_ascii_digit) {
                *i += 1;
            }
            *i > from
        };
        if bytes.get(i) == Some(&b'-') {
            i += 1;
        }
        match bytes.get(i)? {
            b'0' => i += 1,
            b'1'..=b'9' => {
                digits(&mut i);
            }
            _ => return None,
        }
        if bytes.get(i) == Some(&b'.') {
            i += 1;
            if !digits(&mut i) {
                return None;
            }
        }
        if let Some(b'e' | b'E') = bytes.get(i) {
            i += 1;
            if let Some(b'+' | b'-') = bytes.get(i) {
                i += 1;
            }
            if !digits(&mut i) {
                return None;
            }
        }
        if !bytes.get(i).is_none_or(|&b| ends_number(b)) {
            return None;
        }
        self.pos = i;
        Some(())
    }

    fn literal(&mut self, word: &[u8]) -> Option<()> {
        let end = self.pos + word.len();
        (self.bytes().get(self.pos..end)? == word).then(|| self.pos = end)
    }

    /// Steps over any value, checking its syntax.
    pub fn skip(&mut self) -> Option<()> {
        match self.peek()? {
            b'"' => self.string().map(drop),
            b'{' => self.object(|s, _| s.skip()),
            b'[' => self.list(|s| s.skip()),
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            _ => self.number(),
        }
    }

    /// Steps over any value and gives its text.
    pub fn value(&mut self) -> Option<&'a str> {
        self.ws();
        let start = self.pos;
        self.skip()?;
        Some(&self.text[start..self.pos])
    }

    /// A string without escapes, as it stands in the text; `None` (nothing consumed) for any other value.
    // Inlined: called for every string value read (six an event), where the call cost a fifth of it.
    #[inline(always)]
    pub fn plain_str(&mut self) -> Option<&'a str> {
        if self.peek()? != b'"' {
            return None;
        }
        let at = self.pos;
        match self.string()? {
            (text, false) => Some(text),
            (_, true) => {
                self.pos = at;
                None
            }
        }
    }

    /// `true` or `false`; `None` (nothing consumed) for any other value.
    pub fn bool(&mut self) -> Option<bool> {
        match self.peek()? {
            b't' => self.literal(b"true").map(|()| true),
            b'f' => self.literal(b"false").map(|()| false),
            _ => None,
        }
    }

    /// `null`; `false` (nothing consumed) for any other value.
    pub fn null(&mut self) -> bool {
        self.peek() == Some(b'n') && self.literal(b"null").is_some()
    }

    /// A whole number of at most 19 digits (so within `u64`) written plainly; `None` (nothing consumed) for
    /// any other value.
    pub fn small_whole(&mut self) -> Option<u64> {
        self.ws();
        let bytes = self.bytes();
        let start = self.pos;
        let mut i = start;
        let mut n: u64 = 0;
        while let Some(&b @ b'0'..=b'9') = bytes.get(i) {
            if i - start == 19 {
                return None;
            }
            n = n * 10 + u64::from(b - b'0');
            i += 1;
        }
        let plain = i > start
            && (bytes[start] != b'0' || i == start + 1)
            && bytes.get(i).is_none_or(|&b| ends_number(b));
        plain.then(|| {
            self.pos = i;
            n
        })
    }

    /// An object: `each` is called with every key (which must have no escape) and must read its value.
    pub fn object(&mut self, mut each: impl FnMut(&mut Self, &'a str) -> Option<()>) -> Option<()> {
        self.sequence(b'{', b'}', |s| {
            s.ws();
            let key = s.key()?;
            s.eat(b':')?;
            each(s, key)
        })
    }

    /// An object whose keys are read by its caller: `each` is called with the entry's index and must read the
    /// key (with [`Scan::recall`] or [`Scan::key`]), the colon and the value.
    pub fn entries(&mut self, mut each: impl FnMut(&mut Self, usize) -> Option<()>) -> Option<()> {
        let mut i = 0;
        self.sequence(b'{', b'}', |s| {
            s.ws();
            each(s, i)?;
            i += 1;
            Some(())
        })
    }

    /// The key at the cursor if it is the one the last object of kind `slot` had at `index`, spelled the same
    /// (so it holds no escape), then consumed: what the caller made of it then. Real replies repeat one key
    /// order, so most keys are known by one comparison, neither scanned nor looked up.
    #[inline(always)]
    pub fn recall(&mut self, slot: usize, index: usize) -> Option<Option<u32>> {
        let key = self.keys.get(slot)?.get(index)?;
        let text = self.bytes().get(self.pos..)?;
        key.key.starts(key.quoted, text).then(|| {
            self.pos += key.quoted.len();
            key.made
        })
    }

    /// Steps over the whole entry at the cursor (key, colon and value) when it is the skipped one the last
    /// object of kind `slot` had at `index` ([`Scan::remember_skipped`]), spelled the same and followed by the
    /// entry's end: `true` then. A user object's unused flags and tags are mostly the same from one event to the
    /// next, and are neither scanned nor checked again (issue 14). An entry that is not the same is forgotten,
    /// and its place waits [`QUIET_OBJECTS`] objects before one is noted there again.
    #[inline(always)]
    pub fn recall_skipped(&mut self, slot: usize, index: usize) -> bool {
        let text = self.bytes().get(self.pos..).unwrap_or_default();
        let Some(key) = self.keys.get_mut(slot).and_then(|keys| keys.get_mut(index)) else {
            return false;
        };
        let entry = key.entry;
        if entry.is_empty() {
            return false;
        }
        // The same bytes, ended where they ended then: a number must not go on (`1` against `12`).
        let same = key.entry_window.starts(entry, text)
            && matches!(
                text.get(entry.len()),
                Some(b',' | b'}' | b' ' | b'\n' | b'\r' | b'\t')
            );
        if same {
            self.pos += entry.len();
        } else {
            key.entry = &[];
            key.quiet = QUIET_OBJECTS;
        }
        same
    }

    /// Notes that the entry from `from` (its key's opening quote) to the cursor was skipped by the caller of the
    /// object of kind `slot`, at `index`, where its key is remembered. Only an entry whose value is a scalar
    /// without a `\u` escape (which would be counted) and of at most 32 bytes is kept: the same bytes again
    /// are the same valid entry, at any depth. A place whose entry was not the same last time waits
    /// [`QUIET_OBJECTS`] objects first.
    pub fn remember_skipped(
        &mut self,
        slot: usize,
        index: usize,
        from: usize,
        escapes_before: u32,
    ) {
        let text = self.text.as_bytes();
        let len = self.pos - from;
        let Some(key) = self.keys.get_mut(slot).and_then(|keys| keys.get_mut(index)) else {
            return;
        };
        if key.quiet > 0 {
            key.quiet -= 1;
            return;
        }
        let Some(window) = text.get(from..from + 32) else {
            return;
        };
        let keep = key.made.is_none()
            && len <= 32
            && self.unicode_escapes == escapes_before
            && !matches!(text[self.pos - 1], b'}' | b']');
        if keep {
            debug_assert!(window.starts_with(key.quoted));
            key.entry = &window[..len];
            key.entry_window = Window::of_window(window, len);
        }
    }

    /// A key (a string without escapes) at the cursor.
    #[inline(always)]
    pub fn key(&mut self) -> Option<&'a str> {
        match self.string()? {
            (key, false) => Some(key),
            (_, true) => None,
        }
    }

    /// Notes that the object of kind `slot` had, at `index`, the key read by [`Scan::key`] from `from` (an
    /// earlier [`Scan::pos`]) to the cursor, and what the caller made of it.
    pub fn remember(&mut self, slot: usize, index: usize, from: usize, made: Option<u32>) {
        let text = self.text.as_bytes();
        let (Some(quoted), Some(keys)) = (text.get(from..self.pos), self.keys.get_mut(slot)) else {
            return;
        };
        // Replaced in place: when one key differs, the ones after it may still be where they were.
        let key = Remembered::new(quoted, made);
        let kept = keys.len();
        match keys.get_mut(index) {
            Some(slot) => *slot = key,
            None if index == kept && index < KEYS_KEPT => keys.push(key),
            None => {}
        }
    }

    /// The colon after a key.
    pub fn colon(&mut self) -> Option<()> {
        self.eat(b':')
    }

    /// A list: `each` is called for every item and must read it.
    pub fn list(&mut self, each: impl FnMut(&mut Self) -> Option<()>) -> Option<()> {
        self.sequence(b'[', b']', each)
    }

    /// `open`, then entries separated by commas (each read by `each`), then `close`.
    fn sequence(
        &mut self,
        open: u8,
        close: u8,
        mut each: impl FnMut(&mut Self) -> Option<()>,
    ) -> Option<()> {
        self.eat(open)?;
        self.enter()?;
        if self.peek()? == close {
            self.pos += 1;
        } else {
            loop {
                each(self)?;
                match self.peek()? {
                    b',' => self.pos += 1,
                    b if b == close => {
                        self.pos += 1;
                        break;
                    }
                    _ => return None,
                }
            }
        }
        self.depth -= 1;
        Some(())
    }

    fn enter(&mut self) -> Option<()> {
        self.depth += 1;
        (self.depth <= MAX_DEPTH).then_some(())
    }
}

/// The end of a run of string bytes that need no look: not a quote, a backslash or a control character.
/// Eight bytes at a time where it can.
fn plain_run(bytes: &[u8], mut i: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    while let Some(chunk) = bytes.get(i..i + 8) {
        let v = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
        let quote = v ^ (ONES * u64::from(b'"'));
        let slash = v ^ (ONES * u64::from(b'\\'));
        // A byte is flagged when it is zero in `quote` or `slash`, or below 0x20 in `v`. The lowest flag is
        // exact (borrows only run upward), which is all that is read.
        let found = (quote.wrapping_sub(ONES) & !quote)
            | (slash.wrapping_sub(ONES) & !slash)
            | (v.wrapping_sub(ONES * 0x20) & !v);
        let found = found & HIGH;
        if found != 0 {
            return i + (found.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while bytes
        .get(i)
        .is_some_and(|&b| b >= 0x20 && b != b'"' && b != b'\\')
    {
        i += 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    fn skips(text: &str) -> bool {
        let mut s = Scan::new(text);
        s.skip().is_some() && s.at_end()
    }

    #[test]
    fn takes_only_what_serde_json_takes() {
        let cases = [
            r#"{"a":[1,-0.5e+3,true,false,null,"x\"\\\/\b\f\n\r\t\u00e9y"],"b":{}}"#,
            " [ ] ",
            "0",
            "-1",
            "1E9",
            "\"🎉 long enough to use the eight byte steps 🎉\"",
            "01",
            "1.",
            ".5",
            "-",
            "1e",
            "+1",
            "tru",
            "nul",
            "[1,]",
            "{\"a\":1,}",
            "{\"a\" 1}",
            "{1:2}",
            "\"\\x\"",
            "\"\\u12g4\"",
            "\"tab\there\"",
            "\"unterminated",
            "[1 2]",
            "{\"a\":1}}",
            "\"ends at eight\u{1}\"",
        ];
        for text in cases {
            let serde = serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok();
            assert_eq!(skips(text), serde, "{text:?}");
        }
    }

    #[test]
    fn string_runs_stop_at_the_first_byte_that_needs_a_look() {
        for len in 0..40 {
            for stop in [b'"', b'\\', 0x1f, 0x00] {
                let mut bytes = vec![b'a'; len];
                bytes.extend_from_slice(&[stop, b'"', b'b']);
                assert_eq!(plain_run(&bytes, 0), len, "{len} {stop}");
            }
            // Bytes above ASCII and just above the control range never stop it.
            let bytes = "é ~".repeat(len);
            assert_eq!(plain_run(bytes.as_bytes(), 0), bytes.len());
        }
    }

    #[test]
    fn remembered_keys_are_known_only_when_spelled_the_same() {
        // Objects of one kind read in turn, each key noted with its length (what a caller would make of it):
        // what each object gave, and how many of its keys had to be scanned.
        fn read_all(texts: &[&str]) -> Option<Vec<(Vec<Option<u32>>, usize)>> {
            let list = format!("[{}]", texts.join(","));
            let mut s = Scan::new(&list);
            let mut out = Vec::new();
            s.list(|s| {
                let (mut got, mut scanned) = (Vec::new(), 0);
                s.entries(|s, i| {
                    let made = match s.recall(0, i) {
                        Some(made) => made,
                        None => {
                            scanned += 1;
                            let from = s.pos();
                            let made = Some(s.key()?.len() as u32);
                            s.remember(0, i, from, made);
                            made
                        }
                    };
                    got.push(made);
                    s.colon()?;
                    s.skip()
                })?;
                out.push((got, scanned));
                Some(())
            })?;
            Some(out)
        }
        let long = "a_key_longer_than_sixteen_bytes";
        let first = format!(r#"{{"isMod":1,"b":2,"{long}":3}}"#);
        let got = read_all(&[
            &first,
            &first,
            // A longer key that starts with a remembered one, a shorter one, another order.
            r#"{"isModerator":1,"b":2}"#,
            r#"{"isMo":1,"b":2}"#,
            r#"{"b":1,"isMo":2}"#,
        ])
        .expect("valid");
        let len = Some(long.len() as u32);
        assert_eq!(got[0], (vec![Some(5), Some(1), len], 3));
        assert_eq!(got[1], (vec![Some(5), Some(1), len], 0));
        assert_eq!(got[2], (vec![Some(11), Some(1)], 1));
        assert_eq!(got[3], (vec![Some(4), Some(1)], 1));
        assert_eq!(got[4], (vec![Some(1), Some(4)], 2));
        // An escaped spelling of a remembered key is never taken for it (and a key with an escape is refused).
        assert_eq!(read_all(&[r#"{"b":1}"#, r#"{"\u0062":1}"#]), None);
        // Near the end of the text (less than sixteen bytes left) the comparison holds as well, both ways.
        let tail = read_all(&[r#"{"k":1}"#, r#"{"k":2}"#, r#"{"kk":3}"#, r#"{"kk":4}"#]);
        assert_eq!(
            tail,
            Some(vec![
                (vec![Some(1)], 1),
                (vec![Some(1)], 0),
                (vec![Some(2)], 1),
                (vec![Some(2)], 0)
            ])
        );
    }

    #[test]
    fn skipped_entries_are_stepped_over_whole_only_when_spelled_the_same() {
        // Objects of one kind read in turn, each key skipped: how many of each one's entries were stepped over
        // whole, and the `\u` escapes counted in all.
        fn read_all(texts: &[&str]) -> Option<(Vec<usize>, u32)> {
            // A last string item leaves room after every entry for the 32-byte window.
            let pad = r#""a last item, so that thirty-two bytes follow any entry""#;
            let list = format!("[{},{pad}]", texts.join(","));
            let mut s = Scan::new(&list);
            let mut whole = Vec::new();
            s.list(|s| {
                if s.peek()? == b'"' {
                    return s.skip();
                }
                let mut n = 0;
                s.entries(|s, i| {
                    if s.recall_skipped(0, i) {
                        n += 1;
                        return Some(());
                    }
                    let from = s.pos();
                    if s.recall(0, i).is_none() {
                        s.key()?;
                        s.remember(0, i, from, None);
                    }
                    s.colon()?;
                    let escapes = s.unicode_escapes();
                    s.skip()?;
                    s.remember_skipped(0, i, from, escapes);
                    Some(())
                })?;
                whole.push(n);
                Some(())
            })?;
            Some((whole, s.unicode_escapes()))
        }
        let first = r#"{"a":false,"b":"m","c":12,"d":null}"#;
        // The same again; another string; a number that goes on; spacing.
        let others = [
            r#"{"a":false,"b":"f","c":123,"d":null}"#,
            r#"{"a":false,"b":"f","c":12 ,"d":null}"#,
        ];
        let got = read_all(&[first, first, others[0], others[1]]);
        assert_eq!(got, Some((vec![0, 4, 2, 2], 0)));
        // An entry that was not the same is not remembered in that object and the next QUIET_OBJECTS − 1
        // (nothing is stepped over at its place, though its value stays the same), then it is again.
        let quiet = usize::from(QUIET_OBJECTS);
        let mut texts = vec![first, others[0]];
        texts.extend(std::iter::repeat_n(others[1], quiet + 1));
        let (whole, _) = read_all(&texts).expect("read");
        assert_eq!(whole[1..quiet + 2], vec![2; quiet + 1][..], "{whole:?}");
        assert_eq!(whole[quiet + 2], 4, "{whole:?}");
        // A `\u` escape is counted every time; another escape is stepped over; a list or object never is.
        let escaped = r#"{"e":"\u00e9","q":"a\"b","n":[1],"o":{}}"#;
        assert_eq!(
            read_all(&[escaped, escaped, escaped]),
            Some((vec![0, 1, 1], 3))
        );
        // What follows a known entry is still checked.
        assert_eq!(read_all(&[first, r#"{"a":falsey}"#]), None);
        assert_eq!(read_all(&[first, r#"{"a":false "b":"m"}"#]), None);
    }

    #[test]
    fn too_deep_is_left_to_serde() {
        let deep = format!("{}{}", "[".repeat(65), "]".repeat(65));
        assert!(!skips(&deep));
        let fine = format!("{}{}", "[".repeat(64), "]".repeat(64));
        assert!(skips(&fine));
    }

    #[test]
    fn small_wholes_are_plain_digits_within_u64() {
        let read = |t: &str| Scan::new(t).small_whole();
        assert_eq!(read("25"), Some(25));
        assert_eq!(read("0"), Some(0));
        assert_eq!(read("9999999999999999999"), Some(9_999_999_999_999_999_999));
        for other in [
            "01",
            "25.0",
            "1e3",
            "-1",
            "18446744073709551616",
            "\"5\"",
            "",
        ] {
            assert_eq!(read(other), None, "{other}");
        }
    }
}

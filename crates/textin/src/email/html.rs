//! HTML e-mail bodies as text with their layout.
//!
//! Not a browser: a tag scanner that keeps what an order needs. Blocks and
//! `<br>` become line breaks; a table becomes aligned columns (cells of a
//! row on one line, at least two spaces apart, every cell of a column
//! starting at the same place, as `pdftotext -layout` prints a table), so
//! the text extractor reads an HTML line table like a PDF one; nested
//! tables are laid out inside their cell. `<blockquote>` lines get a `> `
//! per level, so a quoted reply is set apart as in a plain-text one.
//! Scripts, styles and the head are dropped; entities are decoded.

/// A column wider than this does not push the next column further right:
/// a long description cell only moves its own row's next cell.
const MAX_ALIGNED_WIDTH: usize = 40;

/// `html` as text.
pub(crate) fn html_to_text(html: &str) -> String {
    let mut builder = Builder::default();
    let mut rest = html;
    while !rest.is_empty() {
        match rest.find('<') {
            None => {
                builder.text(rest);
                break;
            }
            Some(at) => {
                builder.text(&rest[..at]);
                rest = builder.markup(&rest[at..]);
            }
        }
    }
    builder.finish()
}

/// A table being read: its rows, each a list of cells.
#[derive(Debug, Default)]
struct Table {
    rows: Vec<Vec<Lines>>,
}

/// Lines of text, the last one being written; a line's quote depth is the
/// `<blockquote>` depth where its first text was written.
#[derive(Debug, Default)]
struct Lines {
    lines: Vec<(usize, String)>,
}

impl Lines {
    fn current(&mut self) -> &mut (usize, String) {
        if self.lines.is_empty() {
            self.lines.push((0, String::new()));
        }
        let last = self.lines.len() - 1;
        &mut self.lines[last]
    }

    /// Ends the current line unless it is empty (block boundaries).
    fn break_line(&mut self) {
        if self.lines.last().is_some_and(|(_, line)| !line.trim().is_empty()) {
            self.lines.push((0, String::new()));
        }
    }

    /// Ends the current line even when empty (`<br>`).
    fn hard_break(&mut self) {
        self.current();
        self.lines.push((0, String::new()));
    }

    fn push_text(&mut self, text: &str, depth: usize, pre: bool) {
        if pre {
            for (i, part) in text.split('\n').enumerate() {
                if i > 0 {
                    self.lines.push((depth, String::new()));
                }
                self.start(depth).push_str(part);
            }
            return;
        }
        let line = self.start(depth);
        for word_or_space in split_spaces(text) {
            match word_or_space {
                None if line.is_empty() || line.ends_with(' ') => {}
                None => line.push(' '),
                Some(word) => line.push_str(word),
            }
        }
    }

    /// The current line, its depth set when nothing is written on it yet.
    fn start(&mut self, depth: usize) -> &mut String {
        let (line_depth, line) = self.current();
        if line.is_empty() {
            *line_depth = depth;
        }
        line
    }

    /// The lines, right-trimmed, at most one blank line in a row, none at
    /// either end.
    fn into_trimmed(self) -> Vec<(usize, String)> {
        let mut out: Vec<(usize, String)> = Vec::new();
        for (depth, line) in self.lines {
            let line = line.trim_end().to_owned();
            let blank = line.trim().is_empty();
            if blank && out.last().is_none_or(|(_, last)| last.is_empty()) {
                continue;
            }
            out.push((depth, if blank { String::new() } else { line }));
        }
        while out.last().is_some_and(|(_, line)| line.is_empty()) {
            out.pop();
        }
        out
    }
}

/// Runs of whitespace (`None`) and words (`Some`).
fn split_spaces(text: &str) -> impl Iterator<Item = Option<&str>> {
    let is_space = |c: char| c.is_whitespace() || c == '\u{a0}';
    let mut rest = text;
    std::iter::from_fn(move || {
        let first = rest.chars().next()?;
        let end = rest.find(|c: char| is_space(c) != is_space(first)).unwrap_or(rest.len());
        let (piece, tail) = rest.split_at(end);
        rest = tail;
        Some(if is_space(first) { None } else { Some(piece) })
    })
}

#[derive(Debug, Default)]
struct Builder {
    top: Lines,
    tables: Vec<Table>,
    quote_depth: usize,
    pre: bool,
}

impl Builder {
    /// Where text goes now: the open cell of the innermost table, else the
    /// top level.
    fn sink(&mut self) -> &mut Lines {
        let Some(table) = self.tables.last_mut() else { return &mut self.top };
        if table.rows.is_empty() {
            table.rows.push(Vec::new());
        }
        let last_row = table.rows.len() - 1;
        let row = &mut table.rows[last_row];
        if row.is_empty() {
            row.push(Lines::default());
        }
        let last_cell = row.len() - 1;
        &mut row[last_cell]
    }

    fn text(&mut self, raw: &str) {
        if raw.is_empty() {
            return;
        }
        let text = decode_entities(raw);
        let (depth, pre) = (self.quote_depth, self.pre);
        if !pre && text.trim().is_empty() && self.tables.last().is_some_and(|t| t.rows.last().is_none_or(Vec::is_empty))
        {
            // Whitespace between <table>, <tr> and <td> tags is not a cell.
            return;
        }
        self.sink().push_text(&text, depth, pre);
    }

    /// Reads the markup at the start of `input` (which starts with `<`) and
    /// returns what follows it.
    fn markup<'a>(&mut self, input: &'a str) -> &'a str {
        if let Some(comment) = input.strip_prefix("<!--") {
            return comment.find("-->").map_or("", |end| &comment[end + 3..]);
        }
        let Some(tag) = Tag::parse(input) else {
            // A `<` that starts no tag ("qty < 5") is text.
            self.text("<");
            return &input[1..];
        };
        let rest = &input[tag.length..];
        if !tag.closing && matches!(tag.name.as_str(), "script" | "style" | "head" | "title") {
            return skip_element(rest, &tag.name);
        }
        self.element(&tag);
        rest
    }

    fn element(&mut self, tag: &Tag) {
        match (tag.name.as_str(), tag.closing) {
            ("br", _) => self.sink().hard_break(),
            ("table", false) => {
                self.sink().break_line();
                self.tables.push(Table::default());
            }
            ("table", true) => self.close_table(),
            ("tr", false) => {
                if let Some(table) = self.tables.last_mut() {
                    table.rows.push(Vec::new());
                }
            }
            ("td" | "th", false) => {
                if let Some(table) = self.tables.last_mut() {
                    if table.rows.is_empty() {
                        table.rows.push(Vec::new());
                    }
                    if let Some(row) = table.rows.last_mut() {
                        row.push(Lines::default());
                    }
                }
            }
            ("blockquote", closing) => {
                self.sink().break_line();
                self.quote_depth = if closing { self.quote_depth.saturating_sub(1) } else { self.quote_depth + 1 };
            }
            ("pre", closing) => {
                self.sink().break_line();
                self.pre = !closing;
            }
            ("li", false) => {
                self.sink().break_line();
                let depth = self.quote_depth;
                self.sink().push_text("- ", depth, true);
            }
            (name, _) if is_block(name) => self.sink().break_line(),
            _ => {}
        }
    }

    /// Lays the innermost table out and writes it where it stands.
    fn close_table(&mut self) {
        let Some(table) = self.tables.pop() else { return };
        let depth = self.quote_depth;
        let lines = layout_table(table);
        let sink = self.sink();
        sink.break_line();
        for line in lines {
            sink.push_text(&line, depth, true);
            sink.hard_break();
        }
    }

    fn finish(mut self) -> String {
        while !self.tables.is_empty() {
            self.close_table();
        }
        let mut text = String::new();
        for (depth, line) in self.top.into_trimmed() {
            if !line.is_empty() {
                text.push_str(&"> ".repeat(depth));
            }
            text.push_str(&line);
            text.push('\n');
        }
        text
    }
}

fn is_block(name: &str) -> bool {
    matches!(
        name,
        "p" | "div"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "ul"
            | "ol"
            | "li"
            | "dl"
            | "dt"
            | "dd"
            | "hr"
            | "address"
            | "section"
            | "article"
            | "header"
            | "footer"
            | "center"
            | "tr"
            | "caption"
            | "tbody"
            | "thead"
            | "tfoot"
    )
}

/// A table's rows as lines: each column starts at the same place (the
/// widest cell of the column, up to [`MAX_ALIGNED_WIDTH`], plus two
/// spaces); a cell of several lines makes its row several lines high. A row
/// with one filled cell (a layout table) is written as it is.
fn layout_table(table: Table) -> Vec<String> {
    let rows: Vec<Vec<Vec<String>>> = table
        .rows
        .into_iter()
        .map(|row| row.into_iter().map(|cell| cell.into_trimmed().into_iter().map(|(_, l)| l).collect()).collect())
        .filter(|row: &Vec<Vec<String>>| row.iter().any(|cell| !cell.is_empty()))
        .collect();
    let filled = |row: &Vec<Vec<String>>| row.iter().filter(|cell| !cell.is_empty()).count();
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut widths = vec![0usize; columns];
    for row in rows.iter().filter(|row| filled(row) >= 2) {
        for (column, cell) in row.iter().enumerate() {
            let widest = cell.iter().map(|line| line.chars().count()).max().unwrap_or(0);
            widths[column] = widths[column].max(widest.min(MAX_ALIGNED_WIDTH));
        }
    }
    let starts: Vec<usize> =
        widths.iter().scan(0, |start, width| Some(std::mem::replace(start, *start + width + 2))).collect();
    let mut lines = Vec::new();
    for row in rows {
        if filled(&row) == 1 {
            lines.extend(row.into_iter().flatten());
            continue;
        }
        let height = row.iter().map(Vec::len).max().unwrap_or(0);
        for index in 0..height {
            let mut line = String::new();
            for (column, cell) in row.iter().enumerate() {
                let text = cell.get(index).map_or("", String::as_str);
                if text.is_empty() {
                    continue;
                }
                let length = line.chars().count();
                let start = starts.get(column).copied().unwrap_or(0);
                let spaces = if length == 0 { start } else { start.saturating_sub(length).max(2) };
                line.extend(std::iter::repeat_n(' ', spaces));
                line.push_str(text);
            }
            lines.push(line);
        }
    }
    lines
}

/// A start or end tag.
#[derive(Debug)]
struct Tag {
    name: String,
    closing: bool,
    /// Bytes from `<` to `>` inclusive.
    length: usize,
}

impl Tag {
    /// The tag at the start of `input`; `None` when `<` starts no tag. A
    /// tag with no `>` runs to the end of the input.
    fn parse(input: &str) -> Option<Tag> {
        let after = input.get(1..)?;
        let (closing, after) = match after.strip_prefix('/') {
            Some(rest) => (true, rest),
            None => (false, after),
        };
        let declaration = after.starts_with('!') || after.starts_with('?');
        let name: String = after.chars().take_while(char::is_ascii_alphanumeric).collect();
        if name.is_empty() && !declaration {
            return None;
        }
        let length = tag_end(input).unwrap_or(input.len());
        Some(Tag { name: name.to_ascii_lowercase(), closing, length })
    }
}

/// The byte just after the `>` that closes the tag at the start of
/// `input`, skipping `>` inside quoted attribute values.
fn tag_end(input: &str) -> Option<usize> {
    let mut quote: Option<char> = None;
    for (at, c) in input.char_indices().skip(1) {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '>') => return Some(at + 1),
            _ => {}
        }
    }
    None
}

/// What follows the end tag of `name` (the element's content is dropped);
/// the rest of the input when it is never closed.
fn skip_element<'a>(rest: &'a str, name: &str) -> &'a str {
    let lower = rest.to_ascii_lowercase();
    let close = format!("</{name}");
    let Some(at) = lower.find(&close) else { return "" };
    let after = &rest[at..];
    tag_end(after).map_or("", |end| &after[end..])
}

/// Character references decoded: numeric ones, and the named ones seen in
/// business e-mail. An unknown or broken one is kept as written.
pub(crate) fn decode_entities(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let end = rest.char_indices().take(12).find(|(_, c)| *c == ';').map(|(i, _)| i);
        match end.and_then(|end| entity(&rest[1..end]).map(|c| (c, end))) {
            Some((c, end)) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn entity(name: &str) -> Option<char> {
    if let Some(number) = name.strip_prefix('#') {
        let code = match number.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => number.parse().ok()?,
        };
        return char::from_u32(code).filter(|c| *c != '\0');
    }
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => '\u{a0}',
        "euro" => '€',
        "pound" => '£',
        "yen" => '¥',
        "cent" => '¢',
        "copy" => '©',
        "reg" => '®',
        "trade" => '™',
        "deg" => '°',
        "times" => '×',
        "divide" => '÷',
        "plusmn" => '±',
        "frac12" => '½',
        "frac14" => '¼',
        "frac34" => '¾',
        "sup2" => '²',
        "micro" => 'µ',
        "middot" => '·',
        "bull" => '•',
        "hellip" => '…',
        "ndash" => '–',
        "mdash" => '—',
        "lsquo" => '‘',
        "rsquo" => '’',
        "ldquo" => '“',
        "rdquo" => '”',
        "laquo" => '«',
        "raquo" => '»',
        "sect" => '§',
        "para" => '¶',
        "auml" => 'ä',
        "ouml" => 'ö',
        "uuml" => 'ü',
        "Auml" => 'Ä',
        "Ouml" => 'Ö',
        "Uuml" => 'Ü',
        "szlig" => 'ß',
        "eacute" => 'é',
        "egrave" => 'è',
        "Eacute" => 'É',
        "agrave" => 'à',
        "ccedil" => 'ç',
        "ntilde" => 'ñ',
        "oslash" => 'ø',
        "aring" => 'å',
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_and_breaks_are_lines() {
        let html = "<html><head><title>x</title><style>p {color: red}</style></head><body>\
            <p>Hello&nbsp;team,</p><div>please   ship<br>the&nbsp;order</div><script>var a = '<p>';</script>\
            <p>Thanks &amp; regards<br><br>Ann</p></body></html>";
        assert_eq!(html_to_text(html), "Hello team,\nplease ship\nthe order\nThanks & regards\n\nAnn\n");
    }

    #[test]
    fn a_table_reads_as_columns() {
        let html = "<table>\n<tr><th>Item</th><th>Description</th><th>Qty</th></tr>\n\
            <tr><td>MM4-4010</td><td>Micro-Motor #4</td><td>89</td></tr>\n\
            <tr><td>SH-L2216</td><td>Housing</td><td>11</td></tr></table>";
        assert_eq!(
            html_to_text(html),
            "Item      Description     Qty\nMM4-4010  Micro-Motor #4  89\nSH-L2216  Housing         11\n"
        );
    }

    #[test]
    fn a_layout_table_around_the_message_keeps_its_lines() {
        let html = "<table><tr><td>PO 4711<br>Ship to: Plant 2</td></tr><tr><td></td></tr></table><p>Bye</p>";
        assert_eq!(html_to_text(html), "PO 4711\nShip to: Plant 2\nBye\n");
    }

    #[test]
    fn a_blockquote_is_quoted() {
        let html = "<div>Yes, ship it.</div><div class=gmail_quote>On Mon, Ann wrote:<blockquote>Can you <b>ship</b>?</blockquote></div>";
        assert_eq!(html_to_text(html), "Yes, ship it.\nOn Mon, Ann wrote:\n> Can you ship?\n");
    }

    #[test]
    fn entities_and_stray_brackets() {
        assert_eq!(decode_entities("5 &lt; 6 &#8364;5 &#x20AC; &bogus; AT&T &"), "5 < 6 €5 € &bogus; AT&T &");
        assert_eq!(html_to_text("qty < 5 & > 2 <a href=\"x>y\">link</a>"), "qty < 5 & > 2 link\n");
        assert_eq!(html_to_text("<p>unclosed <b"), "unclosed\n");
        assert_eq!(html_to_text("<!-- c --><p>a</p><!-- unclosed"), "a\n");
    }

    #[test]
    fn an_outlook_table_with_paragraphs_in_its_cells() {
        let html = "<table class=MsoNormalTable><tr>\
            <td><p class=MsoNormal><b>Item<o:p></o:p></b></p></td><td><p class=MsoNormal>Qty<o:p></o:p></p></td></tr>\
            <tr><td><p class=MsoNormal>A-100<o:p></o:p></p><p class=MsoNormal>blue<o:p></o:p></p></td>\
            <td><p class=MsoNormal>20<o:p></o:p></p></td></tr>\
            <tr><td><p class=MsoNormal>&nbsp;<o:p></o:p></p></td><td></td></tr></table>";
        assert_eq!(html_to_text(html), "Item   Qty\nA-100  20\nblue\n");
    }

    #[test]
    fn nothing_panics_on_broken_markup() {
        const PIECES: [&str; 16] =
            ["<", ">", "</", "td", "tr", "table", "&", ";", "#x", "é", " ", "\"", "!--", "script", "br", "blockquote"];
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..2_000 {
            let mut html = String::new();
            for _ in 0..(state % 40) {
                state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
                html.push_str(PIECES[(state >> 60) as usize]);
            }
            let _ = html_to_text(&html);
        }
    }
}

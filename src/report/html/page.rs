//! The page itself: escaping, the skeleton with its inline style, the building blocks
//! (headings, paragraphs, tables, figures) and the sections every page opens with (the
//! command, the model, an imported rollout's note).

use std::fmt::Write;

use crate::scenario::Scenario;

/// The page's style: readable without it, nothing fetched.
const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1250px;\
padding:0 1em;color:#222;line-height:1.4}\
h1{font-size:1.6em}h2{margin-top:1.6em;border-bottom:1px solid #ccc}\
table{border-collapse:collapse;margin:.6em 0}\
th,td{border:1px solid #ddd;padding:.2em .6em;text-align:right;font-variant-numeric:tabular-nums}\
th:first-child,td:first-child{text-align:left}th{background:#f3f3f3}\
pre,code{background:#f6f6f6;padding:.1em .3em;font-size:.92em}pre{padding:.6em;white-space:pre-wrap}\
figure{margin:1em 0}figure svg{max-width:100%;height:auto;border:1px solid #eee}\
tr.pass td{background:#e8f5e9}tr.fail td{background:#ffebee}tr.undecided td{background:#f3f3f3}\
table.words td:last-child{text-align:left}.note{background:#fff8e1;border-left:4px solid #ffb300;padding:.4em .8em}";

/// `text` safe as HTML text or an attribute's value.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The command line of `args` (the program's own name first) as a shell would take it
/// back: the program as `rollsim`, each argument quoted when it needs to be.
pub fn command_line(args: &[String]) -> String {
    let quote = |arg: &str| {
        let plain = !arg.is_empty()
            && arg
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_./=:,%+@".contains(c));
        if plain {
            arg.to_string()
        } else {
            format!("'{}'", arg.replace('\'', "'\\''"))
        }
    };
    std::iter::once("rollsim".to_string())
        .chain(args.iter().skip(1).map(|a| quote(a)))
        .collect::<Vec<_>>()
        .join(" ")
}

/// What a rollout imported from another tool's file (`--rollout FILE`) judges and
/// what it could not represent, as `rollsim import` heads its output.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportNote {
    /// The layer it rolls.
    pub layer: String,
    /// The files given.
    pub source: String,
    /// What the file is, e.g. `Argo Rollouts Rollout "checkout" (canary)`.
    pub description: String,
    /// Whether it replaced the model's rollout of the layer (keeping its start and release).
    pub replaced: bool,
    /// `Judged: …. Not judged: ….`
    pub judged: String,
    /// Each field not represented, and what rollsim assumes instead.
    pub not_represented: Vec<String>,
    /// Fields read and left aside.
    pub ignored: Vec<String>,
}

/// A page being built.
pub(crate) struct Page {
    body: String,
}

impl Page {
    /// A page titled `title`, opening with the command that reproduces it, the model
    /// and the notes of imported rollouts.
    pub(crate) fn new(
        title: &str,
        command: &str,
        model: &Scenario,
        imports: &[ImportNote],
    ) -> Page {
        let mut page = Page {
            body: String::new(),
        };
        let _ = writeln!(page.body, "<h1>{}</h1>", escape(title));
        let version = format!("(rollsim {}):", env!("CARGO_PKG_VERSION"));
        page.paragraph("To reproduce this page", &version);
        page.pre(command);
        page.heading("The model");
        let words = crate::report::model_summary::describe(model);
        let mut lines = words.lines();
        if let Some(first) = lines.next() {
            page.paragraph(first, "");
        }
        page.list(lines.map(str::trim));
        for note in imports {
            page.import_note(note);
        }
        page
    }

    /// `text` then `more` as a paragraph.
    pub(crate) fn paragraph(&mut self, text: &str, more: &str) {
        let sep = if more.is_empty() { "" } else { " " };
        let _ = writeln!(self.body, "<p>{}{sep}{}</p>", escape(text), escape(more));
    }

    pub(crate) fn heading(&mut self, text: &str) {
        let _ = writeln!(self.body, "<h2>{}</h2>", escape(text));
    }

    pub(crate) fn subheading(&mut self, text: &str) {
        let _ = writeln!(self.body, "<h3>{}</h3>", escape(text));
    }

    /// `text` as preformatted text (aligned tables, a command).
    pub(crate) fn pre(&mut self, text: &str) {
        let _ = writeln!(self.body, "<pre>{}</pre>", escape(text.trim_end()));
    }

    pub(crate) fn list<'a>(&mut self, items: impl Iterator<Item = &'a str>) {
        self.body.push_str("<ul>\n");
        for item in items {
            let _ = writeln!(self.body, "<li>{}</li>", escape(item));
        }
        self.body.push_str("</ul>\n");
    }

    /// `rows` as a table (the first row its header), each row with its class (`""`:
    /// none); a `words` table aligns its last column left (text, not numbers).
    pub(crate) fn table(&mut self, rows: &[(Vec<String>, &str)], words: bool) {
        self.body.push_str(if words {
            "<table class=\"words\">\n"
        } else {
            "<table>\n"
        });
        for (r, (cells, class)) in rows.iter().enumerate() {
            let tag = if r == 0 { "th" } else { "td" };
            if class.is_empty() {
                self.body.push_str("<tr>");
            } else {
                let _ = write!(self.body, "<tr class=\"{}\">", escape(class));
            }
            for cell in cells {
                let _ = write!(self.body, "<{tag}>{}</{tag}>", escape(cell));
            }
            self.body.push_str("</tr>\n");
        }
        self.body.push_str("</table>\n");
    }

    /// `rows` as a table without row classes.
    pub(crate) fn plain_table(&mut self, rows: &[Vec<String>]) {
        let rows: Vec<(Vec<String>, &str)> = rows.iter().map(|r| (r.clone(), "")).collect();
        self.table(&rows, false);
    }

    /// A figure: `svg` (an `<svg>` element drawn by [`crate::report::plot`], its text
    /// escaped there) with a caption.
    pub(crate) fn figure(&mut self, svg: &str, caption: &str) {
        let _ = writeln!(
            self.body,
            "<figure>\n{}\n<figcaption>{}</figcaption>\n</figure>",
            svg.trim(),
            escape(caption)
        );
    }

    fn import_note(&mut self, note: &ImportNote) {
        self.body.push_str("<div class=\"note\">\n");
        self.paragraph(
            &format!(
                "The rollout of {} is imported from {}: {}{}.",
                note.layer,
                note.source,
                note.description,
                if note.replaced {
                    " (the model's start and release kept)"
                } else {
                    ""
                }
            ),
            &note.judged,
        );
        if !note.not_represented.is_empty() {
            self.paragraph("Not represented, and what rollsim assumes instead:", "");
            self.list(note.not_represented.iter().map(String::as_str));
        }
        if !note.ignored.is_empty() {
            self.paragraph(
                "Ignored (names and plumbing that change nothing rollsim simulates):",
                &note.ignored.join(", "),
            );
        }
        self.body.push_str("</div>\n");
    }

    /// The whole page.
    pub(crate) fn finish(self, title: &str) -> String {
        format!(
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n{}</body>\n</html>\n",
            escape(title),
            self.body
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped() {
        assert_eq!(
            escape("<script>alert('x') & \"y\"</script>"),
            "&lt;script&gt;alert(&#39;x&#39;) &amp; &quot;y&quot;&lt;/script&gt;"
        );
    }

    #[test]
    fn the_command_line_quotes_what_a_shell_would_split() {
        let args: Vec<String> = [
            "/x/target/release/rollsim",
            "run",
            "my model.toml",
            "--set",
            "rollout.red_black.bake=2h",
            "--set",
            "name=it's",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert_eq!(
            command_line(&args),
            "rollsim run 'my model.toml' --set rollout.red_black.bake=2h --set 'name=it'\\''s'"
        );
    }
}

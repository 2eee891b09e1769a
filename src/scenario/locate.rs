//! Finding where a field sits in a TOML source, so errors can name line and column.

use toml::de::{DeTable, DeValue};

/// One step of a field path: a table key or an array index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Segment {
    Key(String),
    Index(usize),
}

/// `layers.middle.calls[0].layer`.
pub(crate) fn dotted(path: &[Segment]) -> String {
    let mut out = String::new();
    for segment in path {
        match segment {
            Segment::Key(key) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            Segment::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

/// Byte offset of the value at `path` in `source`, or of its deepest existing parent.
pub(crate) fn offset_of(source: &str, path: &[Segment]) -> Option<usize> {
    let root = DeTable::parse(source).ok()?;
    let mut offset = None;
    let mut current: Option<&DeValue<'_>> = None;
    let mut table = Some(root.get_ref());
    for segment in path {
        let next = match (segment, table, current) {
            (Segment::Key(key), Some(t), _) => {
                t.iter().find(|(k, _)| k.get_ref() == key).map(|(k, v)| {
                    offset = Some(k.span().start);
                    v
                })
            }
            (Segment::Index(i), _, Some(DeValue::Array(array))) => array.get(*i).inspect(|v| {
                offset = Some(v.span().start);
            }),
            _ => None,
        };
        let Some(value) = next else { break };
        current = Some(value.get_ref());
        table = match value.get_ref() {
            DeValue::Table(t) => Some(t),
            _ => None,
        };
        if !matches!(value.get_ref(), DeValue::Table(_) | DeValue::Array(_)) {
            offset = Some(value.span().start); // point at a scalar itself, not its key
        }
    }
    offset
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_nested_values() {
        let source = "[layers.edge]\ninstances = 4\ncalls = [{ layer = \"x\" }]\n";
        let path = [
            Segment::Key("layers".into()),
            Segment::Key("edge".into()),
            Segment::Key("instances".into()),
        ];
        let offset = offset_of(source, &path).unwrap();
        assert_eq!(&source[offset..offset + 1], "4");
        let path = [
            Segment::Key("layers".into()),
            Segment::Key("edge".into()),
            Segment::Key("calls".into()),
            Segment::Index(0),
            Segment::Key("layer".into()),
        ];
        let offset = offset_of(source, &path).unwrap();
        assert_eq!(&source[offset..offset + 3], "\"x\"");
        assert_eq!(dotted(&path), "layers.edge.calls[0].layer");
    }
}

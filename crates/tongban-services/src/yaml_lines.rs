//! Where in a YAML file a value sits: maps paths such as `services[3].materials[0].name` (the
//! paths catalogue validation reports) to the line and column of that value in the source, so that
//! an administrator is told "line 214" rather than "the fourth service".

use std::collections::HashMap;

use saphyr_parser::{Event, Parser};

/// Line and column (both 1-based) of every key and sequence item of one YAML document.
#[derive(Debug, Default)]
pub struct YamlLines {
    positions: HashMap<String, (usize, usize)>,
}

enum Frame {
    Mapping {
        path: String,
        key: Option<String>,
        expecting_key: bool,
    },
    Sequence {
        path: String,
        index: usize,
    },
}

impl YamlLines {
    /// Reads the positions of `source`; a syntax error stops the reading where it occurs (the
    /// parser that deserialises the file reports it).
    pub fn read(source: &str) -> YamlLines {
        let mut positions = HashMap::new();
        let mut stack: Vec<Frame> = Vec::new();
        for item in Parser::new_from_str(source) {
            let Ok((event, span)) = item else { break };
            let at = (span.start.line(), span.start.col() + 1);
            match event {
                Event::Scalar(value, ..) => {
                    if let Some(Frame::Mapping {
                        path,
                        key,
                        expecting_key,
                    }) = stack.last_mut()
                        && *expecting_key
                    {
                        let full = join_key(path, &value);
                        positions.entry(full).or_insert(at);
                        *key = Some(value.into_owned());
                        *expecting_key = false;
                        continue;
                    }
                    if let Some(path) = value_path(&stack) {
                        positions.entry(path).or_insert(at);
                    }
                    advance(&mut stack);
                }
                Event::Alias(_) => {
                    advance(&mut stack);
                }
                Event::MappingStart(..) | Event::SequenceStart(..) => {
                    // A complex mapping key is not something catalogue files use; treat the
                    // container as a value all the same so the stack stays balanced.
                    let path = value_path(&stack).unwrap_or_default();
                    positions.entry(path.clone()).or_insert(at);
                    stack.push(if matches!(event, Event::MappingStart(..)) {
                        Frame::Mapping {
                            path,
                            key: None,
                            expecting_key: true,
                        }
                    } else {
                        Frame::Sequence { path, index: 0 }
                    });
                }
                Event::MappingEnd | Event::SequenceEnd => {
                    stack.pop();
                    advance(&mut stack);
                }
                _ => {}
            }
        }
        YamlLines { positions }
    }

    /// The position of `path`, or of its nearest ancestor that the file contains (a missing
    /// field is reported where its parent starts).
    pub fn locate(&self, path: &str) -> Option<(usize, usize)> {
        let mut candidate = path;
        loop {
            if let Some(&at) = self.positions.get(candidate) {
                return Some(at);
            }
            let cut = candidate.rfind(['.', '['])?;
            candidate = &candidate[..cut];
        }
    }
}

fn join_key(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_owned()
    } else {
        format!("{parent}.{key}")
    }
}

/// The path of the value about to start, given the enclosing containers.
fn value_path(stack: &[Frame]) -> Option<String> {
    match stack.last() {
        None => Some(String::new()),
        Some(Frame::Mapping { path, key, .. }) => key.as_deref().map(|k| join_key(path, k)),
        Some(Frame::Sequence { path, index }) => Some(format!("{path}[{index}]")),
    }
}

/// After a value ends, the enclosing mapping expects a key again, a sequence its next item.
fn advance(stack: &mut [Frame]) {
    match stack.last_mut() {
        Some(Frame::Mapping { expecting_key, .. }) => *expecting_key = true,
        Some(Frame::Sequence { index, .. }) => *index += 1,
        None => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const FILE: &str = "\
schema: tongban/catalog/v1
region:
  code: \"990100\"
  districts:
    - { code: \"990102\", name: 东城区 }
    - code: \"990103\"
      name: 西城区
services:
  - code: GA0001
    materials:
      - name: 居民身份证
      - name: { zh-CN: 照片, en: Photo }
        form: upload
";

    #[test]
    fn keys_and_items_have_their_lines() {
        let lines = YamlLines::read(FILE);
        assert_eq!(lines.locate("schema"), Some((1, 1)));
        assert_eq!(lines.locate("region.code"), Some((3, 3)));
        assert_eq!(lines.locate("region.districts[0].name"), Some((5, 25)));
        assert_eq!(lines.locate("region.districts[1].name"), Some((7, 7)));
        assert_eq!(lines.locate("services[0].materials[1].form"), Some((13, 9)));
        assert_eq!(
            lines.locate("services[0].materials[1].name.en"),
            Some((12, 28))
        );
    }

    #[test]
    fn a_missing_field_points_at_its_parent() {
        let lines = YamlLines::read(FILE);
        assert_eq!(lines.locate("services[0].materials[0].form"), Some((11, 9)));
        assert_eq!(lines.locate("services[0].summary"), Some((9, 5)));
        assert_eq!(lines.locate("halls[0]"), None);
    }

    proptest! {
        #[test]
        fn any_text_is_read_without_panicking(text in "\\PC{0,200}") {
            let lines = YamlLines::read(&text);
            let _ = lines.locate("a.b[0].c");
        }
    }
}

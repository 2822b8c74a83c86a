//! A loaded input file: its text and where each YAML node sits in it, so that
//! errors found after deserializing can still point at a line and column.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;

/// A position in a source file, 1-based.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Location {
    pub line: usize,
    pub column: usize,
}

/// One input file. `display` is the name errors print (relative to where the
/// user pointed fabchart), `path` the one used to read it.
#[derive(Debug)]
pub struct SourceFile {
    pub display: String,
    pub path: PathBuf,
    pub text: String,
    locations: HashMap<String, Location>,
}

impl SourceFile {
    pub fn read(path: &Path, display: String) -> anyhow::Result<SourceFile> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
        Ok(SourceFile::from_text(path.to_path_buf(), display, text))
    }

    pub fn from_text(path: PathBuf, display: String, text: String) -> SourceFile {
        let locations = index_locations(&text);
        SourceFile {
            display,
            path,
            text,
            locations,
        }
    }

    /// Where the node at `path` starts, e.g. `/network/channels/0/orgs/1`.
    /// Falls back to the nearest ancestor the index knows (merged keys have no
    /// position of their own), and to the top of the file.
    pub fn locate(&self, path: &str) -> Location {
        let mut probe = path;
        loop {
            if let Some(location) = self.locations.get(probe) {
                return *location;
            }
            match probe.rfind('/') {
                Some(cut) if cut > 0 => probe = &probe[..cut],
                _ => return Location { line: 1, column: 1 },
            }
        }
    }

    /// Where the key (not the value) of the mapping entry at `path` starts.
    pub fn locate_key(&self, path: &str) -> Location {
        self.locations
            .get(&format!("{path}#key"))
            .copied()
            .unwrap_or_else(|| self.locate(path))
    }

    /// Like [`SourceFile::locate`], for values that may have come in through a
    /// `<<` merge key: when the exact path is unknown, the first key in the
    /// file with the same name as the path's last segment.
    pub fn locate_merged(&self, path: &str) -> Location {
        let path_key = format!("{path}#key");
        if let Some(location) = self
            .locations
            .get(&path_key)
            .or_else(|| self.locations.get(path))
        {
            return *location;
        }
        let name = path.rsplit('/').next().unwrap_or_default();
        let suffix = format!("/{name}#key");
        self.locations
            .iter()
            .filter(|(p, _)| p.ends_with(&suffix))
            .map(|(_, l)| *l)
            .min()
            .unwrap_or_else(|| self.locate(path))
    }

    /// The text of line `line` (1-based), without its line break.
    pub fn line_text(&self, line: usize) -> &str {
        self.text.lines().nth(line.saturating_sub(1)).unwrap_or("")
    }
}

enum Frame {
    Mapping {
        path: String,
        pending_key: Option<String>,
    },
    Sequence {
        path: String,
        next: usize,
    },
}

struct Indexer {
    stack: Vec<Frame>,
    locations: HashMap<String, Location>,
}

impl Indexer {
    /// The path of the node that this event starts, and whether it is a key.
    fn next_path(&mut self, scalar: Option<&str>, mark: Marker) -> Option<String> {
        let location = Location {
            line: mark.line(),
            column: mark.col() + 1,
        };
        match self.stack.last_mut() {
            None => Some(String::new()),
            Some(Frame::Sequence { path, next }) => {
                let child = format!("{path}/{next}");
                *next += 1;
                Some(child)
            }
            Some(Frame::Mapping { path, pending_key }) => match pending_key.take() {
                Some(key) => Some(format!("{path}/{key}")),
                None => {
                    // This node is a key. Complex keys are not used by any input format.
                    let key = scalar.unwrap_or("?").replace('/', "~1");
                    self.locations.insert(format!("{path}/{key}#key"), location);
                    *pending_key = Some(key);
                    None
                }
            },
        }
    }
}

impl MarkedEventReceiver for Indexer {
    fn on_event(&mut self, event: Event, mark: Marker) {
        let location = Location {
            line: mark.line(),
            column: mark.col() + 1,
        };
        match event {
            Event::Scalar(ref value, ..) => {
                if let Some(path) = self.next_path(Some(value), mark) {
                    self.locations.entry(path).or_insert(location);
                }
            }
            Event::Alias(_) => {
                if let Some(path) = self.next_path(Some("*alias"), mark) {
                    self.locations.entry(path).or_insert(location);
                }
            }
            Event::MappingStart(..) => {
                let path = self.next_path(None, mark).unwrap_or_default();
                self.locations.entry(path.clone()).or_insert(location);
                self.stack.push(Frame::Mapping {
                    path,
                    pending_key: None,
                });
            }
            Event::SequenceStart(..) => {
                let path = self.next_path(None, mark).unwrap_or_default();
                self.locations.entry(path.clone()).or_insert(location);
                self.stack.push(Frame::Sequence { path, next: 0 });
            }
            Event::MappingEnd | Event::SequenceEnd => {
                self.stack.pop();
            }
            _ => {}
        }
    }
}

fn index_locations(text: &str) -> HashMap<String, Location> {
    let mut indexer = Indexer {
        stack: Vec::new(),
        locations: HashMap::new(),
    };
    // A syntax error is reported by serde_yaml with its own position; the index
    // then simply knows less.
    let _ = Parser::new_from_str(text).load(&mut indexer, false);
    indexer.locations
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> SourceFile {
        SourceFile::from_text(PathBuf::from("t.yaml"), "t.yaml".into(), text.into())
    }

    #[test]
    fn locates_nested_sequence_items_and_keys() {
        let f = file("network:\n  channels:\n    - name: common\n      orgs: [A, B]\n");
        assert_eq!(
            f.locate("/network/channels/0/name"),
            Location {
                line: 3,
                column: 13
            }
        );
        assert_eq!(
            f.locate("/network/channels/0/orgs/1"),
            Location {
                line: 4,
                column: 17
            }
        );
        assert_eq!(
            f.locate_key("/network/channels/0/orgs"),
            Location { line: 4, column: 7 }
        );
    }

    #[test]
    fn merged_values_point_at_their_definition() {
        let f = file("Caps: &c\n  V2_6: true\nProfile:\n  <<: *c\n");
        assert_eq!(
            f.locate_merged("/Profile/V2_6"),
            Location { line: 2, column: 3 }
        );
    }

    #[test]
    fn unknown_paths_fall_back_to_the_nearest_ancestor() {
        let f = file("a:\n  b: 1\n");
        assert_eq!(f.locate("/a/b/c/d"), Location { line: 2, column: 6 });
        assert_eq!(f.locate("/zzz"), Location { line: 1, column: 1 });
    }
}

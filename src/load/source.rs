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
    /// Made when first asked: most runs locate nothing.
    index: std::sync::OnceLock<Index>,
}

/// Where each node of the document starts, by JSON-pointer path as written
/// (`#key` suffixed for a mapping key), and what each alias points at.
#[derive(Debug, Default)]
struct Index {
    locations: HashMap<String, Location>,
    /// The path of an alias node -> the path of the node its anchor names.
    aliases: HashMap<String, String>,
}

impl SourceFile {
    pub fn read(path: &Path, display: String) -> anyhow::Result<SourceFile> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
        Ok(SourceFile::from_text(path.to_path_buf(), display, text))
    }

    pub fn from_text(path: PathBuf, display: String, text: String) -> SourceFile {
        SourceFile {
            display,
            path,
            text,
            index: std::sync::OnceLock::new(),
        }
    }

    fn index(&self) -> &Index {
        self.index.get_or_init(|| index_locations(&self.text))
    }

    /// Where the node at `path` starts, e.g. `/network/channels/0/orgs/1`.
    /// `path` is a path of the document as serde sees it, after aliases and
    /// `<<` merge keys are resolved: a node that came in through one is found
    /// where it is written. Falls back to the nearest ancestor the index
    /// knows, and to the top of the file.
    pub fn locate(&self, path: &str) -> Location {
        let mut probe = path;
        loop {
            if let Some(location) = self.exact(probe) {
                return location;
            }
            match probe.rfind('/') {
                Some(cut) if cut > 0 => probe = &probe[..cut],
                _ => return Location { line: 1, column: 1 },
            }
        }
    }

    /// Where the key (not the value) of the mapping entry at `path` starts.
    pub fn locate_key(&self, path: &str) -> Location {
        self.written_path(path)
            .and_then(|written| self.index().locations.get(&format!("{written}#key")))
            .copied()
            .unwrap_or_else(|| self.locate(path))
    }

    /// The character `offset` (0-based) of the string at `path`, for an error
    /// inside a value such as a policy rule: the quotes and escapes of a
    /// quoted scalar are skipped as YAML reads them. Where the value is not on
    /// one line as written (block or folded scalars), its start.
    pub fn locate_in_scalar(&self, path: &str, offset: usize) -> Location {
        let Some(start) = self.exact(path) else {
            return self.locate(path);
        };
        let line: Vec<char> = self.line_text(start.line).chars().collect();
        let mut at = start.column - 1;
        let style = line.get(at).copied();
        if matches!(style, Some('\'' | '"')) {
            at += 1;
        } else if matches!(style, Some('|' | '>')) {
            return start;
        }
        for _ in 0..offset {
            let step = match (style, line.get(at), line.get(at + 1)) {
                (Some('\''), Some('\''), Some('\'')) => 2,
                (Some('"'), Some('\\'), Some('x')) => 4,
                (Some('"'), Some('\\'), Some('u')) => 6,
                (Some('"'), Some('\\'), Some('U')) => 10,
                (Some('"'), Some('\\'), Some(_)) => 2,
                (_, Some(_), _) => 1,
                (_, None, _) => return start,
            };
            at += step;
        }
        // An offset just past the last character points after it.
        if at > line.len() {
            return start;
        }
        Location {
            line: start.line,
            column: at + 1,
        }
    }

    /// The position of the node at `path` itself, if the index has it.
    fn exact(&self, path: &str) -> Option<Location> {
        self.written_path(path)
            .and_then(|written| self.index().locations.get(&written))
            .copied()
    }

    /// The path where the node serde sees at `path` is written: through
    /// aliases to their anchors, and through `<<` merge keys (an alias, a
    /// list of aliases, or an inline mapping; explicit keys win, then merged
    /// mappings in order), as serde_yaml's `apply_merge` resolves them.
    pub fn written_path(&self, path: &str) -> Option<String> {
        let mut current = String::new();
        if !self.index().locations.contains_key(&current) {
            return None;
        }
        for segment in path.split('/').skip(1) {
            current = self.child(&current, segment, 0)?;
        }
        Some(current)
    }

    fn child(&self, parent: &str, segment: &str, depth: usize) -> Option<String> {
        // Merges nest only as deep as anchors do; this bounds a cycle.
        if depth > 32 {
            return None;
        }
        let direct = format!("{parent}/{segment}");
        if self.index().locations.contains_key(&direct) {
            return Some(self.dereference(direct));
        }
        let merge = format!("{parent}/<<");
        if !self.index().locations.contains_key(&merge) {
            return None;
        }
        let merge = self.dereference(merge);
        let mut sources = Vec::new();
        for i in 0.. {
            let item = format!("{merge}/{i}");
            if !self.index().locations.contains_key(&item) {
                break;
            }
            sources.push(self.dereference(item));
        }
        sources.push(merge);
        sources
            .iter()
            .find_map(|source| self.child(source, segment, depth + 1))
    }

    fn dereference(&self, mut path: String) -> String {
        for _ in 0..32 {
            match self.index().aliases.get(&path) {
                Some(target) => path = target.clone(),
                None => break,
            }
        }
        path
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
    index: Index,
    /// Anchor ID -> the path of the node it names.
    anchors: HashMap<usize, String>,
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
                    self.index
                        .locations
                        .insert(format!("{path}/{key}#key"), location);
                    // A block mapping's start is marked after its first key;
                    // the mapping starts where that key does.
                    if let Some(start) = self.index.locations.get_mut(path.as_str()) {
                        if location < *start {
                            *start = location;
                        }
                    }
                    *pending_key = Some(key);
                    None
                }
            },
        }
    }
}

impl Indexer {
    fn add(&mut self, path: String, location: Location, anchor: usize) {
        if anchor != 0 {
            self.anchors.insert(anchor, path.clone());
        }
        self.index.locations.entry(path).or_insert(location);
    }
}

impl MarkedEventReceiver for Indexer {
    fn on_event(&mut self, event: Event, mark: Marker) {
        let location = Location {
            line: mark.line(),
            column: mark.col() + 1,
        };
        match event {
            Event::Scalar(ref value, _, anchor, _) => {
                if let Some(path) = self.next_path(Some(value), mark) {
                    self.add(path, location, anchor);
                }
            }
            Event::Alias(anchor) => {
                if let Some(path) = self.next_path(Some("*alias"), mark) {
                    if let Some(target) = self.anchors.get(&anchor) {
                        self.index.aliases.insert(path.clone(), target.clone());
                    }
                    self.add(path, location, 0);
                }
            }
            Event::MappingStart(anchor, _) => {
                let path = self.next_path(None, mark).unwrap_or_default();
                self.add(path.clone(), location, anchor);
                self.stack.push(Frame::Mapping {
                    path,
                    pending_key: None,
                });
            }
            Event::SequenceStart(anchor, _) => {
                let path = self.next_path(None, mark).unwrap_or_default();
                self.add(path.clone(), location, anchor);
                self.stack.push(Frame::Sequence { path, next: 0 });
            }
            Event::MappingEnd | Event::SequenceEnd => {
                self.stack.pop();
            }
            _ => {}
        }
    }
}

fn index_locations(text: &str) -> Index {
    let mut indexer = Indexer {
        stack: Vec::new(),
        index: Index::default(),
        anchors: HashMap::new(),
    };
    // A syntax error is reported by serde_yaml with its own position; the index
    // then simply knows less.
    let _ = Parser::new_from_str(text).load(&mut indexer, false);
    indexer.index
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
            f.locate_key("/Profile/V2_6"),
            Location { line: 2, column: 3 }
        );
        assert_eq!(f.locate("/Profile/V2_6"), Location { line: 2, column: 9 });
    }

    #[test]
    fn aliases_and_merges_resolve_to_where_a_value_is_written() {
        let f = file(concat!(
            "Orgs:\n",
            "  - &A\n",
            "    Name: A\n",
            "    Policies: {Admins: {Type: Signature, Rule: \"OR('A.admin')\"}}\n",
            "Defaults: &D\n",
            "  Type: solo\n",
            "  Size: 1\n",
            "More: &M\n",
            "  Size: 2\n",
            "  Extra: x\n",
            "Profiles:\n",
            "  p:\n",
            "    Orderer:\n",
            "      <<: [*D, *M]\n",
            "      Type: raft\n",
            "    Orgs: [*A]\n",
        ));
        let at = |line, column| Location { line, column };
        assert_eq!(f.locate("/Profiles/p/Orderer/Type"), at(15, 13));
        assert_eq!(f.locate("/Profiles/p/Orderer/Size"), at(7, 9));
        assert_eq!(f.locate("/Profiles/p/Orderer/Extra"), at(10, 10));
        assert_eq!(
            f.locate("/Profiles/p/Orgs/0/Policies/Admins/Rule"),
            at(4, 48)
        );
        assert_eq!(f.locate_key("/Profiles/p/Orgs/0/Name"), at(3, 5));
        // Unknown below a resolved node: its nearest written ancestor.
        assert_eq!(
            f.locate("/Profiles/p/Orgs/0/Policies/Nope"),
            f.locate("/Orgs/0/Policies")
        );
    }

    #[test]
    fn offsets_inside_scalars_skip_quotes_and_escapes() {
        let f = file("a: OR('A.pear')\nb: \"OR('A.pear')\"\nc: 'OR(''A.pear'')'\nd: \"\\x41\\u0042C.pear\"\n");
        let at = |line, column| Location { line, column };
        assert_eq!(f.locate_in_scalar("/a", 6), at(1, 10));
        assert_eq!(f.locate_in_scalar("/b", 6), at(2, 11));
        assert_eq!(f.locate_in_scalar("/c", 6), at(3, 12));
        assert_eq!(f.locate_in_scalar("/d", 4), at(4, 17));
        // Just past the end: after the last character; beyond: the start.
        assert_eq!(f.locate_in_scalar("/a", 12), at(1, 16));
        assert_eq!(f.locate_in_scalar("/a", 40), at(1, 4));
    }

    #[test]
    fn unknown_paths_fall_back_to_the_nearest_ancestor() {
        let f = file("a:\n  b: 1\n");
        assert_eq!(f.locate("/a/b/c/d"), Location { line: 2, column: 6 });
        assert_eq!(f.locate("/zzz"), Location { line: 1, column: 1 });
    }
}

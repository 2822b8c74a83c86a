//! Chaincode lifecycle packages, byte for byte reproducible: the same input
//! gives the same tar.gz and so the same package id. `type: source` ones hold
//! what Fabric 2.5's `peer lifecycle chaincode package` puts in them.

use std::cell::RefCell;
use std::path::Path;

use anyhow::Context;
use flate2::{Compress, Compression, Crc, FlushCompress, Status};
use sha2::{Digest, Sha256};

use crate::model::{Chaincode, ChaincodeKind, ChaincodePackage};

/// A built package and its id (`label:sha256-hex`), as `peer lifecycle
/// chaincode calculatepackageid` would print it.
pub struct BuiltPackage {
    pub bytes: Vec<u8>,
    pub id: String,
}

pub fn package_id(label: &str, bytes: &[u8]) -> String {
    format!("{label}:{}", hex::encode(Sha256::digest(bytes)))
}

pub fn build(chaincode: &Chaincode, package: &ChaincodePackage) -> anyhow::Result<BuiltPackage> {
    let (metadata, code) = match chaincode.kind {
        ChaincodeKind::Ccaas => {
            let connection = serde_json::json!({
                "address": package.address,
                "dial_timeout": "10s",
                "tls_required": false,
            });
            let code = tar_gz(
                &[Entry::file("connection.json", connection.to_string())],
                Owner::Root,
            )?;
            let metadata = serde_json::json!({ "type": "ccaas", "label": package.label });
            (metadata, code)
        }
        ChaincodeKind::Source => {
            let dir = chaincode
                .source_dir
                .as_deref()
                .context("source chaincode without a folder")?;
            let source = source_files(&chaincode.name, &chaincode.language, dir)?;
            let code = tar_gz(&source.entries, Owner::Fabric)?;
            // Fabric's order (serde_json keeps insertion order here).
            let metadata = serde_json::json!({
                "path": source.path,
                "type": chaincode.language,
                "label": package.label,
            });
            (metadata, code)
        }
    };
    let bytes = tar_gz(
        &[
            Entry::file("metadata.json", metadata.to_string()),
            Entry::file("code.tar.gz", code),
        ],
        Owner::Root,
    )?;
    let id = package_id(&package.label, &bytes);
    Ok(BuiltPackage { bytes, id })
}

/// The code.tar.gz of a `type: source` chaincode: its entries and the `path`
/// metadata.json gives the peer's builder.
struct Source {
    path: String,
    entries: Vec<Entry>,
}

/// How Fabric 2.5's `peer lifecycle chaincode package` lays out a language's
/// folder (core/chaincode/platforms/{golang,node,java}/platform.go).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Layout {
    Node,
    Java,
    /// Go with go.mod at the folder's top: built with `cd src && go build <module path>`.
    GoModule,
    /// Go without go.mod (GOPATH, as PIVT's Fabric 1.4 chaincodes): the folder
    /// is package `<chaincode name>` of GOPATH `/chaincode/input`.
    GoPath,
}

impl Layout {
    /// Whether the walk leaves out directory `name` (`metadata`: below META-INF).
    fn skips_dir(self, name: &str, metadata: bool) -> bool {
        match self {
            Layout::Node => matches!(name, "node_modules" | ".git"),
            Layout::Java => matches!(name, "target" | "build" | "out" | ".git"),
            Layout::GoModule | Layout::GoPath => !metadata && name.starts_with('.'),
        }
    }

    /// Whether the walk leaves out file `relative` (named `name`): hidden
    /// metadata, Java classes, and a GOPATH package's go.sum (as Fabric does).
    fn skips_file(self, relative: &str, name: &str, metadata: bool) -> bool {
        (metadata && name.starts_with('.'))
            || (self == Layout::Java && name.ends_with(".class"))
            || (self == Layout::GoPath && relative == "go.sum")
    }
}

/// The files of chaincode `name` in `language` below `dir`, placed as
/// Fabric's packager places them: `META-INF/...` at the top (CouchDB indexes,
/// checked as Fabric checks them), the rest below `src/` (Go without go.mod:
/// `src/<name>/`), Go with the directories too. Sorted by name.
///
/// One difference: for Go without go.mod, Fabric packs the package's own
/// files (not its subfolders) plus the dependencies `go list -deps` finds in
/// GOPATH; without the go tool, this packs every file below the folder but
/// hidden directories, so a `vendor/` folder (or local subpackages) works.
fn source_files(name: &str, language: &str, dir: &Path) -> anyhow::Result<Source> {
    let go_mod = dir.join("go.mod");
    let (layout, path) = match language {
        "golang" if go_mod.is_file() => (Layout::GoModule, module_path(&go_mod)?),
        "golang" => (Layout::GoPath, name.to_string()),
        "node" => (Layout::Node, name.to_string()),
        "java" => (Layout::Java, name.to_string()),
        other => anyhow::bail!("chaincode language `{other}` is unknown"),
    };
    let mut entries = Vec::new();
    let mut walk = walkdir::WalkDir::new(dir).into_iter();
    while let Some(entry) = walk.next() {
        let entry = entry.with_context(|| format!("cannot list {}", dir.display()))?;
        let relative = entry
            .path()
            .strip_prefix(dir)
            .expect("walkdir stays below its root");
        let relative = relative.to_string_lossy().replace('\\', "/");
        if relative.is_empty() {
            continue;
        }
        let metadata = relative.split('/').next() == Some("META-INF");
        let file_name = entry.file_name().to_string_lossy();
        if entry.file_type().is_dir() {
            if layout.skips_dir(&file_name, metadata) {
                walk.skip_current_dir();
            }
            continue;
        }
        // Symbolic links count as what they point to, as in Fabric (links to
        // folders are left out, where Fabric fails).
        if !entry.path().is_file() || layout.skips_file(&relative, &file_name, metadata) {
            continue;
        }
        let bytes = std::fs::read(entry.path())
            .with_context(|| format!("cannot read {}", entry.path().display()))?;
        let name = if metadata {
            check_metadata(&relative, &bytes)
                .with_context(|| format!("bad chaincode metadata {}", entry.path().display()))?;
            relative
        } else if layout == Layout::GoPath {
            format!("src/{name}/{relative}")
        } else {
            format!("src/{relative}")
        };
        entries.push(Entry::file(name, bytes));
    }
    if !entries.iter().any(|e| e.name.starts_with("src/")) {
        anyhow::bail!("no source files in {}", dir.display());
    }
    entries.sort_by(|a, b| a.name.cmp(&b.name));
    if matches!(layout, Layout::GoModule | Layout::GoPath) {
        // Fabric's Go packager writes every folder first, for their owner and mode.
        let mut dirs = std::collections::BTreeSet::new();
        for entry in &entries {
            let mut name = entry.name.as_str();
            while let Some((parent, _)) = name.rsplit_once('/') {
                dirs.insert(parent.to_string());
                name = parent;
            }
        }
        entries.splice(0..0, dirs.into_iter().map(Entry::dir));
    }
    Ok(Source { path, entries })
}

/// The module path of go.mod `file` (its `module` directive).
fn module_path(file: &Path) -> anyhow::Result<String> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let mut block = false;
    for line in text.lines() {
        let line = line.split("//").next().unwrap_or_default().trim();
        let path = if block {
            block = line != ")";
            line
        } else if let Some(rest) = line.strip_prefix("module") {
            let rest = rest.trim_start();
            if rest == "(" {
                block = true;
                continue;
            }
            if rest.len() == line.len() - "module".len() {
                continue; // another word, e.g. `modules`
            }
            rest
        } else {
            continue;
        };
        if path.is_empty() || path == ")" {
            continue;
        }
        let path = match path.as_bytes()[0] {
            b'"' => serde_json::from_str::<String>(path)
                .with_context(|| format!("{}: bad module path {path}", file.display()))?,
            b'`' => path.trim_matches('`').to_string(),
            _ => path.to_string(),
        };
        return Ok(path);
    }
    anyhow::bail!(
        "{} has no `module` line: Fabric builds a Go module chaincode by its module path",
        file.display()
    )
}

/// Checks a file below META-INF as Fabric's packager does
/// (internal/ccmetadata): only CouchDB index definitions, in
/// `META-INF/statedb/couchdb/indexes/` or
/// `META-INF/statedb/couchdb/collections/<collection>/indexes/`.
fn check_metadata(name: &str, content: &[u8]) -> anyhow::Result<()> {
    let indexes = name
        .strip_prefix("META-INF/statedb/couchdb/indexes/")
        .or_else(|| {
            let rest = name.strip_prefix("META-INF/statedb/couchdb/collections/")?;
            let (collection, rest) = rest.split_once('/')?;
            let valid = !collection.is_empty()
                && collection
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
            valid.then_some(rest)?.strip_prefix("indexes/")
        });
    if !indexes.is_some_and(|file| file.contains(".json")) {
        anyhow::bail!(
            "Fabric takes only CouchDB indexes below META-INF, as \
             META-INF/statedb/couchdb/indexes/*.json or \
             META-INF/statedb/couchdb/collections/<collection>/indexes/*.json"
        );
    }
    let definition: serde_json::Value = serde_json::from_slice(content).context("not JSON")?;
    check_index(&definition).map_err(|e| anyhow::anyhow!("not a CouchDB index definition: {e}"))
}

/// Fabric's check of a CouchDB index definition (ccmetadata validateIndexJSON).
fn check_index(definition: &serde_json::Value) -> Result<(), String> {
    let definition = definition.as_object().ok_or("not a JSON object")?;
    for (key, value) in definition {
        match key.as_str() {
            "index" => {}
            "ddoc" | "name" if value.is_string() => {}
            "ddoc" | "name" => return Err(format!("\"{key}\" must be a string")),
            "type" if value == "json" => {}
            "type" => return Err("\"type\" must be \"json\"".into()),
            _ => return Err(format!("unknown entry \"{key}\"")),
        }
    }
    let index = definition.get("index").ok_or("no \"index\" entry")?;
    let index = index.as_object().ok_or("\"index\" must be an object")?;
    for (key, value) in index {
        match key.as_str() {
            "fields" => {
                let fields = value
                    .as_array()
                    .ok_or("\"index.fields\" must be an array")?;
                for sort in fields
                    .iter()
                    .filter_map(|f| f.as_object())
                    .flat_map(|f| f.values())
                {
                    let order = sort.as_str().unwrap_or_default().to_ascii_lowercase();
                    if order != "asc" && order != "desc" {
                        return Err(format!("a field's sort is \"asc\" or \"desc\", not {sort}"));
                    }
                }
            }
            "partial_filter_selector" => {}
            _ => return Err(format!("unknown entry \"index.{key}\"")),
        }
    }
    Ok(())
}

/// A tar entry: a file with its content, or a directory (`content: None`).
struct Entry {
    name: String,
    content: Option<Vec<u8>>,
}

impl Entry {
    fn file(name: impl Into<String>, content: impl Into<Vec<u8>>) -> Self {
        Entry {
            name: name.into(),
            content: Some(content.into()),
        }
    }

    fn dir(name: String) -> Self {
        Entry {
            name,
            content: None,
        }
    }
}

/// Owners and modes of tar entries.
#[derive(Clone, Copy)]
enum Owner {
    /// uid/gid 0, files 0644: the package itself and ccaas code.
    Root,
    /// As Fabric's platforms write source code (platforms/util/writer.go):
    /// uid/gid 500, files 0100644, directories 040755.
    Fabric,
}

/// A gzip'd tar with fixed owners, modes and times, so its bytes depend on the
/// entry names and contents only.
fn tar_gz(entries: &[Entry], owner: Owner) -> anyhow::Result<Vec<u8>> {
    let (id, file_mode) = match owner {
        Owner::Root => (0, 0o644),
        Owner::Fabric => (500, 0o100_644),
    };
    let mut archive = tar::Builder::new(Vec::new());
    for entry in entries {
        let mut header = tar::Header::new_gnu();
        header.set_mtime(0);
        header.set_uid(id);
        header.set_gid(id);
        match &entry.content {
            Some(content) => {
                header.set_size(content.len() as u64);
                header.set_mode(file_mode);
                header.set_entry_type(tar::EntryType::Regular);
                archive.append_data(&mut header, &entry.name, content.as_slice())?;
            }
            None => {
                header.set_size(0);
                header.set_mode(0o40_755);
                header.set_entry_type(tar::EntryType::Directory);
                archive.append_data(&mut header, format!("{}/", entry.name), std::io::empty())?;
            }
        }
    }
    Ok(gzip(&archive.into_inner()?))
}

thread_local! {
    /// A deflate state per thread, reset between streams: a new one allocates
    /// (and has the kernel zero) some 300 KB, most of the cost of a package
    /// of a few hundred bytes.
    static DEFLATE: RefCell<Compress> = RefCell::new(Compress::new(Compression::default(), false));
}

/// `data` gzip'd as `GzBuilder::new().mtime(0)` does at the default level,
/// byte for byte: a header without name or time, the deflate stream, CRC-32
/// and length.
fn gzip(data: &[u8]) -> Vec<u8> {
    // ID1 ID2, CM deflate, no flags, MTIME 0, XFL 0 (default level), OS unknown.
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255];
    out.reserve(data.len() / 2 + 64);
    DEFLATE.with_borrow_mut(|deflate| {
        deflate.reset();
        let mut input = data;
        loop {
            let before = deflate.total_in();
            let status = deflate
                .compress_vec(input, &mut out, FlushCompress::Finish)
                .expect("deflate into memory does not fail");
            input = &input[(deflate.total_in() - before) as usize..];
            if status == Status::StreamEnd {
                break;
            }
            out.reserve(out.capacity().max(64));
        }
    });
    let mut crc = Crc::new();
    crc.update(data);
    out.extend_from_slice(&crc.sum().to_le_bytes());
    // ISIZE is the length modulo 2^32.
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_id_is_label_and_sha256() {
        assert_eq!(
            package_id("cc_1", b"abc"),
            "cc_1:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    /// What `tar_gz` made with flate2's own writer before it reused deflate
    /// states: the bytes, and so the package ids, must not change.
    fn gz_builder(data: &[u8]) -> Vec<u8> {
        use std::io::Write;
        let mut gz = flate2::GzBuilder::new()
            .mtime(0)
            .write(Vec::new(), Compression::default());
        gz.write_all(data).unwrap();
        gz.finish().unwrap()
    }

    #[test]
    fn gzip_is_gz_builders_byte_for_byte() {
        // Text, incompressible bytes and a mix, from empty to several of
        // flate2's 32 KiB buffers, one after the other on one state.
        let mut seed = 0x2545_f491_u32;
        let mut noise = |n: usize| -> Vec<u8> {
            (0..n)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 17;
                    seed ^= seed << 5;
                    seed as u8
                })
                .collect()
        };
        let text = |n: usize| -> Vec<u8> {
            "peer0.org1.example.com:7051 connection.json {\"address\": 10s}\n"
                .bytes()
                .cycle()
                .take(n)
                .collect()
        };
        let mut inputs = vec![Vec::new(), b"a".to_vec()];
        for n in [100, 4_000, 40_000, 70_000, 300_000] {
            inputs.push(text(n));
            inputs.push(noise(n));
            let mut mixed = text(n / 2);
            mixed.extend(noise(n / 2));
            mixed.extend(text(n / 3));
            inputs.push(mixed);
        }
        for input in inputs.iter().chain(inputs.iter().rev()) {
            assert_eq!(gzip(input), gz_builder(input), "{} bytes", input.len());
        }
    }

    #[test]
    fn archives_are_reproducible() {
        let files = [Entry::file("a.txt", "hello")];
        assert_eq!(
            tar_gz(&files, Owner::Root).unwrap(),
            tar_gz(&files, Owner::Root).unwrap()
        );
    }

    const INDEX: &str = r#"{"index":{"fields":["owner",{"size":"DESC"}]},"ddoc":"d","name":"byOwner","type":"json"}"#;

    /// A folder holding `files` (relative path, content).
    fn folder(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (name, content) in files {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, content).unwrap();
        }
        dir
    }

    fn chaincode(language: &str, dir: &Path) -> (Chaincode, ChaincodePackage) {
        let package = ChaincodePackage {
            org: "Org1".into(),
            org_key: "org1".into(),
            label: "board_org1".into(),
            file: "chaincode/board/org1.tar.gz".into(),
            configmap_key: "board--org1.tar.gz".into(),
            object: "hlf-cc-org1-board".into(),
            address: "hlf-cc-org1-board:7052".into(),
        };
        let chaincode = Chaincode {
            name: "board".into(),
            key: "board".into(),
            version: None,
            kind: ChaincodeKind::Source,
            language: language.into(),
            image: None,
            image_path: None,
            port: 7052,
            listen_address: "0.0.0.0:7052".into(),
            env: Default::default(),
            source_dir: Some(dir.to_path_buf()),
            orgs: vec!["Org1".into()],
            channels: Vec::new(),
            packages: Vec::new(),
        };
        (chaincode, package)
    }

    /// The entries of a tar.gz: name, uid, gid, mode and content.
    fn entries(bytes: &[u8]) -> Vec<(String, u64, u64, u32, Vec<u8>)> {
        let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(bytes));
        archive
            .entries()
            .unwrap()
            .map(|entry| {
                let mut entry = entry.unwrap();
                let header = entry.header();
                let (uid, gid, mode) = (
                    header.uid().unwrap(),
                    header.gid().unwrap(),
                    header.mode().unwrap(),
                );
                let name = entry.path().unwrap().to_string_lossy().into_owned();
                // Directories keep Fabric's trailing slash.
                assert_eq!(header.entry_type().is_dir(), name.ends_with('/'), "{name}");
                let mut content = Vec::new();
                std::io::Read::read_to_end(&mut entry, &mut content).unwrap();
                (name, uid, gid, mode, content)
            })
            .collect()
    }

    /// Builds the package of `language` chaincode `board` from `files`:
    /// metadata.json as text, and code.tar.gz's entry names.
    fn package(language: &str, files: &[(&str, &str)]) -> (String, Vec<String>) {
        let dir = folder(files);
        let (chaincode, package) = chaincode(language, dir.path());
        let built = build(&chaincode, &package).unwrap();
        let again = build(&chaincode, &package).unwrap();
        assert_eq!(built.bytes, again.bytes, "reproducible");
        let outer = entries(&built.bytes);
        let names: Vec<&str> = outer.iter().map(|e| e.0.as_str()).collect();
        assert_eq!(names, ["metadata.json", "code.tar.gz"]);
        let code = entries(&outer[1].4);
        for (name, uid, gid, mode, _) in &code {
            let expected = if name.ends_with('/') {
                0o40755
            } else {
                0o100644
            };
            assert_eq!((*uid, *gid, *mode), (500, 500, expected), "{name}");
        }
        let metadata = String::from_utf8(outer[0].4.clone()).unwrap();
        (metadata, code.into_iter().map(|e| e.0).collect())
    }

    fn error(language: &str, files: &[(&str, &str)]) -> String {
        let dir = folder(files);
        let (chaincode, package) = chaincode(language, dir.path());
        match build(&chaincode, &package) {
            Ok(_) => panic!("packaged {files:?}"),
            Err(e) => format!("{e:#}"),
        }
    }

    #[test]
    fn node_source_keeps_meta_inf_on_top_and_leaves_out_node_modules_and_git() {
        let (metadata, names) = package(
            "node",
            &[
                ("package.json", "{}"),
                ("lib/board.js", ""),
                ("lib/node_modules/dep/index.js", ""),
                ("node_modules/dep/index.js", ""),
                (".git/HEAD", ""),
                (".npmrc", ""),
                ("META-INF/statedb/couchdb/indexes/byOwner.json", INDEX),
                ("META-INF/.DS_Store", ""),
            ],
        );
        assert_eq!(
            metadata,
            r#"{"path":"board","type":"node","label":"board_org1"}"#
        );
        assert_eq!(
            names,
            [
                "META-INF/statedb/couchdb/indexes/byOwner.json",
                "src/.npmrc",
                "src/lib/board.js",
                "src/package.json",
            ]
        );
    }

    #[test]
    fn java_source_leaves_out_build_output() {
        let (metadata, names) = package(
            "java",
            &[
                ("build.gradle", ""),
                ("src/main/java/Board.java", ""),
                ("src/main/java/Board.class", ""),
                ("build/libs/board.jar", ""),
                ("target/classes/Board.class", ""),
                ("out/x", ""),
                (".git/config", ""),
                (
                    "META-INF/statedb/couchdb/collections/private_1/indexes/byOwner.json",
                    INDEX,
                ),
            ],
        );
        assert_eq!(
            metadata,
            r#"{"path":"board","type":"java","label":"board_org1"}"#
        );
        assert_eq!(
            names,
            [
                "META-INF/statedb/couchdb/collections/private_1/indexes/byOwner.json",
                "src/build.gradle",
                "src/src/main/java/Board.java",
            ]
        );
    }

    #[test]
    fn go_module_source_is_built_by_its_module_path() {
        let (metadata, names) = package(
            "golang",
            &[
                (
                    "go.mod",
                    "// the board\nmodule example.com/board // v2 later\n\ngo 1.22\n",
                ),
                ("go.sum", ""),
                ("main.go", ""),
                ("vendor/example.org/dep/dep.go", ""),
                (".github/workflows/ci.yml", ""),
                (".gitignore", ""),
                ("META-INF/statedb/couchdb/indexes/byOwner.json", INDEX),
                ("META-INF/statedb/couchdb/indexes/.byOwner.json.swp", "x"),
            ],
        );
        assert_eq!(
            metadata,
            r#"{"path":"example.com/board","type":"golang","label":"board_org1"}"#
        );
        assert_eq!(
            names,
            [
                "META-INF/",
                "META-INF/statedb/",
                "META-INF/statedb/couchdb/",
                "META-INF/statedb/couchdb/indexes/",
                "src/",
                "src/vendor/",
                "src/vendor/example.org/",
                "src/vendor/example.org/dep/",
                "META-INF/statedb/couchdb/indexes/byOwner.json",
                "src/.gitignore",
                "src/go.mod",
                "src/go.sum",
                "src/main.go",
                "src/vendor/example.org/dep/dep.go",
            ]
        );
    }

    #[test]
    fn go_source_without_go_mod_is_a_gopath_package_named_as_the_chaincode() {
        let (metadata, names) = package(
            "golang",
            &[
                ("board.go", ""),
                ("go.sum", ""),
                ("store/store.go", ""),
                ("vendor/example.org/dep/dep.go", ""),
                (".idea/workspace.xml", ""),
                ("META-INF/statedb/couchdb/indexes/byOwner.json", INDEX),
            ],
        );
        assert_eq!(
            metadata,
            r#"{"path":"board","type":"golang","label":"board_org1"}"#
        );
        assert_eq!(
            names,
            [
                "META-INF/",
                "META-INF/statedb/",
                "META-INF/statedb/couchdb/",
                "META-INF/statedb/couchdb/indexes/",
                "src/",
                "src/board/",
                "src/board/store/",
                "src/board/vendor/",
                "src/board/vendor/example.org/",
                "src/board/vendor/example.org/dep/",
                "META-INF/statedb/couchdb/indexes/byOwner.json",
                "src/board/board.go",
                "src/board/store/store.go",
                "src/board/vendor/example.org/dep/dep.go",
            ]
        );
    }

    #[test]
    fn module_paths_quoted_or_in_a_block() {
        let path = |text: &str| {
            let dir = folder(&[("go.mod", text)]);
            module_path(&dir.path().join("go.mod")).map_err(|e| format!("{e:#}"))
        };
        assert_eq!(path("module \"example.com/a\"\n").unwrap(), "example.com/a");
        assert_eq!(path("module `example.com/b`").unwrap(), "example.com/b");
        assert_eq!(
            path("module (\n\t// c\n\texample.com/c\n)\n").unwrap(),
            "example.com/c"
        );
        assert_eq!(path("modules x\nmodule\tz\n").unwrap(), "z");
    }

    #[test]
    fn bad_sources_are_refused_naming_the_file() {
        let e = error("golang", &[("go.mod", "go 1.22\n"), ("main.go", "")]);
        assert!(e.contains("go.mod has no `module` line"), "{e}");

        let e = error(
            "node",
            &[
                ("index.js", ""),
                (
                    "META-INF/statedb/couchdb/indexes/broken.json",
                    "{\"index\":",
                ),
            ],
        );
        assert!(
            e.contains("bad chaincode metadata ")
                && e.contains("META-INF/statedb/couchdb/indexes/broken.json: not JSON"),
            "{e}"
        );

        let e = error(
            "java",
            &[
                ("pom.xml", ""),
                (
                    "META-INF/statedb/couchdb/indexes/byOwner.json",
                    r#"{"index":{"fields":[{"owner":"up"}]}}"#,
                ),
            ],
        );
        assert!(
            e.contains("byOwner.json: not a CouchDB index definition: a field's sort"),
            "{e}"
        );

        let e = error("node", &[("index.js", ""), ("META-INF/README.md", "")]);
        assert!(
            e.contains("META-INF/README.md: Fabric takes only CouchDB indexes below META-INF"),
            "{e}"
        );

        let e = error("node", &[("node_modules/dep/index.js", "")]);
        assert!(e.contains("no source files in "), "{e}");
    }

    #[test]
    fn index_definitions_as_fabric_checks_them() {
        let check = |text: &str| check_index(&serde_json::from_str(text).unwrap());
        assert_eq!(check(INDEX), Ok(()));
        assert_eq!(
            check(r#"{"index":{"fields":["a"],"partial_filter_selector":{}}}"#),
            Ok(())
        );
        assert!(check(r#"{"ddoc":"d"}"#)
            .unwrap_err()
            .contains("no \"index\""));
        assert!(check(r#"{"index":{},"type":"text"}"#)
            .unwrap_err()
            .contains("\"type\""));
        assert!(check(r#"{"index":{"fields":"a"}}"#)
            .unwrap_err()
            .contains("array"));
        assert!(check(r#"{"index":{},"extra":1}"#)
            .unwrap_err()
            .contains("\"extra\""));
        assert!(check("[]").unwrap_err().contains("object"));
    }
}

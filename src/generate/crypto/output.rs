//! The `crypto-config/` tree being built, in memory: byte-for-byte copies of
//! existing material and new files, with the generated/reused bookkeeping.

use crate::tree::Tree;

pub(crate) struct Output {
    pub tree: Tree,
    pub generated: Vec<String>,
    pub reused: Vec<String>,
}

impl Output {
    pub fn new() -> Self {
        Output {
            tree: Tree::new(),
            generated: Vec::new(),
            reused: Vec::new(),
        }
    }

    pub fn exists(&self, rel: &str) -> bool {
        self.tree.contains(rel)
    }

    pub fn get(&self, rel: &str) -> Option<&[u8]> {
        self.tree.get(rel)
    }

    pub fn files_in(&self, dir: &str) -> Vec<String> {
        self.tree
            .files_in(dir)
            .into_iter()
            .map(|name| format!("{dir}/{name}"))
            .collect()
    }

    pub fn mkdir(&mut self, rel: &str) {
        self.tree.insert_dir(rel);
    }

    /// Adds a newly generated file.
    pub fn write(&mut self, rel: &str, bytes: &[u8]) {
        self.tree.insert(rel, bytes);
        self.generated.push(rel.to_string());
    }

    /// Adds `bytes` unless a file is already there (e.g. copied from existing material).
    pub fn write_if_missing(&mut self, rel: &str, bytes: &[u8]) {
        if !self.exists(rel) {
            self.write(rel, bytes);
        }
    }

    /// Copies every file below `from` of the existing material to the same place.
    pub fn copy_tree(&mut self, existing: &Tree, from: &str) {
        let below = existing.subtree(from);
        for (path, file) in below.files() {
            let rel = format!("{from}/{path}");
            self.tree.insert_file(rel.clone(), file.clone());
            self.reused.push(rel);
        }
        for dir in below.dirs() {
            self.tree.insert_dir(format!("{from}/{dir}"));
        }
    }

    /// Moves a reused file to the name the model gives it (Fabric CA and other
    /// tools name keys and certificates their own way).
    pub fn rename(&mut self, from: &str, to: &str) {
        if from == to {
            return;
        }
        if let Some(file) = self.tree.remove(from) {
            self.tree.insert_file(to, file);
            for list in [&mut self.reused, &mut self.generated] {
                if let Some(entry) = list.iter_mut().find(|p| *p == from) {
                    *entry = to.to_string();
                }
            }
        }
    }

    pub fn finish(mut self) -> (Tree, Vec<String>, Vec<String>) {
        self.generated.sort();
        self.generated.dedup();
        self.reused.sort();
        self.reused.dedup();
        (self.tree, self.generated, self.reused)
    }
}

//! Dependencies between modules run one way: in every crate of the workspace, no module
//! imports a module that imports it back, directly or through others.
//!
//! Each crate's sources are parsed (with `syn`, so comments and doc links do not count) into
//! its module tree. Every path that names something of the crate (`crate::..`, `super::..`,
//! `self::..`, in `use` items, in code and in macro invocations) is resolved through the
//! modules and their `use` items to the module that defines the item, and becomes an edge
//! between the two sibling modules that hold either end (a module may use its own
//! submodules, and they their ancestors: that is structure, not a circle). A cycle among
//! siblings fails the test, with one reference that makes each edge.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use proc_macro2::{TokenStream, TokenTree};
use syn::visit::Visit;

/// A module, by its path from the crate root: `[]` is the root, `["app", "builder"]` is
/// `crate::app::builder`.
type ModPath = Vec<String>;

/// What one module holds, for resolving paths through it.
#[derive(Default)]
struct Module {
    /// Its submodules.
    children: BTreeSet<String>,
    /// The names its `use` items bring in, and the absolute path each stands for.
    imports: BTreeMap<String, Vec<String>>,
    /// Its glob imports (`use crate::a::*`), as absolute module paths.
    globs: Vec<Vec<String>>,
}

/// A path found in a module, as written, absolute, with where it is.
struct Reference {
    from: ModPath,
    path: Vec<String>,
    at: String,
}

struct Crate {
    modules: BTreeMap<ModPath, Module>,
    references: Vec<Reference>,
}

/// Reads the crate whose root file is `root`.
fn read_crate(root: &Path) -> Crate {
    let mut krate = Crate {
        modules: BTreeMap::new(),
        references: Vec::new(),
    };
    read_file(
        &mut krate,
        root,
        Vec::new(),
        root.parent().unwrap().to_path_buf(),
    );
    krate
}

/// Reads one file of module `module`; `dir` is where its `mod x;` files are.
fn read_file(krate: &mut Crate, file: &Path, module: ModPath, dir: PathBuf) {
    let text = std::fs::read_to_string(file)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", file.display()));
    let parsed = syn::parse_file(&text)
        .unwrap_or_else(|error| panic!("cannot parse {}: {error}", file.display()));
    read_items(krate, file, &parsed.items, module, &dir);
}

fn read_items(krate: &mut Crate, file: &Path, items: &[syn::Item], module: ModPath, dir: &Path) {
    krate.modules.entry(module.clone()).or_default();
    let mut visitor = Collector {
        file: file.display().to_string(),
        found: Vec::new(),
        uses: Vec::new(),
    };
    for item in items {
        match item {
            syn::Item::Mod(item_mod) => {
                let name = item_mod.ident.to_string();
                let mut child = module.clone();
                child.push(name.clone());
                krate
                    .modules
                    .get_mut(&module)
                    .unwrap()
                    .children
                    .insert(name.clone());
                let explicit = item_mod.attrs.iter().find_map(path_attribute);
                match &item_mod.content {
                    Some((_, inner)) => {
                        for attr in &item_mod.attrs {
                            visitor.visit_attribute(attr);
                        }
                        read_items(krate, file, inner, child, &dir.join(&name));
                    }
                    None => {
                        let (child_file, child_dir) = match explicit {
                            Some(path) => {
                                let path = file.parent().unwrap().join(path);
                                let child_dir = path.parent().unwrap().join(&name);
                                (path, child_dir)
                            }
                            None => {
                                let flat = dir.join(format!("{name}.rs"));
                                if flat.is_file() {
                                    (flat, dir.join(&name))
                                } else {
                                    (dir.join(&name).join("mod.rs"), dir.join(&name))
                                }
                            }
                        };
                        read_file(krate, &child_file, child, child_dir);
                    }
                }
            }
            other => visitor.visit_item(other),
        }
    }
    for (tree, at) in visitor.uses {
        let mut flattened = Vec::new();
        flatten_use(&tree, &mut Vec::new(), &mut flattened);
        for (mut path, alias) in flattened {
            // `use child::Item` (2018 paths) starts from this module.
            let local = path
                .first()
                .is_some_and(|first| krate.modules[&module].children.contains(first));
            if local {
                path.insert(0, "self".to_owned());
            }
            let Some(absolute) = absolute(&module, &path) else {
                continue;
            };
            let entry = krate.modules.get_mut(&module).unwrap();
            match alias {
                Some(name) => {
                    entry.imports.insert(name, absolute.clone());
                }
                None => entry.globs.push(absolute.clone()),
            }
            krate.references.push(Reference {
                from: module.clone(),
                path: absolute,
                at: at.clone(),
            });
        }
    }
    for (path, at) in visitor.found {
        if let Some(absolute) = absolute(&module, &path) {
            krate.references.push(Reference {
                from: module.clone(),
                path: absolute,
                at,
            });
        }
    }
}

/// `#[path = "x.rs"]`.
fn path_attribute(attr: &syn::Attribute) -> Option<String> {
    let syn::Meta::NameValue(value) = &attr.meta else {
        return None;
    };
    if !value.path.is_ident("path") {
        return None;
    }
    match &value.value {
        syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(text),
            ..
        }) => Some(text.value()),
        _ => None,
    }
}

/// Every path of a `use` tree, with the name it binds (`None` for a glob).
fn flatten_use(
    tree: &syn::UseTree,
    prefix: &mut Vec<String>,
    out: &mut Vec<(Vec<String>, Option<String>)>,
) {
    match tree {
        syn::UseTree::Path(path) => {
            prefix.push(path.ident.to_string());
            flatten_use(&path.tree, prefix, out);
            prefix.pop();
        }
        syn::UseTree::Name(name) => {
            let ident = name.ident.to_string();
            if ident == "self" {
                let bound = prefix.last().cloned();
                out.push((prefix.clone(), bound));
            } else {
                let mut path = prefix.clone();
                path.push(ident.clone());
                out.push((path, Some(ident)));
            }
        }
        syn::UseTree::Rename(rename) => {
            let mut path = prefix.clone();
            let ident = rename.ident.to_string();
            if ident != "self" {
                path.push(ident);
            }
            out.push((path, Some(rename.rename.to_string())));
        }
        syn::UseTree::Glob(_) => out.push((prefix.clone(), None)),
        syn::UseTree::Group(group) => {
            for tree in &group.items {
                flatten_use(tree, prefix, out);
            }
        }
    }
}

/// `path` as written in `module`, made absolute; `None` for a path outside the crate.
fn absolute(module: &ModPath, path: &[String]) -> Option<Vec<String>> {
    let (first, rest) = path.split_first()?;
    match first.as_str() {
        "crate" => Some(rest.to_vec()),
        "self" => Some(module.iter().cloned().chain(rest.iter().cloned()).collect()),
        "super" => {
            let mut base = module.clone();
            base.pop()?;
            let mut rest = rest;
            while rest.first().map(String::as_str) == Some("super") {
                base.pop()?;
                rest = &rest[1..];
            }
            Some(base.into_iter().chain(rest.iter().cloned()).collect())
        }
        _ => None,
    }
}

/// Collects the paths of one module's items (not those of its submodules).
struct Collector {
    file: String,
    found: Vec<(Vec<String>, String)>,
    uses: Vec<(syn::UseTree, String)>,
}

impl Collector {
    fn at(&self, span: proc_macro2::Span) -> String {
        format!("{}:{}", self.file, span.start().line)
    }

    /// Paths such as `crate::a::b` inside a macro's tokens, which `syn` leaves unparsed.
    fn scan_tokens(&mut self, tokens: TokenStream) {
        let trees: Vec<TokenTree> = tokens.into_iter().collect();
        let mut index = 0;
        while index < trees.len() {
            match &trees[index] {
                TokenTree::Group(group) => self.scan_tokens(group.stream()),
                TokenTree::Ident(ident)
                    if matches!(ident.to_string().as_str(), "crate" | "super" | "self") =>
                {
                    let mut path = vec![ident.to_string()];
                    let mut next = index + 1;
                    while let (Some(TokenTree::Punct(a)), Some(TokenTree::Punct(b))) =
                        (trees.get(next), trees.get(next + 1))
                    {
                        if a.as_char() != ':' || b.as_char() != ':' {
                            break;
                        }
                        match trees.get(next + 2) {
                            Some(TokenTree::Ident(segment)) => {
                                path.push(segment.to_string());
                                next += 3;
                            }
                            _ => break,
                        }
                    }
                    if path.len() > 1 {
                        let at = self.at(ident.span());
                        self.found.push((path, at));
                    }
                    index = next;
                    continue;
                }
                _ => {}
            }
            index += 1;
        }
    }
}

impl<'ast> Visit<'ast> for Collector {
    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        let at = self.at(item.use_token.span);
        self.uses.push((item.tree.clone(), at));
    }

    fn visit_item_mod(&mut self, _: &'ast syn::ItemMod) {
        // Read as a module of its own.
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        let segments: Vec<String> = path
            .segments
            .iter()
            .map(|segment| segment.ident.to_string())
            .collect();
        if segments.len() > 1 && matches!(segments[0].as_str(), "crate" | "super" | "self") {
            let at = self.at(path.segments[0].ident.span());
            self.found.push((segments, at));
        }
        syn::visit::visit_path(self, path);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        self.scan_tokens(mac.tokens.clone());
        syn::visit::visit_macro(self, mac);
    }

    fn visit_attribute(&mut self, attr: &'ast syn::Attribute) {
        if let syn::Meta::List(list) = &attr.meta {
            self.scan_tokens(list.tokens.clone());
        }
        syn::visit::visit_attribute(self, attr);
    }
}

impl Crate {
    /// The module that defines what `path` names: through submodules and `use` items.
    fn resolve(&self, path: &[String]) -> ModPath {
        let mut module: ModPath = Vec::new();
        let mut rest: Vec<String> = path.to_vec();
        for _ in 0..64 {
            let Some(first) = rest.first().cloned() else {
                return module;
            };
            let Some(entry) = self.modules.get(&module) else {
                return module;
            };
            if entry.children.contains(&first) {
                module.push(first);
                rest.remove(0);
            } else if let Some(target) = entry.imports.get(&first) {
                let target = target.clone();
                rest = target.into_iter().chain(rest.into_iter().skip(1)).collect();
                module = Vec::new();
            } else if let Some(glob) = entry.globs.iter().find(|glob| {
                let globbed = self.resolve(glob);
                self.modules.get(&globbed).is_some_and(|inner| {
                    inner.children.contains(&first) || inner.imports.contains_key(&first)
                })
            }) {
                rest = glob.iter().cloned().chain(rest).collect();
                module = Vec::new();
            } else {
                return module;
            }
        }
        module
    }

    /// The edges between sibling modules, each with one reference that makes it.
    fn sibling_edges(&self) -> BTreeMap<(ModPath, ModPath), String> {
        let mut edges = BTreeMap::new();
        for reference in &self.references {
            let target = self.resolve(&reference.path);
            let from = &reference.from;
            let common = from.iter().zip(&target).take_while(|(a, b)| a == b).count();
            if common == from.len() || common == target.len() {
                continue; // an ancestor and its descendant
            }
            let a = from[..=common].to_vec();
            let b = target[..=common].to_vec();
            edges
                .entry((a, b))
                .or_insert_with(|| format!("{} names {}", reference.at, target.join("::")));
        }
        edges
    }
}

/// The cycles among sibling modules, each as the modules in order.
fn cycles(edges: &BTreeMap<(ModPath, ModPath), String>) -> Vec<Vec<ModPath>> {
    let mut graph: BTreeMap<&ModPath, Vec<&ModPath>> = BTreeMap::new();
    for (a, b) in edges.keys() {
        graph.entry(a).or_default().push(b);
        graph.entry(b).or_default();
    }
    // Tarjan's strongly connected components.
    struct State<'a> {
        index: BTreeMap<&'a ModPath, usize>,
        low: BTreeMap<&'a ModPath, usize>,
        stack: Vec<&'a ModPath>,
        next: usize,
        found: Vec<Vec<ModPath>>,
    }
    fn connect<'a>(
        node: &'a ModPath,
        graph: &BTreeMap<&'a ModPath, Vec<&'a ModPath>>,
        state: &mut State<'a>,
    ) {
        state.index.insert(node, state.next);
        state.low.insert(node, state.next);
        state.next += 1;
        state.stack.push(node);
        for &next in &graph[node] {
            if !state.index.contains_key(next) {
                connect(next, graph, state);
                let low = state.low[next].min(state.low[node]);
                state.low.insert(node, low);
            } else if state.stack.contains(&next) {
                let low = state.index[next].min(state.low[node]);
                state.low.insert(node, low);
            }
        }
        if state.low[node] == state.index[node] {
            let mut component = Vec::new();
            loop {
                let member = state.stack.pop().unwrap();
                component.push(member.clone());
                if member == node {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                state.found.push(component);
            }
        }
    }
    let mut state = State {
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        next: 0,
        found: Vec::new(),
    };
    let nodes: Vec<&ModPath> = graph.keys().copied().collect();
    for node in nodes {
        if !state.index.contains_key(node) {
            connect(node, &graph, &mut state);
        }
    }
    state.found
}

/// The root files of every library and binary target of the workspace's crates.
fn crate_roots() -> Vec<PathBuf> {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let mut roots = Vec::new();
    let members = [
        "chatlayer-macros",
        "chatlayer-runtime",
        "chatlayer-emulator",
        "examples/quickstart",
        "examples/embed-axum",
        "examples/lib-bin-split",
        "examples/booking",
        "bench",
    ];
    for member in members {
        let src = workspace.join(member).join("src");
        for root in ["lib.rs", "main.rs"] {
            if src.join(root).is_file() {
                roots.push(src.join(root));
            }
        }
        if let Ok(bins) = std::fs::read_dir(src.join("bin")) {
            for bin in bins.flatten() {
                roots.push(bin.path());
            }
        }
    }
    let tests_support = workspace.join("tests/support/lib.rs");
    roots.push(tests_support);
    roots
}

fn describe(module: &ModPath) -> String {
    if module.is_empty() {
        "crate".to_owned()
    } else {
        module.join("::")
    }
}

#[test]
fn no_module_imports_a_module_that_imports_it() {
    let mut problems = String::new();
    for root in crate_roots() {
        let krate = read_crate(&root);
        let edges = krate.sibling_edges();
        for cycle in cycles(&edges) {
            problems.push_str(&format!(
                "\n{}: these modules import each other in a circle:\n",
                root.display()
            ));
            for a in &cycle {
                for b in &cycle {
                    if let Some(why) = edges.get(&(a.clone(), b.clone())) {
                        problems.push_str(&format!(
                            "  {} -> {}: {why}\n",
                            describe(a),
                            describe(b)
                        ));
                    }
                }
            }
        }
    }
    assert!(
        problems.is_empty(),
        "dependencies must run one way (move the shared item into the lowest module that \
         needs it):{problems}"
    );
}

/// The checker itself: a circle through a `use` item, a path in code and a macro's tokens
/// is found; a module using its own submodule, or its parent, is not a circle.
#[test]
fn the_checker_finds_circles_and_only_circles() {
    let dir = std::env::temp_dir().join(format!("architecture-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("a")).unwrap();
    std::fs::write(
        dir.join("lib.rs"),
        "mod a; mod b; mod c; pub use a::Thing;\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("a/mod.rs"),
        "mod inner; pub struct Thing; fn f() { let _ = crate::b::g(); }\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("a/inner.rs"),
        "use super::Thing; fn h() -> Thing { Thing }\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("b.rs"),
        "pub fn g() { tracing::info!(\"{}\", crate::Thing::X); }\n",
    )
    .unwrap();
    std::fs::write(dir.join("c.rs"), "use crate::a::Thing;\n").unwrap();
    let krate = read_crate(&dir.join("lib.rs"));
    let edges = krate.sibling_edges();
    let found = cycles(&edges);
    std::fs::remove_dir_all(&dir).unwrap();
    let a = vec!["a".to_owned()];
    let b = vec!["b".to_owned()];
    assert_eq!(found, vec![vec![a.clone(), b.clone()]], "{edges:?}");
    assert!(edges.contains_key(&(vec!["c".to_owned()], a)));
}

/**
 * The model behind the API reference: every public symbol of every package entry point, read
 * from the emitted declarations with TypeScript 7's checker.
 *
 * The checker resolves what an entry exports (`export *`, `export { a as b }`, `export type *`,
 * `export * as ns`, declaration merging) exactly as a user's compiler will; the text of each
 * signature is sliced from the .d.ts itself, so it reads as the user's editor shows it.
 * @module
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, relative, sep } from "node:path";
import { API, SymbolFlags } from "typescript/unstable/sync";
import { NodeFlags, SyntaxKind } from "typescript/unstable/ast";
import { parseDoc } from "./jsdoc.js";

/** Kinds in the order the pages group them. */
export const KINDS = ["class", "function", "variable", "interface", "type", "enum", "namespace"];

/** Thrown when the declarations or package.json cannot be read as expected. */
export class ApiDocsError extends Error {
  name = "ApiDocsError";
}

/**
 * Reads package.json's `exports` and returns the API of each entry point that has types,
 * `cyclone` (".") first.
 */
export function collectApi({ root, distDir }) {
  const pkg = JSON.parse(readFileSync(`${root}/package.json`, "utf8"));
  const entries = entryPoints(pkg, root, distDir);
  for (const entry of entries) {
    if (!existsSync(entry.file)) {
      throw new ApiDocsError(`${relative(root, entry.file)} does not exist: run \`npm run build\` first`);
    }
  }
  const api = new API({ cwd: root });
  try {
    const snapshot = api.updateSnapshot({ openFiles: entries.map((e) => e.file) });
    const extracted = entries.map((entry) => extractEntry(snapshot, entry, root, distDir));
    assignHomes(extracted);
    return { package: pkg.name, version: pkg.version, entries: extracted.map(finishEntry) };
  } finally {
    api.close();
  }
}

function entryPoints(pkg, root, distDir) {
  const result = [];
  for (const [subpath, target] of Object.entries(pkg.exports ?? {})) {
    const types = typeof target === "object" && target !== null ? target.types : undefined;
    if (typeof types !== "string") continue;
    // A pattern (`./features/*`) stands for every module its folder holds.
    const stars = subpath.includes("*") ? patternMatches(types, root, distDir) : [""];
    for (const star of stars) {
      const sub = subpath.replace("*", star);
      const typesFile = types.replace("*", star);
      const name = sub === "." ? pkg.name : `${pkg.name}/${sub.replace(/^\.\//, "")}`;
      // package.json names the files under ./dist; --dist may point at another build of them.
      const file = typesFile.startsWith("./dist/") ? `${distDir}/${typesFile.slice("./dist/".length)}` : `${root}/${typesFile}`;
      result.push({ name, subpath: sub, types: typesFile.replace(/^\.\//, ""), file });
    }
  }
  result.sort((a, b) => (a.subpath === ".") === (b.subpath === ".") ? 0 : a.subpath === "." ? -1 : 1);
  return result;
}

/** What `*` stands for in an exports pattern such as `./dist/core/features/*.d.ts`: one per file. */
function patternMatches(types, root, distDir) {
  const path = types.startsWith("./dist/") ? `${distDir}/${types.slice("./dist/".length)}` : `${root}/${types}`;
  const star = path.indexOf("*");
  const dir = path.slice(0, path.lastIndexOf("/", star));
  const prefix = path.slice(dir.length + 1, star);
  const suffix = path.slice(star + 1);
  if (!existsSync(dir)) throw new ApiDocsError(`${relative(root, dir)} does not exist: run \`npm run build\` first`);
  return readdirSync(dir)
    .filter((f) => f.startsWith(prefix) && f.endsWith(suffix) && f.length > prefix.length + suffix.length)
    .map((f) => f.slice(prefix.length, f.length - suffix.length))
    .sort();
}

function extractEntry(snapshot, entry, root, distDir) {
  const project = snapshot.getDefaultProjectForFile(entry.file);
  const checker = project.checker;
  const sourceFile = project.program.getSourceFile(entry.file);
  const moduleSymbol = checker.getSymbolAtLocation(sourceFile);
  if (!moduleSymbol) throw new ApiDocsError(`${entry.file} is not a module`);
  const ctx = { checker, root, distDir };
  const symbols = checker.getExportsOfModule(moduleSymbol).map((s) => describeExport(ctx, s)).filter(Boolean);
  return {
    name: entry.name,
    subpath: entry.subpath,
    types: entry.types,
    source: sourceOf(root, distDir, entry.file),
    dir: dirname(entry.file) + sep,
    moduleDoc: moduleDocOf(sourceFile.text),
    all: symbols,
  };
}

/** The `@module` comment a declaration file opens with. */
function moduleDocOf(text) {
  const match = /^\s*(\/\*\*[\s\S]*?\*\/)/.exec(text);
  return match && /@module\b/.test(match[1]) ? parseDoc(match[1]) : parseDoc("");
}

function describeExport(ctx, exported) {
  const { checker } = ctx;
  const target = exported.flags & SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
  if (checker.isUnknownSymbol(target)) {
    throw new ApiDocsError(`cannot resolve the export ${exported.name}: are the declarations complete?`);
  }
  const nodes = target.declarations.map((d) => d.resolve()).filter(Boolean);
  if (nodes.length === 0) return undefined;
  const file = nodes[0].getSourceFile().fileName;
  const base = {
    name: exported.name,
    localName: target.name !== exported.name && target.name !== "default" ? target.name : undefined,
    key: `${file}#${target.name}`,
    declaration: relative(ctx.root, file),
    source: sourceOf(ctx.root, ctx.distDir, file),
    file,
  };
  if (nodes[0].kind === SyntaxKind.SourceFile) {
    // `export * as name from "./module.js"`: a namespace whose contents are that module's exports.
    const inner = checker.getExportsOfModule(target).map((s) => describeExport(ctx, s)).filter(Boolean);
    return { ...base, localName: undefined, kind: "namespace", signatures: [`namespace ${exported.name}`], doc: moduleDocOf(nodes[0].text), members: [], symbols: inner };
  }
  const primary = KINDS.map((k) => nodes.find((n) => kindOf(n) === k)).find(Boolean) ?? nodes[0];
  const kind = kindOf(primary);
  if (!kind) return undefined;
  const sameKind = nodes.filter((n) => kindOf(n) === kind);
  const signatures = [...new Set(sameKind.map((n) => signatureOf(n)))];
  const doc = mergeDocs(nodes.map(docOf));
  const members = kind === "class" || kind === "interface" || kind === "enum" ? membersOf(sameKind) : [];
  return { ...base, kind, signatures, heritage: heritageOf(sameKind), doc, members };
}

/** What a class or interface extends and implements, by name, for links to their pages. */
function heritageOf(declarations) {
  const result = [];
  for (const decl of declarations) {
    for (const clause of decl.heritageClauses ?? []) {
      const relation = clause.token === SyntaxKind.ImplementsKeyword ? "implements" : "extends";
      for (const type of clause.types) {
        const name = type.expression.getText();
        if (!result.some((h) => h.relation === relation && h.name === name)) result.push({ relation, name });
      }
    }
  }
  return result;
}

function kindOf(node) {
  switch (node.kind) {
    case SyntaxKind.ClassDeclaration: return "class";
    case SyntaxKind.FunctionDeclaration: return "function";
    case SyntaxKind.VariableDeclaration: return "variable";
    case SyntaxKind.InterfaceDeclaration: return "interface";
    case SyntaxKind.TypeAliasDeclaration: return "type";
    case SyntaxKind.EnumDeclaration: return "enum";
    case SyntaxKind.ModuleDeclaration: return "namespace";
    default: return undefined;
  }
}

/** The declaration's text as a user reads it: no `export`/`declare`, no body for classes. */
function signatureOf(node) {
  const sf = node.getSourceFile();
  const start = node.getStart(sf);
  let end = node.end;
  if (node.kind === SyntaxKind.VariableDeclaration) {
    const keyword = node.parent.flags & NodeFlags.Const ? "const" : node.parent.flags & NodeFlags.Let ? "let" : "var";
    return `${keyword} ${dedent(sf, start, sf.text.slice(start, end))}`;
  }
  if (node.members && node.kind !== SyntaxKind.TypeAliasDeclaration) {
    // Classes, interfaces and enums: the header only; the members get entries of their own.
    end = Math.max(node.name?.end ?? start, node.typeParameters?.end ?? start, node.heritageClauses?.end ?? start);
  }
  const text = dedent(sf, start, sf.text.slice(start, end)).replace(/^(?:export\s+)?(?:default\s+)?(?:declare\s+)?/, "");
  return text.replace(/;\s*$/, "");
}

/** Removes the indentation of the declaration's first line from its continuation lines. */
function dedent(sf, start, text) {
  const column = start - sf.text.lastIndexOf("\n", start - 1) - 1;
  if (column <= 0) return text.trimEnd();
  const pattern = new RegExp(`\\n[ \\t]{0,${column}}`, "g");
  return text.replace(pattern, "\n").trimEnd();
}

/** The doc comment closest to the node (a file's `@module` comment is not the node's). */
function docOf(node) {
  const holder = node.kind === SyntaxKind.VariableDeclaration ? node.parent.parent : node;
  const comments = (holder.jsDoc ?? []).map((c) => c.getText()).filter((t) => !/@module\b/.test(t));
  return parseDoc(comments.at(-1) ?? "");
}

/** Overloads and merged declarations: one doc, the first description, every example. */
function mergeDocs(docs) {
  const withText = docs.filter((d) => d.description || d.examples.length > 0 || d.tags.length > 0);
  if (withText.length <= 1) return withText[0] ?? docs[0] ?? parseDoc("");
  const first = withText.find((d) => d.description) ?? withText[0];
  const seen = new Set();
  const examples = withText.flatMap((d) => d.examples).filter((e) => !seen.has(e.code) && seen.add(e.code));
  const tags = withText.flatMap((d) => d.tags);
  return { ...first, examples, tags, internal: withText.every((d) => d.internal) };
}

function membersOf(declarations) {
  const groups = new Map();
  for (const decl of declarations) {
    for (const member of decl.members ?? []) {
      const info = memberInfo(member);
      if (!info) continue;
      const id = `${info.isStatic ? "static " : ""}${info.name}`;
      const group = groups.get(id) ?? { ...info, nodes: [] };
      group.nodes.push(member);
      groups.set(id, group);
    }
  }
  const result = [];
  for (const group of groups.values()) {
    const doc = mergeDocs(group.nodes.map(docOf));
    if (doc.internal) continue;
    const kinds = new Set(group.nodes.map((n) => n.kind));
    result.push({
      name: group.name,
      kind: memberKind(kinds),
      static: group.isStatic,
      protected: group.isProtected,
      signatures: [...new Set(group.nodes.map((n) => signatureOf(n)))],
      doc,
    });
  }
  return result;
}

function memberInfo(member) {
  const modifiers = new Set((member.modifiers ?? []).map((m) => m.kind));
  if (modifiers.has(SyntaxKind.PrivateKeyword)) return undefined;
  const info = { isStatic: modifiers.has(SyntaxKind.StaticKeyword), isProtected: modifiers.has(SyntaxKind.ProtectedKeyword) };
  switch (member.kind) {
    case SyntaxKind.Constructor: return { ...info, name: "constructor" };
    case SyntaxKind.IndexSignature: return { ...info, name: "[index]" };
    case SyntaxKind.CallSignature: return { ...info, name: "(call)" };
    case SyntaxKind.ConstructSignature: return { ...info, name: "new" };
    case SyntaxKind.ClassStaticBlockDeclaration:
    case SyntaxKind.SemicolonClassElement: return undefined;
  }
  const nameNode = member.name;
  if (!nameNode || nameNode.kind === SyntaxKind.PrivateIdentifier) return undefined;
  const name = nameNode.kind === SyntaxKind.ComputedPropertyName ? nameNode.getText() : nameNode.text;
  if (name.startsWith("_")) return undefined;
  return { ...info, name };
}

function memberKind(kinds) {
  if (kinds.has(SyntaxKind.Constructor)) return "constructor";
  if (kinds.has(SyntaxKind.MethodDeclaration) || kinds.has(SyntaxKind.MethodSignature)) return "method";
  if (kinds.has(SyntaxKind.GetAccessor)) return kinds.has(SyntaxKind.SetAccessor) ? "accessor" : "getter";
  if (kinds.has(SyntaxKind.SetAccessor)) return "setter";
  if (kinds.has(SyntaxKind.EnumMember)) return "enum member";
  if (kinds.has(SyntaxKind.IndexSignature)) return "index signature";
  if (kinds.has(SyntaxKind.CallSignature)) return "call signature";
  if (kinds.has(SyntaxKind.ConstructSignature)) return "construct signature";
  return "property";
}

/** src/ file a dist/ declaration was emitted from (or the declaration file, for dependencies). */
function sourceOf(root, distDir, file) {
  const rel = relative(distDir, file);
  if (!rel.startsWith("..")) {
    const candidate = `src/${rel.replace(/\.d\.ts$/, ".ts")}`;
    if (existsSync(`${root}/${candidate}`)) return candidate;
  }
  return relative(root, file);
}

/**
 * Each symbol is documented once, on its home page: the first entry point exporting it, except
 * that an entry whose folder holds the declaration wins over one that only re-exports it
 * (`Template` lives on `cyclone/template`, not on `cyclone/node` which also exports it).
 */
function assignHomes(entries) {
  const homes = new Map();
  const owns = (entry, symbol) => symbol.file.startsWith(entry.dir);
  for (const pass of [true, false]) {
    for (const entry of entries) {
      for (const symbol of entry.all) {
        if (!homes.has(symbol.key) && (!pass || owns(entry, symbol))) homes.set(symbol.key, entry.name);
      }
    }
  }
  for (const entry of entries) {
    entry.symbols = entry.all.filter((s) => homes.get(s.key) === entry.name);
    entry.reexports = entry.all
      .filter((s) => homes.get(s.key) !== entry.name && !s.doc.internal)
      .map((s) => ({ name: s.name, kind: s.kind, home: homes.get(s.key), homeName: homeName(entries, homes.get(s.key), s.key) }));
  }
}

function homeName(entries, home, key) {
  return entries.find((e) => e.name === home)?.all.find((s) => s.key === key)?.name;
}

function finishEntry(entry) {
  const strip = (s) => {
    const { key: _key, file: _file, ...rest } = s;
    return rest.symbols ? { ...rest, symbols: rest.symbols.map(strip) } : rest;
  };
  const symbols = entry.symbols.filter((s) => !s.doc.internal).map(strip);
  return {
    name: entry.name,
    subpath: entry.subpath,
    types: entry.types,
    source: entry.source,
    moduleDoc: entry.moduleDoc,
    symbols,
    reexports: entry.reexports,
    internal: entry.symbols.filter((s) => s.doc.internal).map((s) => s.name),
    undocumented: entry.all
      .filter((s) => !s.doc.description && !s.doc.internal)
      .map((s) => s.name)
      .sort((a, b) => a.localeCompare(b, "en", { sensitivity: "base" })),
    anyInSignatures: anyUses(entry.all),
  };
}

/** Public signatures that spell `any` (string literals and comments do not count). */
function anyUses(symbols, prefix = "") {
  const found = [];
  const hasAny = (text) => /(?<![\w$.])any(?![\w$])/.test(
    text.replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|`(?:[^`\\]|\\.)*`/g, ""),
  );
  for (const symbol of symbols) {
    const name = prefix + symbol.name;
    if (symbol.signatures.some(hasAny)) found.push(name);
    for (const member of symbol.members) if (member.signatures.some(hasAny)) found.push(`${name}.${member.name}`);
    if (symbol.symbols) found.push(...anyUses(symbol.symbols, `${name}.`));
  }
  return found;
}

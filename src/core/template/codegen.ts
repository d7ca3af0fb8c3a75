/**
 * Code generation: turns a parsed template (with its ancestors and includes) into the
 * source of one strict-mode JavaScript function, as Tornado's `_CodeWriter` turns it into
 * one Python function. Inheritance and includes are resolved here, at compile time: the
 * function of `page.html` contains its base's code with the blocks replaced, and the code
 * of every included file inline.
 *
 * Output is appended to one local string (`_tt_o`); `_tt_l` tracks the template position
 * so a run-time error can name the template and line. Compiler only.
 * @module
 */

import { ParseError } from "./errors.js";
import { analyzeGenerated, checkCatchBinding, checkExpression, splitFor } from "./javascript.js";
import type { CodeOrigin, Fragment } from "./javascript.js";
import type { BlockNode, Chunk, ParsedFile } from "./parser.js";
import { childBodies } from "./parser.js";
import type { TemplateLocation } from "./runtime.js";
import { filterWhitespace } from "./whitespace.js";

/** Loads the parsed file of a template named inside another (for extends and include). */
export type FileLoader = ((name: string, parentName: string) => ParsedFile) | null;

/** The generated source of a template and the positions it reports errors at. */
export interface GeneratedCode {
  /** A parenthesized function expression: `(function (_tt_ns, _tt_rt) { ... })`. */
  code: string;
  /** The template positions, indexed by the numbers the code stores in `_tt_l`. */
  locations: TemplateLocation[];
}

/** Literal code, user code (recorded as a fragment), or a mark that learns its offset. */
type Piece = string | { code: string; origin: CodeOrigin } | { mark: (offset: number) => void };

interface NamedBlock { node: BlockNode; file: ParsedFile }

class Writer {
  #out = "";
  #indent = 1;
  readonly fragments: Fragment[] = [];
  readonly locations: TemplateLocation[] = [];
  readonly #locationIndex = new Map<string, number>();
  /** Start offsets of template functions (render function, apply blocks). */
  readonly templateStarts = new Set<number>();
  /** Where each template function's hoisted `let` goes, by the function's start. */
  readonly hoistPoints = new Map<number, number>();
  current: ParsedFile;
  readonly includeStack: { file: ParsedFile; line: number }[] = [];
  /** Loop labels, innermost last: a label for a loop with an else block, else null. */
  readonly loops: (string | null)[] = [];
  readonly blockStack: string[] = [];
  #known = -1;
  #counter = 0;
  #pendingText = "";
  #pendingExpr: Piece[] | null = null;
  /** Text that follows the pending expression in the same statement. */
  #pendingTail = "";

  constructor(readonly namedBlocks: Map<string, NamedBlock>, readonly loadFile: FileLoader, root: ParsedFile) {
    this.current = root;
  }

  get length(): number {
    return this.#out.length;
  }

  get source(): string {
    return this.#out;
  }

  raw(text: string): void {
    this.#out += text;
  }

  unique(prefix: string): string {
    return `${prefix}${++this.#counter}`;
  }

  origin(line: number, tag: string): CodeOrigin {
    return { file: this.current.name, line, tag, via: this.via() };
  }

  via(): string {
    return this.includeStack
      .map((e) => `${e.file.name}:${e.line}`)
      .reverse()
      .join(", ");
  }

  location(line: number): number {
    const via = this.via();
    const key = `${this.current.name}\u0000${line}\u0000${via}`;
    let index = this.#locationIndex.get(key);
    if (index === undefined) {
      index = this.locations.length;
      this.locations.push([this.current.name, line, via]);
      this.#locationIndex.set(key, index);
    }
    return index;
  }

  /** Writes one line of code made of literal pieces and user-code fragments. */
  line(pieces: Piece[]): void {
    this.flush();
    this.#write(pieces);
  }

  #write(pieces: Piece[]): void {
    let text = "  ".repeat(this.#indent);
    for (const p of pieces) {
      if (typeof p === "string") {
        text += p;
      } else if ("mark" in p) {
        p.mark(this.#out.length + text.length);
      } else {
        const start = this.#out.length + text.length;
        text += p.code;
        this.fragments.push({ start, end: start + p.code.length, origin: p.origin, code: p.code });
      }
    }
    this.#out += text + "\n";
  }

  /** Records that the code about to run belongs to template line `line`. */
  at(line: number): void {
    this.flush();
    const index = this.location(line);
    if (index !== this.#known) {
      this.#write([`_tt_l = ${index};`]);
      this.#known = index;
    }
  }

  /** Forgets the known position: control flow may arrive here from elsewhere. */
  unknown(): void {
    this.#known = -1;
  }

  indent(delta: number): void {
    this.flush();
    this.#indent += delta;
  }

  text(value: string): void {
    if (!value) return;
    if (this.#pendingExpr) this.#pendingTail += value;
    else this.#pendingText += value;
  }

  /** Appends an expression's value; following text joins the same statement. */
  expression(pieces: Piece[]): void {
    this.flush();
    this.#pendingExpr = ["_tt_o += ", ...pieces];
  }

  flush(): void {
    if (this.#pendingExpr) {
      const pieces = this.#pendingExpr;
      const tail = this.#pendingTail;
      this.#pendingExpr = null;
      this.#pendingTail = "";
      this.#write([...pieces, tail ? ` + ${JSON.stringify(tail)};` : ";"]);
    } else if (this.#pendingText) {
      const text = this.#pendingText;
      this.#pendingText = "";
      this.#write([`_tt_o += ${JSON.stringify(text)};`]);
    }
  }

  /** Runs `body` with `file` as the current template, reached from `line` of the current. */
  include(file: ParsedFile, line: number, body: () => void): void {
    this.includeStack.push({ file: this.current, line });
    const saved = this.current;
    this.current = file;
    try {
      body();
    } finally {
      this.current = saved;
      this.includeStack.pop();
    }
  }
}

function ancestors(file: ParsedFile, loadFile: FileLoader): ParsedFile[] {
  const list = [file];
  for (const chunk of file.body) {
    if (chunk.kind !== "extends") continue;
    if (!loadFile) throw new ParseError("{% extends %} block found, but no template loader", { filename: file.name, lineno: chunk.line });
    list.push(...ancestors(loadFile(chunk.name, file.name), loadFile));
  }
  return list;
}

function findNamedBlocks(file: ParsedFile, body: readonly Chunk[], loadFile: FileLoader, found: Map<string, NamedBlock>): void {
  for (const chunk of body) {
    if (chunk.kind === "block") found.set(chunk.name, { node: chunk, file });
    if (chunk.kind === "include") {
      if (!loadFile) throw new ParseError("{% include %} block found, but no template loader", { filename: file.name, lineno: chunk.line });
      const included = loadFile(chunk.name, file.name);
      findNamedBlocks(included, included.body, loadFile, found);
    }
    for (const nested of childBodies(chunk)) findNamedBlocks(file, nested, loadFile, found);
  }
}

/**
 * Generates the function source of `file`, resolving `{% extends %}`, blocks and
 * `{% include %}` through `loadFile`. Checks every piece of JavaScript and raises
 * {@link ParseError} (template, line, problem) for the first that is wrong.
 */
export function generateCode(file: ParsedFile, loadFile: FileLoader): GeneratedCode {
  const chain = ancestors(file, loadFile).reverse();
  const named = new Map<string, NamedBlock>();
  for (const ancestor of chain) findNamedBlocks(ancestor, ancestor.body, loadFile, named);
  const root = chain[0]!;
  const w = new Writer(named, loadFile, root);

  w.raw("(");
  const renderStart = w.length;
  w.templateStarts.add(renderStart);
  w.raw("function (_tt_ns, _tt_rt) {\n");
  w.raw('  "use strict";\n  const _tt_s = _tt_rt.s, _tt_U = _tt_rt.U, _tt_nf = _tt_rt.nf, _tt_g = _tt_rt.g;\n');
  w.raw('  let _tt_o = "", _tt_l = 0;\n  try {\n');
  // Inside the try, so even a namespace getter that throws is reported as a TemplateError.
  const freePoint = w.length;
  w.hoistPoints.set(renderStart, freePoint);
  w.location(0);
  w.indent(1);
  generateBody(w, root.body);
  w.indent(-1);
  w.raw("  } catch (_tt_e) {\n    throw _tt_rt.fail(_tt_e, _tt_l);\n  }\n  return _tt_o;\n})");

  const source = w.source;
  const analysis = analyzeGenerated(source, w.templateStarts, w.fragments, root.name);
  const edits: { start: number; end: number; text: string }[] = [];
  if (analysis.free.length > 0) {
    const decls = analysis.free.map((n) => `${n} = _tt_g(_tt_ns, ${JSON.stringify(n)})`);
    edits.push({ start: freePoint, end: freePoint, text: `    const ${decls.join(", ")};\n` });
  }
  for (const [start, names] of analysis.hoisted) {
    const at = w.hoistPoints.get(start)!;
    edits.push({ start: at, end: at, text: `    let ${[...new Set(names)].join(", ")};\n` });
  }
  edits.push(...analysis.splices);
  // Stable sort: the free-name declarations stay before the hoisted ones at the same point.
  edits.sort((a, b) => a.start - b.start);
  let code = "";
  let pos = 0;
  for (const e of edits) {
    code += source.slice(pos, e.start) + e.text;
    pos = e.end;
  }
  code += source.slice(pos);
  return { code, locations: w.locations };
}

function generateBody(w: Writer, body: readonly Chunk[]): void {
  for (const chunk of body) generateChunk(w, chunk);
}

/** Generates `body` as a nested block: control may enter it from elsewhere. */
function nested(w: Writer, body: readonly Chunk[]): void {
  w.indent(1);
  w.unknown();
  generateBody(w, body);
  w.indent(-1);
}

function autoescapeOrigin(w: Writer): CodeOrigin {
  const file = w.current;
  return { file: file.name, line: file.autoescapeLine, tag: `{% autoescape ${file.autoescape ?? "None"} %}`, via: w.via() };
}

function generateChunk(w: Writer, c: Chunk): void {
  switch (c.kind) {
    case "text":
      // Tornado's heuristic: text containing <pre> keeps its whitespace.
      w.text(c.value.includes("<pre>") ? c.value : filterWhitespace(c.whitespace, c.value));
      return;
    case "expression":
    case "raw":
    case "module": {
      const origin = w.origin(c.line, c.tag);
      const code = c.kind === "module" ? `_tt_modules.${c.code}` : c.code;
      checkExpression(code, origin);
      w.at(c.line);
      const escape = c.kind === "expression" ? w.current.autoescape : null;
      if (escape === null) {
        w.expression(["_tt_s((", { code, origin }, "))"]);
      } else {
        const escapeOrigin = autoescapeOrigin(w);
        checkExpression(escape, escapeOrigin);
        w.expression(["(", { code: escape, origin: escapeOrigin }, ")(_tt_s((", { code, origin }, ")))"]);
      }
      return;
    }
    case "set": {
      const origin = w.origin(c.line, c.tag);
      checkExpression(c.code, origin);
      w.at(c.line);
      w.line(["(", { code: c.code, origin }, ");"]);
      return;
    }
    case "if": {
      c.branches.forEach((b, i) => {
        const origin = w.origin(b.line, b.tag);
        checkExpression(b.code, origin);
        if (i === 0) {
          w.at(b.line);
          w.line(["if (", { code: b.code, origin }, ") {"]);
        } else {
          w.line([`} else if ((_tt_l = ${w.location(b.line)}, `, { code: b.code, origin }, ")) {"]);
        }
        nested(w, b.body);
      });
      if (c.orelse) {
        w.line(["} else {"]);
        nested(w, c.orelse);
      }
      w.line(["}"]);
      w.unknown();
      return;
    }
    case "for":
    case "while": {
      const origin = w.origin(c.line, c.tag);
      const label = c.orelse ? w.unique(c.kind === "for" ? "_tt_for" : "_tt_while") : null;
      if (label) {
        w.line([`${label}: {`]);
        w.indent(1);
      }
      if (c.kind === "for") {
        const { target, iterable, iterableOrigin } = splitFor(c.spec, origin);
        w.at(c.line);
        w.line(["for (", { code: target, origin }, " of (", { code: iterable, origin: iterableOrigin }, ")) {"]);
      } else {
        checkExpression(c.code, origin);
        w.line([`while ((_tt_l = ${w.location(c.line)}, `, { code: c.code, origin }, ")) {"]);
      }
      w.loops.push(label);
      nested(w, c.body);
      w.loops.pop();
      w.line(["}"]);
      if (label && c.orelse) {
        w.unknown();
        generateBody(w, c.orelse);
        w.indent(-1);
        w.line(["}"]);
      }
      w.unknown();
      return;
    }
    case "break":
    case "continue": {
      const label = w.loops[w.loops.length - 1];
      w.line([c.kind === "break" && label ? `break ${label};` : `${c.kind};`]);
      return;
    }
    case "try": {
      // Python's try/except/else/finally: the else part runs when the body finished
      // without raising, outside the except's reach; a flag set at the body's end says so.
      const ok = c.orelse ? w.unique("_tt_ok") : null;
      if (c.finalizer) {
        w.line(["try {"]);
        w.indent(1);
      }
      if (ok) w.line([`let ${ok} = false;`]);
      if (c.handler) w.line(["try {"]);
      nested(w, c.body);
      if (ok) w.line([`  ${ok} = true;`]);
      if (c.handler) {
        const h = c.handler;
        const origin = w.origin(h.line, h.tag);
        if (h.binding) {
          checkCatchBinding(h.binding, origin);
          w.line(["} catch (", { code: h.binding, origin }, ") {"]);
        } else {
          w.line(["} catch {"]);
        }
        nested(w, h.body);
        w.line(["}"]);
      }
      if (ok && c.orelse) {
        w.line([`if (${ok}) {`]);
        nested(w, c.orelse);
        w.line(["}"]);
      }
      if (c.finalizer) {
        w.indent(-1);
        w.line(["} finally {"]);
        nested(w, c.finalizer);
        w.line(["}"]);
      }
      w.unknown();
      return;
    }
    case "apply": {
      // A nested function, as in Tornado: its output is collected apart and passed to the
      // function; names it assigns are its own.
      const origin = w.origin(c.line, c.tag);
      checkExpression(c.code, origin);
      w.at(c.line);
      let start = -1;
      w.line(["_tt_o += _tt_s((", { code: c.code, origin }, ")((", { mark: (offset) => (start = offset) }, "() => {"]);
      w.templateStarts.add(start);
      w.indent(1);
      w.line(['let _tt_o = "";']);
      w.hoistPoints.set(start, w.length);
      const loops = w.loops.splice(0);
      w.unknown();
      generateBody(w, c.body);
      w.loops.push(...loops);
      w.at(c.line);
      w.line(["return _tt_o;"]);
      w.indent(-1);
      w.line(["})()));"]);
      return;
    }
    case "block": {
      const block = w.namedBlocks.get(c.name)!;
      if (w.blockStack.includes(c.name)) {
        throw new ParseError(`block ${c.name} contains itself`, { filename: w.current.name, lineno: c.line, via: w.via() });
      }
      w.include(block.file, c.line, () => {
        w.blockStack.push(c.name);
        generateBody(w, block.node.body);
        w.blockStack.pop();
      });
      return;
    }
    case "include": {
      if (!w.loadFile) throw new ParseError("{% include %} block found, but no template loader", { filename: w.current.name, lineno: c.line });
      const included = w.loadFile(c.name, w.current.name);
      if (included.body.some((chunk) => chunk.kind === "extends")) {
        throw new ParseError(`cannot include ${included.name}: it uses {% extends %}`, { filename: w.current.name, lineno: c.line, via: w.via() });
      }
      w.include(included, c.line, () => generateBody(w, included.body));
      return;
    }
    case "extends":
      // Resolved before generation: only the root of the chain is generated.
      return;
  }
}

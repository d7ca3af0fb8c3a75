/**
 * The template parser: turns template text into a tree of directives, following Tornado's
 * `_parse` token by token (its brace rules, `{{!` escapes, error messages and line
 * numbers). JavaScript inside the directives is kept as text here; the compiler checks it.
 * @module
 */

import { ParseError } from "./errors.js";
import { filterWhitespace, pyStrip } from "./whitespace.js";
import type { WhitespaceMode } from "./whitespace.js";

/** Literal text, with the whitespace mode in force where it appeared. */
export interface TextNode { kind: "text"; value: string; line: number; whitespace: string }
/** `{{ code }}` or `{% raw code %}` (`raw`), or `{% module code %}`. */
export interface ExpressionNode { kind: "expression" | "raw" | "module"; code: string; line: number; tag: string }
/** `{% set code %}`. */
export interface SetNode { kind: "set"; code: string; line: number; tag: string }
/** One condition of an `if` chain. */
export interface Branch { code: string; line: number; tag: string; body: Chunk[] }
/** `{% if %}...{% elif %}...{% else %}...{% end %}`. */
export interface IfNode { kind: "if"; line: number; branches: Branch[]; orelse: Chunk[] | null }
/** `{% for target in iterable %}...{% else %}...{% end %}`; `spec` is the text after `for`. */
export interface ForNode { kind: "for"; spec: string; line: number; tag: string; body: Chunk[]; orelse: Chunk[] | null }
/** `{% while code %}...{% else %}...{% end %}`. */
export interface WhileNode { kind: "while"; code: string; line: number; tag: string; body: Chunk[]; orelse: Chunk[] | null }
/** The `{% except binding %}` part of a `try`. */
export interface ExceptClause { binding: string; line: number; tag: string; body: Chunk[] }
/** `{% try %}...{% except %}...{% else %}...{% finally %}...{% end %}`. */
export interface TryNode {
  kind: "try";
  line: number;
  body: Chunk[];
  handler: ExceptClause | null;
  orelse: Chunk[] | null;
  finalizer: Chunk[] | null;
}
/** `{% apply code %}...{% end %}`. */
export interface ApplyNode { kind: "apply"; code: string; line: number; tag: string; body: Chunk[] }
/** `{% block name %}...{% end %}`. */
export interface BlockNode { kind: "block"; name: string; line: number; body: Chunk[] }
/** `{% extends "name" %}` or `{% include "name" %}`. */
export interface ReferenceNode { kind: "extends" | "include"; name: string; line: number }
/** `{% break %}` or `{% continue %}`. */
export interface JumpNode { kind: "break" | "continue"; line: number }

/** Any node of a parsed template. */
export type Chunk =
  | TextNode | ExpressionNode | SetNode | IfNode | ForNode | WhileNode | TryNode
  | ApplyNode | BlockNode | ReferenceNode | JumpNode;

/** A parsed template file. */
export interface ParsedFile {
  /** The template's name. */
  name: string;
  /** Its top-level nodes. */
  body: Chunk[];
  /** The autoescape function in force for the whole file (its last `{% autoescape %}`). */
  autoescape: string | null;
  /** The line of that `{% autoescape %}` directive, or 0 for the loader's default. */
  autoescapeLine: number;
}

class Reader {
  pos = 0;
  line = 1;
  whitespace: string;
  constructor(readonly name: string, readonly text: string, whitespace: string) {
    this.whitespace = whitespace;
  }
  /** Index of `needle` at or after `start`, relative to the current position; -1 if none. */
  find(needle: string, start = 0): number {
    const index = this.text.indexOf(needle, this.pos + start);
    return index === -1 ? -1 : index - this.pos;
  }
  consume(count = this.text.length - this.pos): string {
    const end = this.pos + count;
    const s = this.text.slice(this.pos, end);
    for (let i = s.indexOf("\n"); i !== -1; i = s.indexOf("\n", i + 1)) this.line++;
    this.pos = end;
    return s;
  }
  remaining(): number {
    return this.text.length - this.pos;
  }
  at(offset: number): string {
    return this.text.charAt(this.pos + offset);
  }
  fail(message: string): never {
    throw new ParseError(message, { filename: this.name, lineno: this.line });
  }
}

const INTERMEDIATE: Record<string, readonly string[]> = {
  else: ["if", "for", "while", "try"],
  elif: ["if"],
  except: ["try"],
  finally: ["try"],
};

function setRepr(names: readonly string[]): string {
  return `{${names.map((n) => `'${n}'`).join(", ")}}`;
}

/** Python's `str.strip(chars)` for a single character. */
function stripChar(text: string, char: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && text[start] === char) start++;
  while (end > start && text[end - 1] === char) end--;
  return text.slice(start, end);
}

/** Where a parsed body stopped: at end of input, `{% end %}`, or an intermediate tag. */
interface Stop { op: string; suffix: string; line: number; tag: string }

/**
 * Parses `text` as the template `name`. `whitespace` is the initial mode and `autoescape`
 * the default autoescape function (both may be changed by directives in the file).
 *
 * @example
 * parseTemplate("t.html", "Hi {{ name }}", "single", "xhtmlEscape").body.length; // 2
 */
export function parseTemplate(name: string, text: string, whitespace: WhitespaceMode, autoescape: string | null): ParsedFile {
  const file: ParsedFile = { name, body: [], autoescape, autoescapeLine: 0 };
  const reader = new Reader(name, text, whitespace);
  file.body = parseBody(reader, file, null, false).chunks;
  for (const chunk of file.body) checkNoNestedExtends(chunk, true, reader);
  return file;
}

function checkNoNestedExtends(chunk: Chunk, topLevel: boolean, reader: Reader): void {
  if (chunk.kind === "extends" && !topLevel) {
    throw new ParseError("{% extends %} must be at the top level of the template", { filename: reader.name, lineno: chunk.line });
  }
  for (const body of childBodies(chunk)) for (const c of body) checkNoNestedExtends(c, false, reader);
}

/** The bodies nested in a node (for walks over the tree). */
export function childBodies(chunk: Chunk): Chunk[][] {
  switch (chunk.kind) {
    case "if":
      return [...chunk.branches.map((b) => b.body), ...(chunk.orelse ? [chunk.orelse] : [])];
    case "for":
    case "while":
      return chunk.orelse ? [chunk.body, chunk.orelse] : [chunk.body];
    case "try":
      return [chunk.body, chunk.handler?.body ?? [], chunk.orelse ?? [], chunk.finalizer ?? []];
    case "apply":
    case "block":
      return [chunk.body];
    default:
      return [];
  }
}

function parseBody(reader: Reader, file: ParsedFile, inBlock: string | null, inLoop: boolean): { chunks: Chunk[]; stop: Stop | null } {
  const chunks: Chunk[] = [];
  const text = (value: string): void => {
    chunks.push({ kind: "text", value, line: reader.line, whitespace: reader.whitespace });
  };
  for (;;) {
    // Find the next directive: "{{", "{%" or "{#"; with three or more curlies in a row the
    // innermost two count (as in Tornado, for languages such as LaTeX).
    let curly = 0;
    for (;;) {
      curly = reader.find("{", curly);
      if (curly === -1 || curly + 1 === reader.remaining()) {
        if (inBlock) reader.fail(`Missing {% end %} block for ${inBlock}`);
        text(reader.consume());
        return { chunks, stop: null };
      }
      const next = reader.at(curly + 1);
      if (next !== "{" && next !== "%" && next !== "#") {
        curly++;
        continue;
      }
      if (curly + 2 < reader.remaining() && next === "{" && reader.at(curly + 2) === "{") {
        curly++;
        continue;
      }
      break;
    }
    if (curly > 0) text(reader.consume(curly));

    const startBrace = reader.consume(2);
    const line = reader.line;
    if (reader.remaining() > 0 && reader.at(0) === "!") {
      reader.consume(1);
      text(startBrace);
      continue;
    }
    if (startBrace === "{#") {
      const end = reader.find("#}");
      if (end === -1) reader.fail("Missing end comment #}");
      reader.consume(end);
      reader.consume(2);
      continue;
    }
    if (startBrace === "{{") {
      const end = reader.find("}}");
      if (end === -1) reader.fail("Missing end expression }}");
      const contents = pyStrip(reader.consume(end));
      reader.consume(2);
      if (!contents) reader.fail("Empty expression");
      chunks.push({ kind: "expression", code: contents, line, tag: `{{ ${contents} }}` });
      continue;
    }

    const end = reader.find("%}");
    if (end === -1) reader.fail("Missing end block %}");
    const contents = pyStrip(reader.consume(end));
    reader.consume(2);
    if (!contents) reader.fail("Empty block tag ({% %})");
    const space = contents.indexOf(" ");
    const op = space === -1 ? contents : contents.slice(0, space);
    const suffix = space === -1 ? "" : pyStrip(contents.slice(space + 1));
    const tag = `{% ${contents} %}`;

    const parents = INTERMEDIATE[op];
    if (parents !== undefined) {
      if (!inBlock) reader.fail(`${op} outside ${setRepr(parents)} block`);
      if (!parents.includes(inBlock)) reader.fail(`${op} block cannot be attached to ${inBlock} block`);
      return { chunks, stop: { op, suffix, line, tag } };
    }
    if (op === "end") {
      if (!inBlock) reader.fail("Extra {% end %} block");
      return { chunks, stop: { op, suffix, line, tag } };
    }
    switch (op) {
      case "comment":
        continue;
      case "extends":
      case "include": {
        const target = stripChar(stripChar(suffix, '"'), "'");
        if (!target) reader.fail(`${op} missing file path`);
        chunks.push({ kind: op, name: target, line });
        continue;
      }
      case "import":
      case "from":
        return reader.fail(`${op} is not supported: templates are JavaScript; pass modules and functions in the namespace`);
      case "set":
        if (!suffix) reader.fail("set missing statement");
        chunks.push({ kind: "set", code: suffix, line, tag });
        continue;
      case "autoescape":
        if (!suffix) reader.fail("autoescape missing function name (use None or null to turn escaping off)");
        file.autoescape = suffix === "None" || suffix === "null" ? null : suffix;
        file.autoescapeLine = line;
        continue;
      case "whitespace":
        try {
          filterWhitespace(suffix, "");
        } catch {
          reader.fail(`invalid whitespace mode ${suffix}`);
        }
        reader.whitespace = suffix;
        continue;
      case "raw":
      case "module":
        if (!suffix) reader.fail(`${op} missing expression`);
        chunks.push({ kind: op, code: suffix, line, tag });
        continue;
      case "break":
      case "continue":
        if (!inLoop) reader.fail(`${op} outside ${setRepr(["for", "while"])} block`);
        if (suffix) reader.fail(`${op} takes no argument`);
        chunks.push({ kind: op, line });
        continue;
      case "apply":
      case "block":
      case "if":
      case "for":
      case "while":
      case "try":
        chunks.push(parseCompound(reader, file, op, suffix, line, tag, inLoop));
        continue;
      default:
        reader.fail(`unknown operator: '${op}'`);
    }
  }
}

function parseCompound(reader: Reader, file: ParsedFile, op: string, suffix: string, line: number, tag: string, inLoop: boolean): Chunk {
  // A loop body may break; an apply body is a function of its own, so it may not (as Tornado).
  const loop = op === "for" || op === "while" ? true : op === "apply" ? false : inLoop;
  const first = parseBody(reader, file, op, loop);
  const stopAt = (stop: Stop | null, message: string): never => {
    throw new ParseError(message, { filename: reader.name, lineno: stop?.line ?? line });
  };
  switch (op) {
    case "apply":
    case "block":
      if (!suffix) reader.fail(op === "apply" ? "apply missing method name" : "block missing name");
      return op === "apply" ? { kind: "apply", code: suffix, line, tag, body: first.chunks } : { kind: "block", name: suffix, line, body: first.chunks };
    case "if": {
      if (!suffix) stopAt(null, "if missing condition");
      const node: IfNode = { kind: "if", line, branches: [{ code: suffix, line, tag, body: first.chunks }], orelse: null };
      let stop = first.stop;
      while (stop && stop.op !== "end") {
        const part = parseBody(reader, file, op, loop);
        if (node.orelse) stopAt(stop, `${stop.op} block after else block`);
        if (stop.op === "elif") {
          if (!stop.suffix) stopAt(stop, "elif missing condition");
          node.branches.push({ code: stop.suffix, line: stop.line, tag: stop.tag, body: part.chunks });
        } else {
          node.orelse = part.chunks;
        }
        stop = part.stop;
      }
      return node;
    }
    case "for":
    case "while": {
      if (!suffix) stopAt(null, op === "for" ? "for missing loop specification" : "while missing condition");
      let orelse: Chunk[] | null = null;
      let stop = first.stop;
      while (stop && stop.op !== "end") {
        // Only "else" reaches here for a loop; a second one is an error.
        const part = parseBody(reader, file, op, loop);
        if (orelse) stopAt(stop, `${op} block has more than one else block`);
        orelse = part.chunks;
        stop = part.stop;
      }
      return op === "for"
        ? { kind: "for", spec: suffix, line, tag, body: first.chunks, orelse }
        : { kind: "while", code: suffix, line, tag, body: first.chunks, orelse };
    }
    default: {
      if (suffix) stopAt(null, "try takes no argument");
      const node: TryNode = { kind: "try", line, body: first.chunks, handler: null, orelse: null, finalizer: null };
      let stop = first.stop;
      while (stop && stop.op !== "end") {
        const part = parseBody(reader, file, op, loop);
        if (node.finalizer) stopAt(stop, `${stop.op} block after finally block`);
        if (stop.op === "except") {
          if (node.handler) stopAt(stop, "only one except block is allowed (JavaScript has one catch)");
          if (node.orelse) stopAt(stop, "except block after else block");
          node.handler = { binding: stop.suffix, line: stop.line, tag: stop.tag, body: part.chunks };
        } else if (stop.op === "else") {
          if (!node.handler) stopAt(stop, "else block in try needs an except block before it");
          if (node.orelse) stopAt(stop, "try block has more than one else block");
          node.orelse = part.chunks;
        } else {
          node.finalizer = part.chunks;
        }
        stop = part.stop;
      }
      if (!node.handler && !node.finalizer) reader.fail("try block needs an except or finally block");
      return node;
    }
  }
}

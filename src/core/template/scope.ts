/**
 * Scope analysis of a template's generated function, over acorn's ESTree: finds every name
 * the template reads without declaring it (its free names), the names a template assigns
 * (hoisted to `let` declarations of the template function, as Python makes them locals of
 * Tornado's generated function), and the rewrites that make a use of an unknown name raise
 * "name is not defined" where it is evaluated.
 *
 * Compiler only.
 * @module
 */

import { parse } from "acorn";

/** An ESTree node as acorn produces it. */
interface Node {
  type: string;
  start: number;
  end: number;
  [key: string]: unknown;
}

function isNode(value: unknown): value is Node {
  return typeof value === "object" && value !== null && typeof (value as Node).type === "string";
}

function child(node: Node, key: string): Node | null {
  const value = node[key];
  return isNode(value) ? value : null;
}

function children(node: Node, key: string): (Node | null)[] {
  const value = node[key];
  return Array.isArray(value) ? value.map((v) => (isNode(v) ? v : null)) : [];
}

class Scope {
  readonly names = new Set<string>();
  constructor(
    readonly parent: Scope | null,
    readonly isFunction: boolean,
    /** Set on the scope of a template function (the render function or an apply block). */
    readonly templateStart: number | null,
  ) {}

  resolve(name: string): Scope | null {
    for (let s: Scope | null = this; s; s = s.parent) if (s.names.has(name)) return s;
    return null;
  }

  functionScope(): Scope {
    let s: Scope = this;
    while (!s.isFunction && s.parent) s = s.parent;
    return s;
  }
}

type Role = "read" | "write" | "readwrite" | "typeof" | "shorthand";

interface Reference { id: Node; name: string; scope: Scope; role: Role }

/** A text replacement in the generated code. */
export interface Splice { start: number; end: number; text: string }

/** What {@link analyzeScopes} found. */
export interface ScopeAnalysis {
  /** Names read but declared nowhere, in order of first use. */
  free: string[];
  /** For each template function (by start offset), the names it assigns, to declare with `let`. */
  hoisted: Map<number, string[]>;
  /** Rewrites of the uses of free names. */
  splices: Splice[];
}

// Global value properties that are not writable: reading them needs no lookup.
const IMMUTABLE_GLOBALS = new Set(["undefined", "NaN", "Infinity"]);

/** Raised by {@link analyzeScopes} for a name a template may not use as it does. */
export class ScopeProblem extends Error {
  override name = "ScopeProblem";
  constructor(message: string, readonly pos: number) {
    super(message);
  }
}

/**
 * Analyzes the generated function `code`. `templateStarts` holds the start offsets of the
 * function nodes that are template functions (the render function and apply blocks).
 * Throws acorn's SyntaxError (with `pos`) or a {@link ScopeProblem}.
 */
export function analyzeScopes(code: string, templateStarts: ReadonlySet<number>): ScopeAnalysis {
  const program = parse(code, { ecmaVersion: "latest", sourceType: "script" }) as unknown as Node;
  const refs: Reference[] = [];
  const ref = (id: Node, scope: Scope, role: Role): void => {
    refs.push({ id, name: id["name"] as string, scope, role });
  };

  const visitPattern = (node: Node | null, scope: Scope, declare: Scope | null): void => {
    if (!node) return;
    switch (node.type) {
      case "Identifier":
        if (declare) declare.names.add(node["name"] as string);
        else ref(node, scope, "write");
        return;
      case "ObjectPattern":
        for (const p of children(node, "properties")) {
          if (!p) continue;
          if (p.type === "RestElement") visitPattern(child(p, "argument"), scope, declare);
          else {
            if (p["computed"]) visit(child(p, "key"), scope);
            visitPattern(child(p, "value"), scope, declare);
          }
        }
        return;
      case "ArrayPattern":
        for (const e of children(node, "elements")) visitPattern(e, scope, declare);
        return;
      case "AssignmentPattern":
        visitPattern(child(node, "left"), scope, declare);
        visit(child(node, "right"), scope);
        return;
      case "RestElement":
        visitPattern(child(node, "argument"), scope, declare);
        return;
      default:
        // A member expression as an assignment target: its parts are reads.
        visit(node, scope);
    }
  };

  const visitFunction = (node: Node, scope: Scope): void => {
    const isArrow = node.type === "ArrowFunctionExpression";
    const templateStart = templateStarts.has(node.start) ? node.start : null;
    const id = child(node, "id");
    let outer = scope;
    if (id && node.type === "FunctionExpression") {
      // A function expression's own name is visible only inside it.
      outer = new Scope(scope, false, null);
      outer.names.add(id["name"] as string);
    } else if (id) {
      scope.names.add(id["name"] as string);
    }
    const fn = new Scope(outer, true, templateStart);
    // `arguments` belongs to user functions; the template's own would leak generated state.
    if (!isArrow && templateStart === null) fn.names.add("arguments");
    for (const p of children(node, "params")) visitPattern(p, fn, fn);
    const body = child(node, "body");
    if (body?.type === "BlockStatement") for (const s of children(body, "body")) visit(s, fn);
    else visit(body, fn);
  };

  const visitClass = (node: Node, scope: Scope): void => {
    const id = child(node, "id");
    let inner = scope;
    if (id) {
      if (node.type === "ClassDeclaration") scope.names.add(id["name"] as string);
      inner = new Scope(scope, false, null);
      inner.names.add(id["name"] as string);
    }
    visit(child(node, "superClass"), scope);
    const body = child(node, "body");
    for (const member of body ? children(body, "body") : []) {
      if (!member) continue;
      if (member["computed"]) visit(child(member, "key"), inner);
      if (member.type === "StaticBlock") {
        const block = new Scope(inner, true, null);
        for (const s of children(member, "body")) visit(s, block);
      } else {
        visit(child(member, "value"), new Scope(inner, true, null));
      }
    }
  };

  const visitDeclaration = (node: Node, scope: Scope): void => {
    const target = node["kind"] === "var" ? scope.functionScope() : scope;
    for (const d of children(node, "declarations")) {
      if (!d) continue;
      visitPattern(child(d, "id"), scope, target);
      visit(child(d, "init"), scope);
    }
  };

  const visit = (node: Node | null, scope: Scope): void => {
    if (!node) return;
    switch (node.type) {
      case "Identifier":
        ref(node, scope, "read");
        return;
      case "Literal":
      case "ThisExpression":
      case "Super":
      case "MetaProperty":
      case "BreakStatement":
      case "ContinueStatement":
      case "EmptyStatement":
      case "DebuggerStatement":
      case "PrivateIdentifier":
        return;
      case "MemberExpression":
        visit(child(node, "object"), scope);
        if (node["computed"]) visit(child(node, "property"), scope);
        return;
      case "Property": {
        if (node["computed"]) visit(child(node, "key"), scope);
        const value = child(node, "value");
        if (node["shorthand"] && value?.type === "Identifier") ref(value, scope, "shorthand");
        else visit(value, scope);
        return;
      }
      case "UnaryExpression": {
        const arg = child(node, "argument");
        if (node["operator"] === "typeof" && arg?.type === "Identifier") ref(arg, scope, "typeof");
        else visit(arg, scope);
        return;
      }
      case "AssignmentExpression": {
        const left = child(node, "left");
        if (node["operator"] === "=") visitPattern(left, scope, null);
        else if (left?.type === "Identifier") ref(left, scope, "readwrite");
        else visit(left, scope);
        visit(child(node, "right"), scope);
        return;
      }
      case "UpdateExpression": {
        const arg = child(node, "argument");
        if (arg?.type === "Identifier") ref(arg, scope, "readwrite");
        else visit(arg, scope);
        return;
      }
      case "FunctionExpression":
      case "FunctionDeclaration":
      case "ArrowFunctionExpression":
        visitFunction(node, scope);
        return;
      case "ClassExpression":
      case "ClassDeclaration":
        visitClass(node, scope);
        return;
      case "VariableDeclaration":
        visitDeclaration(node, scope);
        return;
      case "LabeledStatement":
        visit(child(node, "body"), scope);
        return;
      case "BlockStatement":
      case "StaticBlock": {
        const block = new Scope(scope, false, null);
        for (const s of children(node, "body")) visit(s, block);
        return;
      }
      case "ForStatement": {
        const loop = new Scope(scope, false, null);
        visit(child(node, "init"), loop);
        visit(child(node, "test"), loop);
        visit(child(node, "update"), loop);
        visit(child(node, "body"), loop);
        return;
      }
      case "ForInStatement":
      case "ForOfStatement": {
        const loop = new Scope(scope, false, null);
        const left = child(node, "left");
        if (left?.type === "VariableDeclaration") visitDeclaration(left, loop);
        else visitPattern(left, loop, null);
        visit(child(node, "right"), loop);
        visit(child(node, "body"), loop);
        return;
      }
      case "CatchClause": {
        const clause = new Scope(scope, false, null);
        visitPattern(child(node, "param"), clause, clause);
        visit(child(node, "body"), clause);
        return;
      }
      case "SwitchStatement": {
        visit(child(node, "discriminant"), scope);
        const block = new Scope(scope, false, null);
        for (const c of children(node, "cases")) visit(c, block);
        return;
      }
      default:
        for (const key of Object.keys(node)) {
          if (key === "type" || key === "start" || key === "end") continue;
          const value = node[key];
          if (Array.isArray(value)) for (const v of value) visit(isNode(v) ? v : null, scope);
          else if (isNode(value)) visit(value, scope);
        }
    }
  };

  const top = new Scope(null, true, null);
  for (const s of children(program, "body")) visit(s, top);

  // Assignments directly in a template function declare the name there (hoisted), before
  // any reference is resolved, so a read above the assignment sees the local too.
  const hoisted = new Map<number, string[]>();
  for (const r of refs) {
    if ((r.role !== "write" && r.role !== "readwrite") || r.scope.resolve(r.name)) continue;
    const fn = r.scope.functionScope();
    if (fn.templateStart === null || IMMUTABLE_GLOBALS.has(r.name)) continue;
    fn.names.add(r.name);
    const list = hoisted.get(fn.templateStart) ?? [];
    list.push(r.name);
    hoisted.set(fn.templateStart, list);
  }

  const free: string[] = [];
  const seen = new Set<string>();
  const splices: Splice[] = [];
  for (const r of refs) {
    if (r.scope.resolve(r.name)) continue;
    if (r.role === "write" || r.role === "readwrite") {
      throw new ScopeProblem(`cannot assign to ${r.name}: only names set in the template itself (with {% set %}) can be assigned`, r.id.start);
    }
    if (IMMUTABLE_GLOBALS.has(r.name)) continue;
    if (r.name === "arguments" || r.name === "eval") throw new ScopeProblem(`${r.name} cannot be used in a template`, r.id.start);
    if (!seen.has(r.name)) {
      seen.add(r.name);
      free.push(r.name);
    }
    const n = r.name;
    const checked = `(${n} === _tt_U ? _tt_nf(${JSON.stringify(n)}) : ${n})`;
    const text = r.role === "typeof" ? `(${n} === _tt_U ? undefined : ${n})` : r.role === "shorthand" ? `${n}: ${checked}` : checked;
    splices.push({ start: r.id.start, end: r.id.end, text });
  }
  return { free, hoisted, splices };
}

/**
 * The route index — how a `RuleRouter` finds the first rule, in declaration order, whose
 * pattern matches a path, without trying every rule's regex in turn.
 *
 * Path rules hang in a trie of path segments. A simple pattern (literal segments and
 * one-segment groups such as `([^/]+)` or `(\d+)`) ends at a node and is matched by walking
 * the path with `indexOf("/")`, no regex; any other pattern whose literal start covers whole
 * segments (`/static/(.*)` under `static`) hangs at the deepest node that start reaches and
 * is tried with its regex only when the walk gets there. Every node knows the lowest and
 * highest rule index below it, so a walk skips any branch that cannot beat the best match
 * found so far: the answer is always what an ordered scan would give. Rules the trie cannot
 * place (host matchers, RegExp objects, patterns starting with a group) are tried in order
 * beside it. Exact paths whose answer cannot change are answered from a map.
 * @module
 */

import type { Router, Rule } from "./routing.js";
import { type MatchResult, NO_ARGS, NO_KWARGS, PathMatches, type SegmentSpec } from "./routing-pattern.js";

/**
 * Whether a rule target is a router (nested routing) rather than a handler class.
 *
 * @example
 * isRouter(new RuleRouter([])); // true
 * isRouter(MainHandler);        // false
 */
export function isRouter(x: unknown): x is Router {
  return typeof x === "object" && x !== null && typeof (x as Router).findHandler === "function";
}

interface Node {
  /** The literal segment leading here, or `null` when a group does. */
  readonly text: string | null;
  /** For a group: which ASCII code units it accepts; `null` for `[^/]+`. */
  readonly ascii: Uint8Array | null;
  /** For a group: the one-segment test, asked only about code units past ASCII. */
  readonly test: RegExp | null;
  /**
   * Children reached by a literal segment, by the literal's length: a segment is compared
   * only with the few of its own length (and at most one fits).
   */
  readonly byLen: Node[][];
  /** Children reached by a group. */
  readonly params: Node[];
  /** Indices (ascending) of the simple rules that end here. */
  readonly ends: number[];
  /** Indices (ascending) of the regex rules whose literal start reaches here, with their regexes. */
  readonly rx: number[];
  readonly rxRe: RegExp[];
  /** The lowest and highest rule index in this subtree, for pruning. */
  min: number;
  max: number;
}

/** A router's rules, indexed. Built once per change of the rule list. */
export interface RouteIndex {
  readonly rules: readonly Rule[];
  /** Exact paths whose answer (a rule with a handler class, no arguments) is known. */
  readonly resolved: Map<string, Rule>;
  readonly root: Node | null;
  /** Indices (ascending) of the rules the trie does not hold, tried in order beside it. */
  readonly rest: number[];
  /** For each simple rule, by index: where its groups sit. */
  readonly plans: Array<Plan | undefined>;
  /**
   * Where each segment of the path last walked (`walked`) starts, by ordinal: the walk
   * notes them so that reading a match's arguments needs no second pass over the path.
   */
  readonly starts: number[];
  walked: string;
}

// Which segments (by ordinal, the first after the leading "/" being 1) a simple pattern
// captures, their names when the groups are named (all are, or none: PathMatches checks),
// and its last segment.
interface Plan {
  readonly at: number[];
  readonly names: string[] | null;
  readonly last: number;
}

function node(text: string | null, test: RegExp | null): Node {
  let ascii: Uint8Array | null = null;
  if (test !== null) {
    ascii = new Uint8Array(128);
    for (let c = 0; c < 128; c++) ascii[c] = test.test(String.fromCharCode(c)) ? 1 : 0;
  }
  return { text, ascii, test, params: [], byLen: [], ends: [], rx: [], rxRe: [], min: Infinity, max: -1 };
}

// Notes that rule `i` lies below `n`. Rules arrive in order, so a node's bounds are its
// first rule's index and its latest one's.
function mark(n: Node, i: number): Node {
  if (n.max < 0) n.min = i;
  n.max = i;
  return n;
}

// The child of `n` for one segment of rule `i` (made if new), marked.
function child(n: Node, sp: SegmentSpec, i: number): Node {
  const text = sp.kind === "literal" ? sp.text : null;
  const test = sp.kind === "param" ? sp.test : null;
  const kids = text === null ? n.params : (n.byLen[text.length] ??= []);
  // Groups with the same class share a node (a null test is `[^/]+`).
  let k = kids.find((x) => x.text === text && x.test?.source === test?.source);
  if (k === undefined) kids.push((k = node(text, test)));
  return mark(k, i);
}

/**
 * Indexes `rules` (a snapshot: the router rebuilds the index when its rules change).
 *
 * @example
 * const index = buildIndex(router.rules);
 */
export function buildIndex(rules: readonly Rule[]): RouteIndex {
  rules = rules.slice();
  const root = node("", null);
  const rest: number[] = [];
  const resolved = new Map<string, Rule>();
  const plans: Array<Plan | undefined> = [];
  rules.forEach((rule, i) => {
    const m = rule.matcher;
    // A subclass may match differently from its regex: it is only ever asked in order.
    if (m.constructor !== PathMatches) return void rest.push(i);
    const pm = m as PathMatches;
    const specs = pm.segments;
    // A simple pattern ends at its node; any other hangs where its literal start reaches.
    const steps = specs ?? (pm.literalPrefix ? pm.literalPrefix.split("/").slice(0, -1).map((text) => ({ kind: "literal", text }) as const) : null);
    if (steps === null) rest.push(i);
    else {
      let n = mark(root, i);
      for (let s = 1; s < steps.length; s++) n = child(n, steps[s]!, i);
      if (specs === null) {
        n.rx.push(i);
        n.rxRe.push(pm.regex);
      } else {
        n.ends.push(i);
        const at: number[] = [];
        const names: string[] = [];
        specs.forEach((sp, s) => {
          if (sp.kind === "param") {
            at.push(s);
            if (sp.name !== null) names.push(sp.name);
          }
        });
        plans[i] = { at, names: names.length > 0 ? names : null, last: specs.length - 1 };
      }
    }
    const p = pm.exactPath;
    if (p !== null && !resolved.has(p)) {
      // The first rule an ordered scan meets for this path must be a plain path rule with
      // a handler class and no arguments; otherwise the walk decides at request time.
      const r = rules.find((x) => x.matcher.constructor !== PathMatches || (x.matcher as PathMatches).matchPath(p) !== null)!;
      if (r.matcher.constructor === PathMatches && !isRouter(r.target) && (r.matcher as PathMatches).regex.exec(p)!.length === 1) {
        resolved.set(p, r);
      }
    }
  });
  return { rules, resolved, root: root.max < 0 ? null : root, rest, plans, starts: [0, 1], walked: "" };
}

const NONE: Node[] = [];

// Whether the non-empty segment path[pos, end) is one that group node `k` accepts.
function fits(k: Node, path: string, pos: number, end: number): boolean {
  const a = k.ascii;
  if (a === null) return true;
  for (let c = pos; c < end; c++) {
    const u = path.charCodeAt(c);
    if (u < 128 ? a[u] === 0 : !k.test!.test(path[c]!)) return false;
  }
  return true;
}


// The lowest index above `after` and below `best` of a trie rule matching the path, where
// `n` took the segment ending at `slash` (-1: the path's end) and the next one has ordinal
// `d`; `best` when there is none.
function walk(n: Node, path: string, slash: number, d: number, after: number, best: number, starts: number[]): number {
  if (slash === -1) {
    const ends = n.ends;
    for (let e = 0; e < ends.length && ends[e]! < best; e++) if (ends[e]! > after) return ends[e]!;
    return best;
  }
  const pos = (starts[d] = slash + 1);
  const rx = n.rx;
  for (let j = 0; j < rx.length && rx[j]! < best; j++) {
    if (rx[j]! > after && n.rxRe[j]!.test(path)) {
      best = rx[j]!;
      break;
    }
  }
  slash = path.indexOf("/", pos);
  const len = (slash === -1 ? path.length : slash) - pos;
  const lits = n.byLen[len] ?? NONE;
  for (let j = 0; j < lits.length; j++) {
    const k = lits[j]!;
    if (path.startsWith(k.text!, pos)) {
      if (k.min < best && k.max > after) best = walk(k, path, slash, d + 1, after, best, starts);
      break;
    }
  }
  if (len === 0) return best;
  const params = n.params;
  for (let j = 0; j < params.length; j++) {
    const k = params[j]!;
    if (k.min < best && k.max > after && fits(k, path, pos, pos + len)) best = walk(k, path, slash, d + 1, after, best, starts);
  }
  return best;
}

/**
 * The index of the first rule after `after` (in declaration order) that the trie holds and
 * that matches `path`, or `Infinity`. Rules in `index.rest` are not considered.
 *
 * @example
 * let i = nextInTrie(index, "/repos/a/b", -1); // the first candidate
 * i = nextInTrie(index, "/repos/a/b", i);      // the next, if that one's router declined
 */
export function nextInTrie(index: RouteIndex, path: string, after: number): number {
  const root = index.root;
  if (root === null || path.charCodeAt(0) !== 47) return Infinity;
  index.walked = path;
  return walk(root, path, 0, 1, after, Infinity, index.starts);
}

/**
 * What rule `i` captures from `path`, right after {@link nextInTrie} answered `i` for it;
 * `null` when rule `i` is not a simple pattern (its regex must say).
 *
 * @example
 * trieMatch(index, nextInTrie(index, "/repos/a/b", -1), "/repos/a/b");
 * // { pathArgs: ["a", "b"], pathKwargs: {} } for the rule "/repos/([^/]+)/([^/]+)"
 */
export function trieMatch(index: RouteIndex, i: number, path: string): MatchResult | null {
  const plan = index.plans[i];
  const starts = index.starts;
  if (plan === undefined || index.walked !== path) return null;
  const { at, names, last } = plan;
  const n = at.length;
  const args: string[] = n === 0 || names !== null ? NO_ARGS : new Array<string>(n);
  const kw = names !== null ? (Object.create(null) as Record<string, string>) : NO_KWARGS;
  for (let a = 0; a < n; a++) {
    const s = at[a]!;
    const v = path.slice(starts[s], s === last ? path.length : starts[s + 1]! - 1);
    if (names !== null) kw[names[a]!] = v;
    else args[a] = v;
  }
  return { pathArgs: args, pathKwargs: kw };
}

/**
 * The JavaScript side of the template compiler, built on acorn: checking each expression
 * and statement a template contains, splitting `for ... in ...`, and the free-name analysis
 * that makes the generated code work without `with` — every name a template reads that it
 * does not declare is looked up in the namespace (then `globalThis`) once per render.
 *
 * Compiler only: never imported by the runtime, so acorn stays out of the Workers bundle.
 * @module
 */

import { parse, parseExpressionAt, tokenizer, tokTypes } from "acorn";
import type { Options } from "acorn";
import { ParseError } from "./errors.js";
import { analyzeScopes, ScopeProblem } from "./scope.js";
import type { ScopeAnalysis } from "./scope.js";

const OPTIONS: Options = { ecmaVersion: "latest", sourceType: "script" };
// With parentheses kept as nodes, a node's end is where the parser really stopped.
const CHECK_OPTIONS: Options = { ...OPTIONS, preserveParens: true };

/** Where a piece of user code came from, for error messages. */
export interface CodeOrigin {
  /** The template's name. */
  file: string;
  /** The line its directive starts on. */
  line: number;
  /** The directive as written, e.g. `{{ user.name }}`. */
  tag: string;
  /** Include/extends chain, innermost first, or `""`. */
  via: string;
}

interface AcornSyntaxError { message: string; pos: number }

function isAcornError(e: unknown): e is AcornSyntaxError {
  return e instanceof SyntaxError && typeof (e as unknown as AcornSyntaxError).pos === "number";
}

function countNewlines(text: string, end: number): number {
  let n = 0;
  for (let i = text.indexOf("\n"); i !== -1 && i < end; i = text.indexOf("\n", i + 1)) n++;
  return n;
}

/** A ParseError for a problem at `offset` within the code of a directive. */
export function errorAt(origin: CodeOrigin, code: string, offset: number, problem: string): ParseError {
  return new ParseError(`${problem} in ${origin.tag}`, {
    filename: origin.file,
    lineno: origin.line + countNewlines(code, Math.max(0, Math.min(offset, code.length))),
    via: origin.via,
  });
}

function syntaxProblem(e: AcornSyntaxError): string {
  // acorn appends "(line:column)" of the fragment; the template position replaces it.
  return `JavaScript syntax error: ${e.message.replace(/ \(\d+:\d+\)$/, "")}`;
}

/**
 * Checks that `code` is exactly one JavaScript expression (nothing after it), raising a
 * {@link ParseError} naming the template line otherwise.
 */
export function checkExpression(code: string, origin: CodeOrigin): void {
  let end: number;
  try {
    end = parseExpressionAt(code, 0, CHECK_OPTIONS).end;
  } catch (e) {
    if (isAcornError(e)) throw errorAt(origin, code, e.pos, syntaxProblem(e));
    throw e;
  }
  if (code.slice(end).trim() !== "") throw errorAt(origin, code, end, `unexpected text after the expression: ${JSON.stringify(code.slice(end).trim())}`);
}

function forTargetEnd(target: string): boolean {
  // Parse the target where it will stand; it must be all of the for-of's left side.
  const prefix = "for (";
  const source = `${prefix}${target} of _);`;
  try {
    const program = parse(source, CHECK_OPTIONS);
    const loop = program.body[0];
    return program.body.length === 1 && loop?.type === "ForOfStatement" && loop.left.type !== "VariableDeclaration" && loop.left.end === prefix.length + target.length;
  } catch {
    return false;
  }
}

/**
 * Splits the text after `for` into the loop target and the iterable, at the first `in`
 * outside brackets. A bare list of targets (`k, v`, as in Python) becomes an array pattern.
 *
 * @example
 * splitFor("[k, v] in Object.entries(d)", origin); // { target: "[k, v]", iterable: "Object.entries(d)" }
 */
export function splitFor(spec: string, origin: CodeOrigin): { target: string; iterable: string; iterableOrigin: CodeOrigin } {
  let depth = 0;
  let at = -1;
  let after = -1;
  try {
    for (const token of tokenizer(spec, OPTIONS)) {
      const t = token.type;
      if (t === tokTypes.parenL || t === tokTypes.bracketL || t === tokTypes.braceL || t === tokTypes.dollarBraceL) depth++;
      else if (t === tokTypes.parenR || t === tokTypes.bracketR || t === tokTypes.braceR) depth--;
      else if (t === tokTypes._in && depth === 0) {
        at = token.start;
        after = token.end;
        break;
      }
    }
  } catch (e) {
    if (isAcornError(e)) throw errorAt(origin, spec, e.pos, syntaxProblem(e));
    throw e;
  }
  if (at === -1) throw errorAt(origin, spec, 0, `expected "for <target> in <iterable>"`);
  let target = spec.slice(0, at).trim();
  const iterable = spec.slice(after).trim();
  if (!target) throw errorAt(origin, spec, 0, "for missing loop variable");
  if (!forTargetEnd(target)) {
    if (forTargetEnd(`[${target}]`)) target = `[${target}]`;
    else throw errorAt(origin, spec, 0, `invalid loop variable ${JSON.stringify(target)} (a name or a destructuring pattern)`);
  }
  if (!iterable) throw errorAt(origin, spec, after, "for missing iterable");
  const iterableOrigin = { ...origin, line: origin.line + countNewlines(spec, after) };
  checkExpression(iterable, iterableOrigin);
  return { target, iterable, iterableOrigin };
}

/** Checks an `{% except binding %}` binding: a name or a destructuring pattern. */
export function checkCatchBinding(binding: string, origin: CodeOrigin): void {
  const prefix = "try {} catch (";
  const source = `${prefix}${binding}) {}`;
  try {
    const program = parse(source, OPTIONS);
    const stmt = program.body[0];
    if (program.body.length === 1 && stmt?.type === "TryStatement" && stmt.handler?.param?.end === prefix.length + binding.length) return;
  } catch {
    // reported below
  }
  throw errorAt(origin, binding, 0, `invalid except binding ${JSON.stringify(binding)} (a name or a destructuring pattern)`);
}

/** A stretch of generated code that came from a template directive. */
export interface Fragment { start: number; end: number; origin: CodeOrigin; code: string }

/** Maps a position in generated code back to the template, as a ParseError. */
export function errorAtGenerated(fragments: readonly Fragment[], templateName: string, pos: number, problem: string): ParseError {
  for (const f of fragments) {
    if (pos >= f.start && pos <= f.end) return errorAt(f.origin, f.code, pos - f.start, problem);
  }
  return new ParseError(`${problem} (in code generated for the template)`, { filename: templateName });
}

/**
 * Runs the scope analysis over a template's generated function, reporting any problem as a
 * {@link ParseError} at the template line the offending code came from.
 */
export function analyzeGenerated(source: string, templateStarts: ReadonlySet<number>, fragments: readonly Fragment[], templateName: string): ScopeAnalysis {
  try {
    return analyzeScopes(source, templateStarts);
  } catch (e) {
    if (e instanceof ScopeProblem) throw errorAtGenerated(fragments, templateName, e.pos, e.message);
    if (isAcornError(e)) throw errorAtGenerated(fragments, templateName, e.pos, syntaxProblem(e));
    throw e;
  }
}

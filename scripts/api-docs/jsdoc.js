/**
 * Reads one `/** … *\/` comment into a description, its `@example` blocks and its other block
 * tags, the way TSDoc reads them.
 *
 * Only known tag names start a block: an example may show a decorator (`@stateful`) at the
 * start of a line, and that is code, not a tag. Inside a fenced block nothing is a tag.
 * @module
 */

/** Block tags that end the previous section; anything else starting with `@` is text. */
const BLOCK_TAGS = new Set([
  "param", "typeParam", "template", "returns", "return", "throws", "exception", "example",
  "deprecated", "see", "default", "defaultValue", "since", "remarks", "privateRemarks",
  "internal", "module", "packageDocumentation", "override", "virtual", "sealed", "readonly",
  "experimental", "beta", "alpha", "public", "eventProperty", "inheritDoc", "label", "category",
]);

/** Tags that mark without saying anything the reference should show. */
const SILENT_TAGS = new Set(["module", "packageDocumentation", "privateRemarks", "override", "virtual", "sealed", "public"]);

/**
 * @returns `{ description, examples: [{ title, code, lang }], tags: [{ tag, name?, type?, text }],
 * internal }`; an empty comment gives an empty description.
 */
export function parseDoc(raw) {
  const lines = commentLines(raw);
  const sections = [{ tag: "", head: "", lines: [] }];
  let fenced = false;
  for (const line of lines) {
    const trimmed = line.trimStart();
    if (trimmed.startsWith("```")) fenced = !fenced;
    const match = fenced ? null : /^@([A-Za-z]+)(?:\s+|$)(.*)$/.exec(trimmed);
    if (match && BLOCK_TAGS.has(match[1])) {
      sections.push({ tag: match[1], head: match[2], lines: [] });
    } else {
      sections.at(-1).lines.push(line);
    }
  }
  const doc = { description: paragraphText(sections[0].lines), examples: [], tags: [], internal: false };
  for (const { tag, head, lines: body } of sections.slice(1)) {
    if (tag === "internal") doc.internal = true;
    if (tag === "example") doc.examples.push(exampleOf(head, body));
    else if (!SILENT_TAGS.has(tag) && tag !== "internal") doc.tags.push(tagOf(tag, paragraphText([head, ...body])));
  }
  return doc;
}

/** The comment's lines without the delimiters and the leading ` * `. */
function commentLines(raw) {
  const body = raw.trim().replace(/^\/\*\*/, "").replace(/\*\/$/, "");
  const lines = body.split(/\r?\n/).map((line, i) => (i === 0 ? line.trim() : line.replace(/^\s*\* ?/, "").trimEnd()));
  if (lines.length > 1 && /^\s*$/.test(lines.at(-1))) lines.pop();
  return lines;
}

/** Prose: trimmed, blank lines kept as paragraph breaks, runs of blank lines folded. */
function paragraphText(lines) {
  return lines.join("\n").replace(/\n{3,}/g, "\n\n").trim();
}

function exampleOf(head, lines) {
  // TSDoc: text on the @example line itself is the example's title, unless it is plainly code.
  const title = head && !isCode(head) ? head.trim() : "";
  const body = head && !title ? [head, ...lines] : lines;
  const text = dedentLines(body).join("\n").replace(/^\n+|\n+$/g, "");
  const fence = /^```(\w*)\n([\s\S]*?)\n```$/.exec(text);
  if (fence) return { title, lang: fence[1] || "ts", code: fence[2] };
  return { title, lang: languageOf(text), code: text };
}

function isCode(line) {
  return /[;{}()=<>[\]"'`]/.test(line);
}

function dedentLines(lines) {
  const indents = lines.filter((l) => l.trim() !== "").map((l) => /^ */.exec(l)[0].length);
  const cut = indents.length > 0 ? Math.min(...indents) : 0;
  return lines.map((l) => l.slice(cut));
}

/** Templates and shell commands appear in examples too; everything else is TypeScript. */
function languageOf(code) {
  const first = code.trimStart();
  if (/^(<|\{%|\{\{)/.test(first)) return "html";
  if (/^(\$ |npx |npm |node )/.test(first)) return "sh";
  return "ts";
}

function tagOf(tag, text) {
  if (tag === "param" || tag === "typeParam" || tag === "template") {
    const match = /^(\[?[\w$.]+(?:=[^\]]*)?\]?)\s*(?:-\s*)?([\s\S]*)$/.exec(text);
    return match ? { tag, name: match[1], text: match[2] } : { tag, text };
  }
  if (tag === "throws" || tag === "exception") {
    const match = /^\{([^}]+)\}\s*([\s\S]*)$/.exec(text);
    return match ? { tag: "throws", type: match[1], text: match[2] } : { tag: "throws", text };
  }
  if (tag === "return") return { tag: "returns", text };
  if (tag === "defaultValue") return { tag: "default", text };
  return { tag, text };
}

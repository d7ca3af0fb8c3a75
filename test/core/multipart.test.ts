// Specification of src/core/multipart.ts: form bodies as Tornado's
// httputil.parse_body_arguments / parse_multipart_form_data, checked against the cases of
// tornado/test/httputil_test.py, against what Tornado 6.2 answers
// (test/fixtures/multipart/tornado-multipart.json), and against bodies that the Web
// platform's own FormData serializer writes, as a browser does.
import { describe, expect, it } from "vitest";
import fixture from "../fixtures/multipart/tornado-multipart.json" with { type: "json" };
import { type ArgumentMap, type HTTPFile, HTTPHeaders, HTTPInputError } from "../../src/core/httputil.js";
import {
  DEFAULT_MULTIPART_LIMITS,
  indexOfBytes,
  lastIndexOfBytes,
  MultipartError,
  type MultipartErrorCode,
  parseBodyArguments,
  parseHeaderParams,
  parseMultipartFormData,
} from "../../src/core/multipart.js";

const enc = new TextEncoder();
const latin1 = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));
const asLatin1 = (b: Uint8Array): string => Array.from(b, (x) => String.fromCharCode(x)).join("");
const crlf = (s: string): Uint8Array => enc.encode(s.replaceAll("\n", "\r\n"));

function maps(): { args: ArgumentMap; files: Record<string, HTTPFile[]> } {
  return { args: Object.create(null) as ArgumentMap, files: Object.create(null) as Record<string, HTTPFile[]> };
}

function parse(boundary: string | Uint8Array, body: Uint8Array) {
  const m = maps();
  parseMultipartFormData(boundary, body, m.args, m.files);
  return m;
}

function codeOf(fn: () => void): MultipartErrorCode | "no error" {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(MultipartError);
    expect(e).toBeInstanceOf(HTTPInputError);
    return (e as MultipartError).code;
  }
  return "no error";
}

const upload = (disposition: string, content = "Foo") =>
  crlf(`--1234\nContent-Disposition: ${disposition}\n\n${content}\n--1234--`);

describe("byte search", () => {
  const h = enc.encode("--ab--ab--abc");
  it("finds the first occurrence at or after an offset", () => {
    expect(indexOfBytes(h, enc.encode("abc"))).toBe(10);
    expect(indexOfBytes(h, enc.encode("ab"), 3)).toBe(6);
    expect(indexOfBytes(h, enc.encode("zz"))).toBe(-1);
  });
  it("only reports matches that end before the end bound", () => {
    expect(indexOfBytes(h, enc.encode("abc"), 0, 12)).toBe(-1);
    expect(indexOfBytes(h, enc.encode("abc"), 0, 13)).toBe(10);
  });
  it("finds the last occurrence", () => {
    expect(lastIndexOfBytes(h, enc.encode("--ab"))).toBe(8);
    expect(lastIndexOfBytes(h, enc.encode("--x"))).toBe(-1);
    expect(lastIndexOfBytes(enc.encode("ab"), enc.encode("abc"))).toBe(-1);
  });
  it("agrees with a naive search on random bytes", () => {
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % 3;
    for (let round = 0; round < 200; round++) {
      const hay = Uint8Array.from({ length: 64 }, rnd);
      const needle = Uint8Array.from({ length: 1 + (round % 4) }, rnd);
      const naive = (from: number) => {
        for (let i = from; i + needle.length <= hay.length; i++) if (needle.every((b, j) => hay[i + j] === b)) return i;
        return -1;
      };
      const naiveLast = () => {
        for (let i = hay.length - needle.length; i >= 0; i--) if (needle.every((b, j) => hay[i + j] === b)) return i;
        return -1;
      };
      expect(indexOfBytes(hay, needle, round % 10)).toBe(naive(round % 10));
      expect(lastIndexOfBytes(hay, needle)).toBe(naiveLast());
    }
  });
});

describe("parseMultipartFormData: Tornado's httputil_test cases", () => {
  it("reads a file upload", () => {
    const { files } = parse("1234", upload('form-data; name="files"; filename="ab.txt"'));
    expect(files["files"]![0]!.filename).toBe("ab.txt");
    expect(files["files"]![0]!.body).toEqual(enc.encode("Foo"));
    expect(files["files"]![0]!.contentType).toBe("application/unknown");
  });

  it("accepts unquoted names", () => {
    const { files } = parse("1234", upload("form-data; name=files; filename=ab.txt"));
    expect(files["files"]![0]!.filename).toBe("ab.txt");
  });

  it.each(["a;b.txt", 'a"b.txt', 'a";b.txt', 'a;"b.txt', 'a";";.txt', 'a\\"b.txt', "a\\b.txt", "a b.txt", "a\tb.txt"])(
    "reads the special filename %j",
    (filename) => {
      const quoted = filename.replaceAll("\\", "\\\\").replaceAll('"', '\\"');
      const { files } = parse("1234", upload(`form-data; name="files"; filename="${quoted}"`));
      expect(files["files"]![0]!.filename).toBe(filename);
      expect(files["files"]![0]!.body).toEqual(enc.encode("Foo"));
    },
  );

  it.each(["a\rb.txt", "a\0b.txt", "a\x08b.txt"])("refuses control characters in a header value (%j)", (filename) => {
    const m = maps();
    expect(() => parseMultipartFormData("1234", upload(`form-data; name="files"; filename="${filename}"`), m.args, m.files)).toThrow(
      /Invalid header value/,
    );
    expect(codeOf(() => parse("1234", upload(`form-data; name="files"; filename="${filename}"`)))).toBe("BAD_HEADERS");
  });

  it("decodes an RFC 5987 filename*, which wins over filename", () => {
    const { files } = parse("1234", upload(`form-data; name="files"; filename="ab.txt"; filename*=UTF-8''%C3%A1b.txt`));
    expect(files["files"]![0]!.filename).toBe("áb.txt");
  });

  it("reads a raw UTF-8 filename", () => {
    const { files } = parse("1234", upload('form-data; name="files"; filename="测试.txt"'));
    expect(files["files"]![0]!.filename).toBe("测试.txt");
  });

  it("unquotes a quoted boundary", () => {
    const { files } = parse('"1234"', upload('form-data; name="files"; filename="ab.txt"'));
    expect(files["files"]![0]!.filename).toBe("ab.txt");
  });

  it("ignores data after the final boundary", () => {
    const body = crlf('--1234\nContent-Disposition: form-data; name="a"\n\nb\n--1234--\nepilogue --1234\n');
    expect(parse("1234", body).args["a"]).toEqual([enc.encode("b")]);
  });

  it("refuses a part without headers", () => {
    expect(codeOf(() => parse("1234", crlf("--1234\n\nFoo\n--1234--")))).toBe("NO_HEADERS");
  });

  it("refuses a disposition other than form-data", () => {
    expect(codeOf(() => parse("1234", upload('invalid; name="files"; filename="ab.txt"')))).toBe("NOT_FORM_DATA");
  });

  it("refuses content not followed by CRLF before the boundary", () => {
    const body = crlf('--1234\nContent-Disposition: form-data; name="files"; filename="ab.txt"\n\nFoo--1234--');
    expect(codeOf(() => parse("1234", body))).toBe("TRUNCATED_PART");
  });

  it("refuses a part without a name", () => {
    expect(codeOf(() => parse("1234", upload('form-data; filename="ab.txt"')))).toBe("NO_NAME");
    expect(codeOf(() => parse("1234", upload('form-data; name=""')))).toBe("NO_NAME");
  });

  it("keeps Content-Disposition parameter parsing linear in the number of quoted semicolons", () => {
    const time = (n: number) => {
      const body = enc.encode(`--1234\r\nContent-Disposition: form-data; x="${";".repeat(n)}"; name="files"; filename="a.txt"\r\n\r\nFoo\r\n--1234--\r\n`);
      const t0 = performance.now();
      for (let i = 0; i < 5; i++) parse("1234", body);
      return performance.now() - t0;
    };
    time(1000); // warm-up
    const d1 = time(1000);
    const d2 = time(10000);
    expect(d2 / Math.max(d1, 0.05)).toBeLessThan(40);
  });

  it("accepts a part that is only headers as an empty file (Tornado's multipart config case)", () => {
    const body = crlf('--1234\nContent-Disposition: form-data; name="files"; filename="ab.txt"\n\n--1234--');
    expect(parse("1234", body).files["files"]![0]!.body).toEqual(new Uint8Array(0));
  });
});

describe("parseHeaderParams: Tornado 6.2's _parse_header", () => {
  it.each(fixture.parseHeader.map((c) => [c.input, c] as const))("%j", (_input, c) => {
    const [key, params] = parseHeaderParams(c.input);
    expect(key).toBe(c.key);
    expect({ ...params }).toEqual(c.params);
  });

  it("reports mixed numbered and unnumbered continuations as bad headers", () => {
    expect(() => parseHeaderParams(`form-data; name="a"; filename*=x; filename*0=y`)).toThrow(TypeError);
    expect(codeOf(() => parse("1234", upload(`form-data; name="a"; filename*=x; filename*0=y`)))).toBe("BAD_HEADERS");
  });
});

describe("parseBodyArguments: the same answers as Tornado 6.2", () => {
  for (const c of fixture.bodies) {
    it(c.name, () => {
      const m = maps();
      const headers = "contentEncoding" in c ? new HTTPHeaders({ "Content-Encoding": c.contentEncoding! }) : undefined;
      const run = () => parseBodyArguments(c.contentType, latin1(c.body), m.args, m.files, headers);
      if ("error" in c) {
        expect(run).toThrow(MultipartError);
        expect({ ...m.args }).toEqual({});
        expect({ ...m.files }).toEqual({});
        return;
      }
      run();
      const args = Object.fromEntries(Object.entries(m.args).map(([k, v]) => [k, v.map(asLatin1)]));
      const files = Object.fromEntries(
        Object.entries(m.files).map(([k, v]) => [k, v.map((f) => ({ filename: f.filename, body: asLatin1(f.body), contentType: f.contentType }))]),
      );
      expect(args).toEqual(c.args);
      expect(files).toEqual(c.files);
    });
  }
});

describe("parseBodyArguments: urlencoded bodies", () => {
  it("keeps raw non-ASCII bytes byte for byte, as Tornado's latin-1 round trip", () => {
    const m = maps();
    parseBodyArguments("application/x-www-form-urlencoded", Uint8Array.of(0x61, 0x3d, 0xff, 0xfe, 0x80, 0x26, 0x62, 0x3d, 0xc3, 0xa9), m.args, m.files);
    expect(m.args["a"]).toEqual([Uint8Array.of(0xff, 0xfe, 0x80)]);
    expect(m.args["b"]).toEqual([Uint8Array.of(0xc3, 0xa9)]);
  });

  it("adds to arguments already present", () => {
    const m = maps();
    m.args["a"] = [enc.encode("query")];
    parseBodyArguments("application/x-www-form-urlencoded", enc.encode("a=body"), m.args, m.files);
    expect(m.args["a"]).toEqual([enc.encode("query"), enc.encode("body")]);
  });

  it("refuses a Content-Encoding it would have to decode", () => {
    const m = maps();
    const h = new HTTPHeaders({ "Content-Encoding": "gzip" });
    expect(() => parseBodyArguments("application/x-www-form-urlencoded", enc.encode("a=1"), m.args, m.files, h)).toThrow(
      "Unsupported Content-Encoding: gzip",
    );
    expect(codeOf(() => parseBodyArguments("multipart/form-data; boundary=x", enc.encode("--x--"), m.args, m.files, h))).toBe("CONTENT_ENCODING");
  });
});

describe("parseBodyArguments: malformed multipart corpus", () => {
  const MP = "multipart/form-data; boundary=1234";
  const part = (headers: string, content = "v") => `--1234\n${headers}\n\n${content}\n`;
  const cases: Array<[string, string, Uint8Array, MultipartErrorCode]> = [
    ["no boundary parameter", "multipart/form-data", crlf("--1234--"), "NO_BOUNDARY"],
    ["an empty boundary parameter", "multipart/form-data; boundary=", crlf("----"), "NO_BOUNDARY"],
    ["a boundary of two quotes", 'multipart/form-data; boundary=""', crlf("----"), "NO_BOUNDARY"],
    ["a content type that only starts like multipart", "multipart/form-dataxyz; boundary=1234", crlf("--1234--"), "BAD_CONTENT_TYPE"],
    ["a body cut off in a value", MP, crlf(part('Content-Disposition: form-data; name="a"')).subarray(0, 50), "NO_FINAL_BOUNDARY"],
    ["a body cut off in the headers", MP, crlf('--1234\nContent-Disposition: form-da'), "NO_FINAL_BOUNDARY"],
    ["an empty body", MP, new Uint8Array(0), "NO_FINAL_BOUNDARY"],
    ["another boundary", MP, crlf(part('Content-Disposition: form-data; name="a"') + "--5678--"), "NO_FINAL_BOUNDARY"],
    ["a final boundary missing its dashes", MP, crlf(part('Content-Disposition: form-data; name="a"') + "--1234\n"), "NO_FINAL_BOUNDARY"],
    ["a part without a blank line", MP, crlf('--1234\nContent-Disposition: form-data; name="a"\nv\n--1234--'), "NO_HEADERS"],
    ["LF-only line endings", MP, enc.encode('--1234\nContent-Disposition: form-data; name="a"\n\nv\n--1234--'), "NO_HEADERS"],
    ["a preamble", MP, crlf("preamble\n" + part('Content-Disposition: form-data; name="a"') + "--1234--"), "NO_HEADERS"],
    ["a part without Content-Disposition", MP, crlf(part("Content-Type: text/plain") + "--1234--"), "NO_DISPOSITION"],
    ["an attachment disposition", MP, crlf(part('Content-Disposition: attachment; name="a"') + "--1234--"), "NOT_FORM_DATA"],
    ["a capitalised disposition", MP, crlf(part('Content-Disposition: Form-Data; name="a"') + "--1234--"), "NOT_FORM_DATA"],
    ["a header line without colon", MP, crlf(part('Content-Disposition: form-data; name="a"\nbogus') + "--1234--"), "BAD_HEADERS"],
    ["a header name with a space", MP, crlf(part('Content-Disposition: form-data; name="a"\nBad Name: x') + "--1234--"), "BAD_HEADERS"],
    ["a first header line starting with whitespace", MP, crlf(part(' X: y\nContent-Disposition: form-data; name="a"') + "--1234--"), "BAD_HEADERS"],
    ["headers that are not UTF-8", MP, latin1('--1234\r\nContent-Disposition: form-data; name="\xff"\r\n\r\nv\r\n--1234--'), "BAD_HEADERS"],
    ["a NUL byte in a header", MP, crlf(part('Content-Disposition: form-data; name="a\0"') + "--1234--"), "BAD_HEADERS"],
    ["a part without name", MP, crlf(part('Content-Disposition: form-data; filename="x"') + "--1234--"), "NO_NAME"],
    ["a name parameter without value", MP, crlf(part("Content-Disposition: form-data; name") + "--1234--"), "NO_NAME"],
    ["a value glued to the final boundary", MP, crlf('--1234\nContent-Disposition: form-data; name="a"\n\nv--1234--'), "TRUNCATED_PART"],
  ];
  it.each(cases)("refuses %s", (_what, ct, body, code) => {
    const m = maps();
    expect(codeOf(() => parseBodyArguments(ct, body, m.args, m.files))).toBe(code);
  });

  it("gives messages that say what is wrong and where", () => {
    const m = maps();
    const body = crlf(part('Content-Disposition: form-data; name="a"') + part("Content-Type: text/plain") + "--1234--");
    expect(() => parseBodyArguments(MP, body, m.args, m.files)).toThrow("Invalid multipart/form-data: part 2 has no Content-Disposition header");
    expect(() => parseBodyArguments("multipart/form-data", body, m.args, m.files)).toThrow("Invalid multipart/form-data: multipart boundary not found");
  });

  it("leaves the maps untouched when a later part is bad", () => {
    const m = maps();
    const body = crlf(part('Content-Disposition: form-data; name="good"') + part('Content-Disposition: form-data; filename="x"') + "--1234--");
    expect(() => parseBodyArguments(MP, body, m.args, m.files)).toThrow(MultipartError);
    expect(Object.keys(m.args)).toEqual([]);
  });

  it("ignores content types it does not parse", () => {
    const m = maps();
    parseBodyArguments("application/json", enc.encode('{"a":1}'), m.args, m.files);
    parseBodyArguments("text/plain", enc.encode("a=1"), m.args, m.files);
    expect(Object.keys(m.args)).toEqual([]);
  });
});

describe("limits", () => {
  const many = (n: number) => {
    let s = "";
    for (let i = 0; i < n; i++) s += `--b\r\nContent-Disposition: form-data; name="f${i}"\r\n\r\n${i}\r\n`;
    return enc.encode(s + "--b--\r\n");
  };

  it(`accepts ${DEFAULT_MULTIPART_LIMITS.maxParts} parts by default and refuses one more`, () => {
    expect(DEFAULT_MULTIPART_LIMITS.maxParts).toBe(1000);
    const ok = parse("b", many(1000));
    expect(Object.keys(ok.args)).toHaveLength(1000);
    expect(ok.args["f999"]).toEqual([enc.encode("999")]);
    expect(codeOf(() => parse("b", many(1001)))).toBe("TOO_MANY_PARTS");
  });

  it("refuses a part bomb quickly, before parsing any part", () => {
    const bomb = enc.encode("--b\r\n".repeat(200_000) + "--b--");
    const t0 = performance.now();
    expect(codeOf(() => parse("b", bomb))).toBe("TOO_MANY_PARTS");
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it("takes maxParts and maxPartHeaderSize as options", () => {
    const m = maps();
    expect(codeOf(() => parseMultipartFormData("b", many(3), m.args, m.files, { maxParts: 2 }))).toBe("TOO_MANY_PARTS");
    expect(codeOf(() => parseMultipartFormData("b", many(3), m.args, m.files, { maxPartHeaderSize: 10 }))).toBe("HEADER_TOO_LARGE");
    parseMultipartFormData("b", many(3), m.args, m.files, { maxParts: 3 });
    expect(Object.keys(m.args)).toEqual(["f0", "f1", "f2"]);
  });

  it("counts every delimiter as a part, empty parts too, but not a preamble", () => {
    const body = enc.encode('--b\r\n--b\r\nContent-Disposition: form-data; name="x"\r\n\r\n1\r\n--b--');
    const m = maps();
    expect(codeOf(() => parseMultipartFormData("b", body, m.args, m.files, { maxParts: 1 }))).toBe("TOO_MANY_PARTS");
    parseMultipartFormData("b", body, m.args, m.files, { maxParts: 2 });
    expect(m.args["x"]).toEqual([enc.encode("1")]);
  });

  it("refuses a boundary longer than 200 bytes", () => {
    const long = "x".repeat(201);
    expect(codeOf(() => parse(long, enc.encode(`--${long}--`)))).toBe("NO_BOUNDARY");
    expect(codeOf(() => parse("x".repeat(200), enc.encode(`--${"x".repeat(200)}--`)))).toBe("no error");
  });
});

describe("bodies", () => {
  it("keeps binary file content byte-exact, including CRLFs, dashes and boundary look-alikes", () => {
    const content = new Uint8Array(70_000);
    let seed = 12345;
    for (let i = 0; i < content.length; i++) content[i] = (seed = (seed * 1103515245 + 12345) & 0x7fffffff) >> 16;
    content.set(enc.encode("\r\n--XyZ-not-quite\r\n--Xy\r\n\r\n"), 1000);
    content.set(enc.encode("\r\n--XyZ"), content.length - 7);
    const head = enc.encode('--XyZZ\r\nContent-Disposition: form-data; name="bin"; filename="r.bin"\r\nContent-Type: application/octet-stream\r\n\r\n');
    const tail = enc.encode("\r\n--XyZZ--\r\n");
    const body = new Uint8Array(head.length + content.length + tail.length);
    body.set(head);
    body.set(content, head.length);
    body.set(tail, head.length + content.length);
    const f = parse("XyZZ", body).files["bin"]![0]!;
    expect(f.contentType).toBe("application/octet-stream");
    expect(f.body.length).toBe(content.length);
    expect(f.body.every((b, i) => b === content[i])).toBe(true);
  });

  it("reads empty files and empty fields", () => {
    const body = crlf('--b\nContent-Disposition: form-data; name="f"; filename="empty.txt"\nContent-Type: text/plain\n\n\n--b\nContent-Disposition: form-data; name="e"\n\n\n--b--');
    const m = parse("b", body);
    expect(m.files["f"]).toEqual([{ filename: "empty.txt", body: new Uint8Array(0), contentType: "text/plain" }]);
    expect(m.args["e"]).toEqual([new Uint8Array(0)]);
  });

  it('treats a field named "__proto__" as an ordinary name', () => {
    const m = { args: {} as ArgumentMap, files: {} as Record<string, HTTPFile[]> };
    parseMultipartFormData("b", crlf('--b\nContent-Disposition: form-data; name="__proto__"\n\nx\n--b--'), m.args, m.files);
    expect(Object.getPrototypeOf(m.args)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(m.args, "__proto__")!.value).toEqual([enc.encode("x")]);
  });

  it("reads a body as a browser writes it (WebKit boundary, fields, a UTF-8 filename, binary PNG)", () => {
    const png = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52);
    const boundary = "----WebKitFormBoundary7MA4YWxkTrZu0gW";
    const head = crlf(
      `--${boundary}\nContent-Disposition: form-data; name="title"\n\nHoliday\n` +
        `--${boundary}\nContent-Disposition: form-data; name="tags"\n\nsea\n` +
        `--${boundary}\nContent-Disposition: form-data; name="tags"\n\nsun\n` +
        `--${boundary}\nContent-Disposition: form-data; name="photo"; filename="plage été.png"\nContent-Type: image/png\n\n`,
    );
    const tail = crlf(`\n--${boundary}\nContent-Disposition: form-data; name="nofile"; filename=""\nContent-Type: application/octet-stream\n\n\n--${boundary}--\n`);
    const body = new Uint8Array([...head, ...png, ...tail]);
    const m = maps();
    parseBodyArguments(`multipart/form-data; boundary=${boundary}`, body, m.args, m.files);
    expect(m.args["title"]).toEqual([enc.encode("Holiday")]);
    expect(m.args["tags"]).toEqual([enc.encode("sea"), enc.encode("sun")]);
    // An <input type=file> left empty sends filename="": Tornado files it as a blank field.
    expect(m.args["nofile"]).toEqual([new Uint8Array(0)]);
    expect(m.files["photo"]).toEqual([{ filename: "plage été.png", body: png, contentType: "image/png" }]);
  });

  it("reads what the platform's FormData serializer writes (the HTML spec's algorithm)", async () => {
    const fd = new FormData();
    fd.append("name", "Zoë");
    fd.append("multi\nline", "a\r\nb");
    fd.append("quote", "x");
    const bin = Uint8Array.from({ length: 3000 }, (_, i) => (i * 37) & 0xff);
    fd.append("file", new Blob([bin], { type: "application/x-custom" }), 'we"ird;name.bin');
    fd.append("text", new Blob(["hello"], { type: "text/plain" }), "h.txt");
    const res = new Response(fd);
    const ct = res.headers.get("Content-Type")!;
    const body = new Uint8Array(await res.arrayBuffer());
    const m = maps();
    parseBodyArguments(ct, body, m.args, m.files);
    expect(new TextDecoder().decode(m.args["name"]![0])).toBe("Zoë");
    // The serializer normalises newlines in values to CRLF and escapes them in names.
    expect(new TextDecoder().decode(m.args["multi%0D%0Aline"]![0])).toBe("a\r\nb");
    expect(m.files["file"]![0]!.filename).toBe("we%22ird;name.bin");
    expect(m.files["file"]![0]!.contentType).toBe("application/x-custom");
    expect(m.files["file"]![0]!.body).toEqual(bin);
    expect(m.files["text"]![0]).toEqual({ filename: "h.txt", body: enc.encode("hello"), contentType: "text/plain" });
  });

  it("parses a 32 MiB upload in well under a second", () => {
    const size = 32 * 1024 * 1024;
    const head = enc.encode('--b0undary\r\nContent-Disposition: form-data; name="big"; filename="big.bin"\r\n\r\n');
    const tail = enc.encode("\r\n--b0undary--\r\n");
    const body = new Uint8Array(head.length + size + tail.length);
    body.set(head);
    // Dashes everywhere: the worst case for a first-byte search.
    body.fill(0x2d, head.length, head.length + size);
    body.set(tail, head.length + size);
    const t0 = performance.now();
    const f = parse("b0undary", body).files["big"]![0]!;
    const ms = performance.now() - t0;
    expect(f.body.length).toBe(size);
    expect(ms).toBeLessThan(1500);
  });
});

// Routing benchmark, in-process: one GitHub-like route table (about 60 routes: static paths,
// one to three parameters, shared prefixes) matched by
//   - Cyclone's router, as a request meets it: `Application.findHandler(request)`;
//   - Cyclone's RuleRouter alone (the same rules without the application's host layer);
//   - find-my-way (Fastify's radix-tree router), `router.find("GET", path)`;
//   - a list of RegExps tried in declaration order (Tornado's own way).
// Before timing, every request is routed by all four and the answers (which route, which
// arguments) must agree; the run fails otherwise. Then each router runs the same fixed
// request lists — static hits, dynamic hits early in the table, dynamic hits late in the
// table, misses, and the mix of all — for a fixed time, in interleaved rounds; lookups per
// second are the median over rounds.
//
// Run `npm run build` first, then `node bench/routing.js` (also run by `npm run bench`).
// Rates are lookups per second of the process's CPU time (process.cpuUsage), so other
// processes on a shared machine slow the run down but do not skew the figures much.
// Many short interleaved rounds, and ratios taken round by round (each against the
// find-my-way measurement made moments before or after it), damp the rest.
// Settings: BENCH_QUICK=1 (short), BENCH_ROUTING_ROUNDS (default 9), BENCH_ROUTING_MS
// (measured milliseconds per router and request list, default 150).
import FindMyWay from "find-my-way";
import { Application, HTTPServerRequest, RequestHandler } from "../dist/core/index.js";
import { fixed, int, median, ratio, table } from "./lib/format.js";

const env = process.env;
const quick = env.BENCH_QUICK === "1";
const ROUNDS = Math.max(1, Math.round(Number(env.BENCH_ROUTING_ROUNDS) || (quick ? 2 : 9)));
const MEASURE_MS = Number(env.BENCH_ROUTING_MS) || (quick ? 100 : 150);
const WARMUP_MS = Math.max(50, MEASURE_MS / 5);

// The route table, in declaration order, in find-my-way's syntax; the other two forms are
// derived from it. Static paths come before parameters that could also match them, as a
// Tornado user writes them, so first-match order and find-my-way's specificity agree.
const ROUTES = [
  "/",
  "/user",
  "/user/repos",
  "/user/orgs",
  "/user/followers",
  "/user/following",
  "/user/starred",
  "/user/emails",
  "/user/keys",
  "/user/keys/:key_id",
  "/users/:username",
  "/users/:username/repos",
  "/users/:username/orgs",
  "/users/:username/followers",
  "/users/:username/following",
  "/users/:username/gists",
  "/users/:username/starred",
  "/orgs/:org",
  "/orgs/:org/repos",
  "/orgs/:org/members",
  "/orgs/:org/members/:username",
  "/orgs/:org/teams",
  "/teams/:team_id",
  "/teams/:team_id/members",
  "/gists",
  "/gists/public",
  "/gists/starred",
  "/gists/:gist_id",
  "/gists/:gist_id/comments",
  "/gists/:gist_id/comments/:comment_id",
  "/search/repositories",
  "/search/code",
  "/search/issues",
  "/search/users",
  "/notifications",
  "/notifications/threads/:thread_id",
  "/rate_limit",
  "/emojis",
  "/events",
  "/repos/:owner/:repo",
  "/repos/:owner/:repo/branches",
  "/repos/:owner/:repo/branches/:branch",
  "/repos/:owner/:repo/commits",
  "/repos/:owner/:repo/commits/:sha",
  "/repos/:owner/:repo/contributors",
  "/repos/:owner/:repo/issues",
  "/repos/:owner/:repo/issues/:number",
  "/repos/:owner/:repo/issues/:number/comments",
  "/repos/:owner/:repo/issues/:number/labels",
  "/repos/:owner/:repo/pulls",
  "/repos/:owner/:repo/pulls/:number",
  "/repos/:owner/:repo/pulls/:number/commits",
  "/repos/:owner/:repo/pulls/:number/files",
  "/repos/:owner/:repo/pulls/:number/reviews",
  "/repos/:owner/:repo/releases",
  "/repos/:owner/:repo/releases/latest",
  "/repos/:owner/:repo/releases/:release_id",
  "/repos/:owner/:repo/stargazers",
];

// The fixed request lists. "Early" and "late" refer to where the matching route sits in
// declaration order, which is what an ordered scan pays for.
const REQUESTS = {
  static: ["/", "/user", "/user/repos", "/user/keys", "/gists/public", "/search/issues", "/rate_limit", "/events"],
  "dynamic, early": [
    "/user/keys/1234",
    "/users/octocat",
    "/users/octocat/repos",
    "/users/j%C3%B6rg/starred",
    "/orgs/nodejs/members/mcollina",
    "/teams/42/members",
    "/gists/aa5a315d61ae9438b18d",
    "/gists/aa5a315d61ae9438b18d/comments/7",
  ],
  "dynamic, late": [
    "/repos/nodejs/node",
    "/repos/nodejs/node/commits/5f1c2a9",
    "/repos/nodejs/node/issues/42",
    "/repos/tornadoweb/tornado/issues/3211/comments",
    "/repos/nodejs/node/pulls/50123/files",
    "/repos/honojs/hono/pulls/7/reviews",
    "/repos/tornadoweb/tornado/releases/v6.2",
    "/repos/fastify/fastify/stargazers",
  ],
  misses: [
    "/favicon.ico",
    "/users",
    "/search",
    "/user/repos/extra",
    "/users/octocat/unknown",
    "/repos/nodejs",
    "/repos/nodejs/node/issues/42/timeline",
    "/repos/nodejs/node/pulls/1/files/extra",
  ],
};
REQUESTS.mix = Object.values(REQUESTS).flat();

/** `/repos/:owner/:repo` → Tornado's `/repos/([^/]+)/([^/]+)`. */
function tornadoPattern(route) {
  return route.replace(/:\w+/g, "([^/]+)");
}

// --- (a) Cyclone -----------------------------------------------------------------------
// One handler class per route, so the chosen class names the route.
const classIndex = new Map();
const rules = ROUTES.map((route, i) => {
  const Handler = class extends RequestHandler {};
  classIndex.set(Handler, i);
  return [tornadoPattern(route), Handler];
});
const app = new Application(rules);
const ruleRouter = app.wildcardRouter;
const toRequest = (uri) => new HTTPServerRequest({ method: "GET", uri });

function cycloneAnswer(match) {
  return match === null ? null : { route: classIndex.get(match.handlerClass), args: match.pathArgs.map(decodeURIComponent) };
}

// --- (b) find-my-way -------------------------------------------------------------------
const fmw = FindMyWay();
ROUTES.forEach((route, i) => fmw.on("GET", route, () => {}, { route: i }));

function fmwAnswer(found) {
  // find-my-way hands back parameters already percent-decoded.
  return found === null ? null : { route: found.store.route, args: Object.values(found.params) };
}

// --- (c) RegExps in order (Tornado) ----------------------------------------------------
const regexes = ROUTES.map((route) => new RegExp(`^${tornadoPattern(route)}$`));

function regexFind(path) {
  for (let i = 0; i < regexes.length; i++) {
    const m = regexes[i].exec(path);
    if (m !== null) return { route: i, args: m.slice(1) };
  }
  return null;
}

// --- agreement check ---------------------------------------------------------------------
function verify() {
  let problems = 0;
  for (const path of REQUESTS.mix) {
    const req = toRequest(path);
    const answers = {
      "Application.findHandler": cycloneAnswer(app.findHandler(req)),
      RuleRouter: cycloneAnswer(ruleRouter.findHandler(req, app)),
      "find-my-way": fmwAnswer(fmw.find("GET", path)),
      "RegExp list": (() => {
        const r = regexFind(path);
        return r === null ? null : { route: r.route, args: r.args.map(decodeURIComponent) };
      })(),
    };
    const texts = Object.values(answers).map((a) => JSON.stringify(a));
    if (new Set(texts).size !== 1) {
      problems++;
      console.error(`Routers disagree on ${path}:`, answers);
    }
  }
  const expectedMisses = REQUESTS.misses.every((p) => regexFind(p) === null);
  const expectedHits = REQUESTS.mix.filter((p) => !REQUESTS.misses.includes(p)).every((p) => regexFind(p) !== null);
  if (!expectedMisses || !expectedHits) {
    problems++;
    console.error("A request list is mislabelled: a hit misses or a miss hits.");
  }
  return problems;
}

// --- timing --------------------------------------------------------------------------------
// One loop per router (not one shared loop over a callback), so each call site stays
// monomorphic to its router, as in a real server. Each runs for `ms` of wall time and
// returns lookups per second of this process's CPU time: on a shared machine, time the
// process spends descheduled would otherwise count against whichever router was running.
let sink = 0;

function cpuMicros() {
  const u = process.cpuUsage();
  return u.user + u.system;
}

function timeCycloneApp(requests, ms) {
  const end = performance.now() + ms;
  const c0 = cpuMicros();
  let n = 0;
  do {
    for (let i = 0; i < requests.length; i++) if (app.findHandler(requests[i]) !== null) sink++;
    n += requests.length;
  } while (performance.now() < end);
  return (n * 1e6) / (cpuMicros() - c0);
}

function timeRuleRouter(requests, ms) {
  const end = performance.now() + ms;
  const c0 = cpuMicros();
  let n = 0;
  do {
    for (let i = 0; i < requests.length; i++) if (ruleRouter.findHandler(requests[i], app) !== null) sink++;
    n += requests.length;
  } while (performance.now() < end);
  return (n * 1e6) / (cpuMicros() - c0);
}

function timeFindMyWay(paths, ms) {
  const end = performance.now() + ms;
  const c0 = cpuMicros();
  let n = 0;
  do {
    for (let i = 0; i < paths.length; i++) if (fmw.find("GET", paths[i]) !== null) sink++;
    n += paths.length;
  } while (performance.now() < end);
  return (n * 1e6) / (cpuMicros() - c0);
}

function timeRegexList(paths, ms) {
  const end = performance.now() + ms;
  const c0 = cpuMicros();
  let n = 0;
  do {
    for (let i = 0; i < paths.length; i++) if (regexFind(paths[i]) !== null) sink++;
    n += paths.length;
  } while (performance.now() < end);
  return (n * 1e6) / (cpuMicros() - c0);
}

const ROUTERS = [
  { label: "Cyclone Application.findHandler", time: timeCycloneApp, input: "request" },
  { label: "Cyclone RuleRouter (direct)", time: timeRuleRouter, input: "request" },
  { label: "find-my-way 9", time: timeFindMyWay, input: "path" },
  { label: "RegExp list in order (Tornado)", time: timeRegexList, input: "path" },
];

function main() {
  console.log(`# Routing benchmark — ${new Date().toISOString()}`);
  console.log(
    `${ROUTES.length} routes; request lists of ${REQUESTS.static.length} per kind (${REQUESTS.mix.length} in the mix); ` +
      `${MEASURE_MS} ms measured per router and list after ${WARMUP_MS} ms warm-up; ${ROUNDS} interleaved round(s), medians reported.`,
  );
  const problems = verify();
  if (problems > 0) {
    console.error(`Routing benchmark aborted: ${problems} disagreement(s).`);
    process.exitCode = 1;
    return;
  }
  console.log(`Agreement: all 4 routers give the same route and arguments for all ${REQUESTS.mix.length} requests.`);

  // Requests are built before timing: building one is the server's cost, not the router's.
  const inputs = {};
  for (const [kind, paths] of Object.entries(REQUESTS)) inputs[kind] = { path: paths, request: paths.map(toRequest) };
  const kinds = ["mix", "static", "dynamic, early", "dynamic, late", "misses"];
  const results = new Map(ROUTERS.map((r) => [r, Object.fromEntries(kinds.map((k) => [k, []]))]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const kind of kinds) {
      for (const r of ROUTERS) {
        const input = inputs[kind][r.input];
        r.time(input, WARMUP_MS);
        results.get(r)[kind].push(r.time(input, MEASURE_MS));
      }
    }
  }

  const fmwRow = ROUTERS[2];
  // Median of the per-round ratios: each pair was measured moments apart.
  const vsFmw = (r, kind) => median(results.get(r)[kind].map((x, i) => x / results.get(fmwRow)[kind][i]));
  const rows = [["Router", ...kinds.map((k) => `${k} (lookups/s)`)]];
  const ratioRows = [["Router", ...kinds.map((k) => `${k} vs find-my-way`)]];
  for (const r of ROUTERS) {
    const res = results.get(r);
    rows.push([r.label, ...kinds.map((k) => int(median(res[k])))]);
    if (r !== fmwRow) ratioRows.push([r.label, ...kinds.map((k) => ratio(vsFmw(r, k)))]);
  }
  console.log(`\nLookups per CPU-second, medians of ${ROUNDS} round(s):\n`);
  console.log(table(rows, ["l", "r", "r", "r", "r", "r"]));
  console.log(`\nRatio to find-my-way, median over rounds of the round's ratio:\n`);
  console.log(table(ratioRows, ["l", "r", "r", "r", "r", "r"]));
  const worst = Math.min(...kinds.map((k) => vsFmw(ROUTERS[0], k)));
  console.log(
    `\nTarget: Cyclone router (Application.findHandler) >= find-my-way lookups/s on every request list: ` +
      `lowest ${ratio(worst)} — ${worst >= 1 ? "met" : "MISSED"}`,
  );
  const ns = 1e9 / median(results.get(ROUTERS[0]).mix);
  console.log(`Cyclone: ${fixed(ns, 0)} ns per lookup on the mix. (sink ${sink > 0 ? "ok" : "empty"})`);
}

main();

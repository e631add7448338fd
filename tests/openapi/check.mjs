// Checks fcgi/openapi.json: valid OpenAPI 3.1 (the official schema, via
// @seriousme/openapi-schema-validator), every $ref resolves, every component schema is valid
// JSON Schema 2020-12 and accepts its own examples, the error responses follow API.md, and the
// document and the route table of fcgi/fcgi_route.c list the same (method, path) pairs.
//
//   node check.mjs [--spec FILE] [--routes FILE] [--no-self-test]
//
// With VEOGEN_BASE_URL set it also fetches GET /api/v1/openapi.json from that server and
// compares it with the file, and sends real requests to every route (live.mjs) to check the
// answers against the document: point it at a dev stack, as it creates a user and videos.  Unless --no-self-test, it then breaks copies of the document on
// purpose and checks that each breakage is caught.  Ends with "N passed, N failed"; exit 1 on
// any failure.
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Validator } from "@seriousme/openapi-schema-validator";
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { liveChecks } from "./live.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const top = process.env.top_srcdir ? resolve(process.env.top_srcdir) : resolve(here, "../..");
const args = process.argv.slice(2);
const argValue = (name, dflt) => {
	const i = args.indexOf(name);
	return i >= 0 && args[i + 1] ? resolve(args[i + 1]) : dflt;
};
const specFile = argValue("--spec", resolve(top, "fcgi/openapi.json"));
const routesFile = argValue("--routes", resolve(top, "fcgi/fcgi_route.c"));
const selfTest = !args.includes("--no-self-test");

const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];
const PROBLEM = "application/problem+json";

// ---- the route table ----

// Entries look like: {VG_M_GET | VG_M_HEAD, "/api/v1/videos/{id}", h_videos_get, VG_AUTH_USER, VG_RATE_READ},
// where the methods may also be a macro of such bits (#define GET (VG_M_GET | VG_M_HEAD)).
function parseRoutes(source) {
	const code = source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/\/\/.*$/gm, "");
	const macros = new Map();
	for (const m of code.matchAll(/^[ \t]*#[ \t]*define[ \t]+(\w+)[ \t]+(.+)$/gm)) macros.set(m[1], m[2]);
	const methodsOf = (expr, depth = 0) => {
		const out = [];
		for (const tok of expr.match(/\w+/g) || []) {
			if (tok.startsWith("VG_M_")) out.push(tok.slice(5).toLowerCase());
			else if (macros.has(tok) && depth < 8) out.push(...methodsOf(macros.get(tok), depth + 1));
			else throw new Error(`unknown method token ${tok} in "${expr}"`);
		}
		return out;
	};
	const table = code.match(/struct\s+vg_route\s+routes\s*\[\s*\]\s*=\s*\{([\s\S]*?)\n\s*\}\s*;/);
	if (!table) return null;
	const entry = /\{\s*([^,{}"]+?)\s*,\s*"([^"]+)"\s*,\s*(\w+)\s*,\s*(VG_AUTH_\w+)\s*,\s*(VG_RATE_\w+)\s*\}/g;
	const routes = [];
	for (const m of table[1].matchAll(entry))
		routes.push({ methods: methodsOf(m[1]), pattern: m[2], handler: m[3], auth: m[4], rate: m[5] });
	// Every entry must have been understood: count the patterns to catch a changed format.
	const patterns = (table[1].match(/"\//g) || []).length;
	if (patterns !== routes.length)
		throw new Error(`understood ${routes.length} of ${patterns} route entries: has the table's format changed?`);
	return routes;
}

// ---- helpers over the document ----

function pointer(doc, ref) {
	if (!ref.startsWith("#/")) return undefined;
	let node = doc;
	for (const raw of ref.slice(2).split("/")) {
		const key = decodeURIComponent(raw).replace(/~1/g, "/").replace(/~0/g, "~");
		if (node === null || typeof node !== "object" || !(key in node)) return undefined;
		node = node[key];
	}
	return node;
}

const deref = (doc, node) => (node && typeof node.$ref === "string" ? pointer(doc, node.$ref) : node);

function* walkRefs(node, path = "#") {
	if (Array.isArray(node)) {
		for (let i = 0; i < node.length; i++) yield* walkRefs(node[i], `${path}/${i}`);
	} else if (node && typeof node === "object") {
		if (typeof node.$ref === "string") yield [path, node.$ref];
		for (const [k, v] of Object.entries(node)) yield* walkRefs(v, `${path}/${k}`);
	}
}

function* operations(doc) {
	for (const [path, item] of Object.entries(doc.paths || {}))
		for (const method of METHODS) if (item[method]) yield { path, method, item, op: item[method] };
}

const isPublic = (doc, op) => {
	const sec = op.security !== undefined ? op.security : doc.security;
	return !sec || sec.length === 0 || sec.some((req) => Object.keys(req).length === 0);
};

// ---- the checks: each returns a list of failure messages (empty = passed) ----

async function checkOpenApiSchema(doc) {
	const validator = new Validator();
	const res = await validator.validate(structuredClone(doc));
	if (validator.version !== "3.1") return [`expected an OpenAPI 3.1 document, got ${validator.version}`];
	if (res.valid) return [];
	if (!Array.isArray(res.errors)) return [String(res.errors)];
	return res.errors.map((e) => `${e.instancePath || "/"} ${e.message} ${JSON.stringify(e.params)}`);
}

function checkRefs(doc) {
	const bad = [];
	for (const [at, ref] of walkRefs(doc)) if (pointer(doc, ref) === undefined) bad.push(`${at}: $ref ${ref} resolves to nothing`);
	return bad;
}

function checkSchemasAndExamples(doc) {
	const ajv = new Ajv2020({ strict: false, allErrors: true });
	addFormats(ajv);
	const id = "https://veogen.invalid/openapi.json";
	const bad = [];
	try {
		ajv.addSchema({ $id: id, components: { schemas: doc.components?.schemas || {} } });
	} catch (e) {
		return [`components.schemas: ${e.message}`];
	}
	for (const [name, schema] of Object.entries(doc.components?.schemas || {})) {
		if (!ajv.validateSchema(schema)) {
			bad.push(`schema ${name} is not valid JSON Schema 2020-12: ${ajv.errorsText(ajv.errors)}`);
			continue;
		}
		let validate;
		try {
			validate = ajv.getSchema(`${id}#/components/schemas/${name}`);
		} catch (e) {
			bad.push(`schema ${name} does not compile: ${e.message}`);
			continue;
		}
		for (const [i, example] of (schema.examples || []).entries())
			if (!validate(example)) bad.push(`schema ${name}: examples[${i}] is refused: ${ajv.errorsText(validate.errors)}`);
	}
	return bad;
}

// API.md's conventions, operation by operation.
function checkConventions(doc) {
	const bad = [];
	const ids = new Set();
	for (const { path, method, item, op } of operations(doc)) {
		const where = `${method.toUpperCase()} ${path}`;
		if (!op.operationId) bad.push(`${where}: no operationId`);
		else if (ids.has(op.operationId)) bad.push(`${where}: operationId ${op.operationId} used twice`);
		ids.add(op.operationId);
		if (!op.summary) bad.push(`${where}: no summary`);

		const params = [...(item.parameters || []), ...(op.parameters || [])].map((p) => deref(doc, p) || {});
		const declared = new Set(params.filter((p) => p.in === "path").map((p) => p.name));
		const templated = new Set([...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]));
		for (const n of templated) if (!declared.has(n)) bad.push(`${where}: path parameter {${n}} is not declared`);
		for (const n of declared) if (!templated.has(n)) bad.push(`${where}: declares path parameter ${n} that the path lacks`);

		const responses = op.responses || {};
		const need = (code, why) => {
			if (!responses[code]) bad.push(`${where}: no ${code} response (${why})`);
		};
		need("405", "every path answers a wrong method with 405 and Allow");
		if (!isPublic(doc, op)) need("401", "it needs credentials");
		if (op.requestBody) {
			need("400", "it takes a JSON body");
			need("413", "it takes a body");
			need("415", "it takes a JSON body");
		}
		if (templated.size > 0) need("404", "it names a resource");
		if (!Object.keys(responses).some((c) => /^2/.test(c))) bad.push(`${where}: no 2xx response`);

		for (const [code, r0] of Object.entries(responses)) {
			const r = deref(doc, r0) || {};
			const headers = r.headers || {};
			if (!headers["X-Request-Id"]) bad.push(`${where} ${code}: no X-Request-Id header`);
			// readyz answers 503 with its checks; a 416 comes from nginx's file delivery.
			if (/^[45]/.test(code) && op.operationId !== "readyz" && code !== "416") {
				const schema = r.content?.[PROBLEM]?.schema;
				if (!schema || schema.$ref !== "#/components/schemas/Problem")
					bad.push(`${where} ${code}: not ${PROBLEM} with the Problem schema`);
			}
			const wants = { 401: "WWW-Authenticate", 405: "Allow", 429: "Retry-After", 503: "Retry-After" }[code];
			if (wants && !headers[wants]) bad.push(`${where} ${code}: no ${wants} header`);
			if (code === "429")
				for (const h of ["RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"])
					if (!headers[h]) bad.push(`${where} 429: no ${h} header`);
			if (code === "202" && method === "post" && !templated.size && !headers.Location)
				bad.push(`${where} 202: no Location header`);
		}
	}
	return bad;
}

function checkRouteTable(doc, routes) {
	if (!routes) return [`no \`static const struct vg_route routes[] = {…};\` table found in ${routesFile}`];
	if (routes.length === 0) return [`the route table of ${routesFile} has no entry in the expected format`];
	const bad = [];
	const documented = new Map();
	for (const { path, method, op } of operations(doc)) documented.set(`${method} ${path}`, op);
	const routed = new Set();
	for (const r of routes) {
		for (const m of r.methods) {
			if (m === "head" || m === "options") continue; // HEAD follows GET; OPTIONS is not API
			const key = `${m} ${r.pattern}`;
			routed.add(key);
			const op = documented.get(key);
			if (!op) {
				bad.push(`route ${m.toUpperCase()} ${r.pattern} (${r.handler}) is not in the document`);
				continue;
			}
			const pub = isPublic(doc, op);
			if (r.auth === "VG_AUTH_NONE" && !pub)
				bad.push(`${m.toUpperCase()} ${r.pattern}: the route needs no credentials but the document asks for them`);
			if (r.auth !== "VG_AUTH_NONE" && pub)
				bad.push(`${m.toUpperCase()} ${r.pattern}: the route needs credentials (${r.auth}) but the document says security: []`);
			if (r.rate !== "VG_RATE_NONE" && !op.responses?.["429"])
				bad.push(`${m.toUpperCase()} ${r.pattern}: the route is rate limited (${r.rate}) but documents no 429`);
		}
	}
	for (const key of documented.keys())
		if (!routed.has(key)) {
			const [m, p] = key.split(" ");
			bad.push(`the document has ${m.toUpperCase()} ${p}, which is not in the route table`);
		}
	return bad;
}

async function checkServed(doc, raw, base) {
	const url = new URL("/api/v1/openapi.json", base);
	let res;
	try {
		res = await fetch(url);
	} catch (e) {
		return [`GET ${url}: ${e.message}`];
	}
	const bad = [];
	const body = await res.text();
	if (res.status !== 200) bad.push(`GET ${url}: status ${res.status}`);
	if (!/^application\/json\b/.test(res.headers.get("content-type") || ""))
		bad.push(`GET ${url}: Content-Type is ${res.headers.get("content-type")}`);
	if (!/\bmax-age=300\b/.test(res.headers.get("cache-control") || "") || !/\bpublic\b/.test(res.headers.get("cache-control") || ""))
		bad.push(`GET ${url}: Cache-Control is ${res.headers.get("cache-control")}, not "public, max-age=300"`);
	if (!res.headers.get("x-request-id")) bad.push(`GET ${url}: no X-Request-Id`);
	if (body !== raw) bad.push(`GET ${url}: the body differs from ${specFile} (${body.length} vs ${raw.length} bytes): rebuild veogen-fcgi`);
	return bad;
}

// ---- running ----

async function runAll(doc, routes) {
	return [
		["valid OpenAPI 3.1 (official schema)", await checkOpenApiSchema(doc)],
		["every $ref resolves", checkRefs(doc)],
		["component schemas are JSON Schema 2020-12 and accept their examples", checkSchemasAndExamples(doc)],
		["operations follow API.md's conventions", checkConventions(doc)],
		["document and route table list the same routes", checkRouteTable(doc, routes)],
	];
}

// Each breakage must make at least one check fail: proof that the checks can fail.
const breakages = [
	["a route missing from the document", (d) => delete d.paths["/api/v1/me"]],
	["a documented route missing from the table", (d) => (d.paths["/api/v1/nowhere"] = structuredClone(d.paths["/healthz"]))],
	["not OpenAPI (bad info)", (d) => delete d.info.title],
	["a dangling $ref", (d) => (d.components.schemas.VideoList.properties.items.items = { $ref: "#/components/schemas/Nope" })],
	["an invalid JSON Schema type", (d) => (d.components.schemas.Video.properties.progress.type = "int")],
	["an example its schema refuses", (d) => (d.components.schemas.VideoCreate.examples[0].duration_seconds = 5)],
	["a protected operation made public", (d) => (d.paths["/api/v1/me"].get.security = [])],
	["an error response that is not problem+json", (d) => {
		for (const { op } of operations(d)) if (op.responses["404"]) op.responses["404"] = { description: "x", headers: { "X-Request-Id": {} } };
	}],
	["a JSON body without 415", (d) => {
		for (const { op } of operations(d)) if (op.requestBody) delete op.responses["415"];
	}],
];

function report(results) {
	let passed = 0;
	let failed = 0;
	for (const [name, problems] of results) {
		if (problems.length === 0) {
			passed++;
			console.log(`ok - ${name}`);
		} else {
			failed++;
			console.log(`not ok - ${name}`);
			for (const p of problems.slice(0, 40)) console.log(`    ${p}`);
			if (problems.length > 40) console.log(`    … and ${problems.length - 40} more`);
		}
	}
	return [passed, failed];
}

const raw = readFileSync(specFile, "utf8");
let doc;
const results = [];
try {
	doc = JSON.parse(raw);
	results.push(["the document is JSON", []]);
} catch (e) {
	results.push(["the document is JSON", [`${specFile}: ${e.message}`]]);
}
let routes = null;
try {
	routes = parseRoutes(readFileSync(routesFile, "utf8"));
} catch (e) {
	results.push(["the route table is readable", [`${routesFile}: ${e.message}`]]);
}
if (doc) {
	results.push(...(await runAll(doc, routes)));
	const base = process.env.VEOGEN_BASE_URL;
	if (base) {
		results.push([`served by ${base} as built`, await checkServed(doc, raw, base)]);
		results.push(...(await liveChecks(doc, base)));
	} else {
		console.log("# VEOGEN_BASE_URL unset: the served copy and the live answers are not checked");
	}
	if (selfTest) {
		// Caught = a check that passes on the real document fails on the broken copy.
		const failing = async (d) =>
			new Set((await runAll(d, routes)).filter(([, p]) => p.length > 0).map(([n]) => n));
		const before = await failing(doc);
		for (const [name, breakIt] of breakages) {
			const broken = structuredClone(doc);
			breakIt(broken);
			const caught = [...(await failing(broken))].filter((n) => !before.has(n));
			results.push([`self-test: ${name} is caught`, caught.length ? [] : ["no check that passed before fails now"]]);
		}
	}
}
const [passed, failed] = report(results);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);

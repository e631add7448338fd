// A webhook receiver for the tests: records every request and answers by path, so one
// server plays a healthy, a flaky, a gone, a redirecting and a hanging endpoint.
//
//   node tests/fakes/webhook_receiver.mjs --port P --log FILE [--slow-ms MS]
//
// Prints "ready" once it listens on 127.0.0.1:P; SIGTERM or SIGINT stops it.  Node 20, no
// npm packages.  See tests/fakes/README.md for the paths and the log format.
import { appendFileSync } from "node:fs";
import { createServer } from "node:http";

const args = process.argv.slice(2);
const opt = (name, dflt) => {
	const i = args.indexOf(name);
	return i >= 0 && i + 1 < args.length ? args[i + 1] : dflt;
};
const usage = "usage: webhook_receiver.mjs --port P --log FILE [--slow-ms MS]";
const port = Number(opt("--port", ""));
const log = opt("--log", "");
// longer than webhooks.timeout_s can be (60 s): the sender always gives up first
const slowMs = Number(opt("--slow-ms", "65000"));
if (!Number.isInteger(port) || port < 1 || port > 65535 || !log || !(slowMs >= 0)) {
	console.error(usage);
	process.exit(2);
}

// "/fail-N" counts per request target (path and query) and message (webhook-id), so every
// event sent there fails N times, whatever else arrives in between
const seen = new Map();
let seq = 0;

// What a path answers: [status, extra headers] or "slow".
function answer(pathname, search, count) {
	if (pathname === "/ok") return [204, {}];
	if (pathname === "/gone") return [410, {}];
	if (pathname === "/redirect") return [302, { Location: `/ok${search}` }];
	if (pathname === "/slow") return "slow";
	const m = /^\/fail-(\d+)$/.exec(pathname);
	if (m) return count <= Number(m[1]) ? [500, {}] : [204, {}];
	return [404, {}];
}

// Header names lower-cased; a repeated header keeps every value, joined by ", ".
function headerObject(raw) {
	const out = {};
	for (let i = 0; i + 1 < raw.length; i += 2) {
		const k = raw[i].toLowerCase();
		out[k] = k in out ? `${out[k]}, ${raw[i + 1]}` : raw[i + 1];
	}
	return out;
}

const server = createServer((req, res) => {
	const chunks = [];
	req.on("data", (c) => chunks.push(c));
	req.on("end", () => {
		const url = new URL(req.url, "http://receiver.invalid");
		const key = `${req.url} ${req.headers["webhook-id"] || ""}`;
		const count = (seen.get(key) || 0) + 1;
		seen.set(key, count);
		const a = answer(url.pathname, url.search, count);
		const body = Buffer.concat(chunks);
		const record = {
			seq: ++seq,
			time: Date.now(),
			method: req.method,
			path: req.url,
			headers: headerObject(req.rawHeaders),
			body: body.toString("utf8"),
			body_b64: body.toString("base64"),
			status: a === "slow" ? null : a[0],
		};
		// one write per line: a reader never sees half a record
		appendFileSync(log, `${JSON.stringify(record)}\n`);
		if (a === "slow") {
			const t = setTimeout(() => res.writeHead(204).end(), slowMs);
			res.on("close", () => clearTimeout(t));
			return;
		}
		res.writeHead(a[0], a[1]).end();
	});
});

server.on("error", (e) => {
	console.error(`webhook_receiver: ${e.message}`);
	process.exit(1);
});
server.listen(port, "127.0.0.1", () => console.log("ready"));

const stop = () => {
	server.close();
	server.closeAllConnections();
	process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);

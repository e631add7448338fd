// Contract test against a running server: real requests to every documented route, each
// answer checked against the document (its status must be documented for that operation,
// its JSON body must match the documented schema, X-Request-Id must be there).  Creates a
// throw-away user with a few videos and API keys, so point it at a dev stack only.
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";

const SCHEMA_ID = "https://veogen.invalid/openapi.json";

export async function liveChecks(doc, base) {
	const ajv = new Ajv2020({ strict: false, allErrors: true });
	addFormats(ajv);
	ajv.addSchema({ $id: SCHEMA_ID, components: { schemas: doc.components.schemas } });
	const results = [];
	const deref = (n) => {
		let node = n;
		while (node && typeof node.$ref === "string")
			node = node.$ref
				.slice(2)
				.split("/")
				.reduce((o, k) => (o ? o[k.replace(/~1/g, "/").replace(/~0/g, "~")] : undefined), doc);
		return node;
	};

	// call(name, method, template, {params, body, headers, contentType, expect}) → {res, json}
	async function call(name, method, template, opts = {}) {
		const path = template.replace(/\{(\w+)\}/g, (_, k) => encodeURIComponent(opts.params?.[k] ?? ""));
		const url = new URL(path + (opts.query ? `?${opts.query}` : ""), base);
		const headers = { ...(opts.headers || {}) };
		let body;
		if (opts.raw !== undefined) body = opts.raw;
		else if (opts.body !== undefined) body = JSON.stringify(opts.body);
		if (body !== undefined) headers["Content-Type"] = opts.contentType || "application/json";
		const problems = [];
		let res;
		let text = "";
		let json;
		try {
			res = await fetch(url, { method, headers, body, redirect: "manual" });
			text = await res.text();
		} catch (e) {
			results.push([`live: ${name}`, [`${method} ${url}: ${e.message}`]]);
			return { res: undefined, json: undefined };
		}
		const status = String(res.status);
		if (opts.expect && !opts.expect.includes(res.status))
			problems.push(`expected ${opts.expect.join(" or ")}, got ${status}: ${text.slice(0, 300)}`);
		let op = doc.paths?.[template]?.[method.toLowerCase()];
		// A method the path does not take: its 405 is documented on the path's operations.
		if (!op && status === "405")
			op = Object.values(doc.paths?.[template] || {}).find((o) => o?.responses?.["405"]);
		const documented = op ? deref(op.responses?.[status]) : undefined;
		if (!op) problems.push(`${method} ${template} is not documented`);
		else if (!documented) problems.push(`status ${status} is not documented for ${method} ${template}`);
		if (!res.headers.get("x-request-id")) problems.push("no X-Request-Id header");
		const type = (res.headers.get("content-type") || "").split(";")[0].trim();
		if (documented) {
			for (const h of Object.keys(documented.headers || {}))
				if (["Location", "Allow", "WWW-Authenticate"].includes(h) && !res.headers.get(h))
					problems.push(`no ${h} header`);
			const media = documented.content?.[type];
			if (text.length > 0 && documented.content && !media)
				problems.push(`Content-Type ${type} is not one documented (${Object.keys(documented.content).join(", ")})`);
			if (media?.schema && /json/.test(type)) {
				try {
					json = JSON.parse(text);
				} catch (e) {
					problems.push(`body is not JSON: ${e.message}`);
				}
				const schema = media.schema;
				const validate =
					typeof schema.$ref === "string"
						? ajv.getSchema(SCHEMA_ID + schema.$ref)
						: ajv.compile(schema);
				if (json !== undefined && !validate(json))
					problems.push(`body does not match the schema: ${ajv.errorsText(validate.errors)}`);
			}
		}
		if (json === undefined && /json/.test(type)) {
			try {
				json = JSON.parse(text);
			} catch {
				/* reported above when it matters */
			}
		}
		results.push([`live: ${name} (${method} ${template} → ${status})`, problems]);
		return { res, json };
	}

	const bearer = (t) => ({ Authorization: `Bearer ${t}` });
	const email = `contract-${Date.now()}-${Math.floor(Math.random() * 1e9)}@example.com`;
	const password = `contract-${Math.random().toString(36).slice(2)}-pw`;

	await call("liveness", "GET", "/healthz", { expect: [200] });
	await call("readiness", "GET", "/readyz", { expect: [200, 503] });
	await call("styles", "GET", "/api/v1/styles", { expect: [200] });
	await call("a wrong method", "PUT", "/api/v1/videos", { expect: [405] });

	const reg = await call("register", "POST", "/api/v1/auth/register", {
		body: { email, password, display_name: "Contract Test" },
		expect: [201],
	});
	const token = reg.json?.access_token;
	if (!token) return results; // nothing else can run without a session
	await call("register twice", "POST", "/api/v1/auth/register", { body: { email, password }, expect: [409] });
	await call("register, bad fields", "POST", "/api/v1/auth/register", {
		body: { email: "not-an-email", password: "short", extra: true },
		expect: [422],
	});
	await call("login, wrong password", "POST", "/api/v1/auth/login", {
		body: { email, password: `${password}-wrong` },
		expect: [401],
	});
	const login = await call("login", "POST", "/api/v1/auth/login", { body: { email, password }, expect: [200] });
	const refreshed = await call("refresh", "POST", "/api/v1/auth/refresh", {
		body: { refresh_token: login.json?.refresh_token ?? "" },
		expect: [200],
	});
	await call("refresh token reused", "POST", "/api/v1/auth/refresh", {
		body: { refresh_token: login.json?.refresh_token ?? "" },
		expect: [401],
	});

	await call("me", "GET", "/api/v1/me", { headers: bearer(token), expect: [200] });
	await call("me without credentials", "GET", "/api/v1/me", { expect: [401] });
	await call("providers", "GET", "/api/v1/providers", { headers: bearer(token), expect: [200] });
	await call("providers without credentials", "GET", "/api/v1/providers", { expect: [401] });

	const key = await call("create an API key", "POST", "/api/v1/api-keys", {
		headers: bearer(token),
		body: { name: "contract test" },
		expect: [201],
	});
	await call("list API keys", "GET", "/api/v1/api-keys", { headers: { "X-API-Key": key.json?.key ?? "" }, expect: [200] });
	await call("delete an API key", "DELETE", "/api/v1/api-keys/{id}", {
		headers: bearer(token),
		params: { id: key.json?.id },
		expect: [204],
	});
	await call("delete it again", "DELETE", "/api/v1/api-keys/{id}", {
		headers: bearer(token),
		params: { id: key.json?.id },
		expect: [404],
	});

	const create = { prompt: "contract test: a lighthouse at dusk", duration_seconds: 4, resolution: "720p" };
	const idem = `contract-${Date.now()}`;
	const v = await call("create a video", "POST", "/api/v1/videos", {
		headers: { ...bearer(token), "Idempotency-Key": idem },
		body: create,
		expect: [202],
	});
	await call("the same Idempotency-Key and body", "POST", "/api/v1/videos", {
		headers: { ...bearer(token), "Idempotency-Key": idem },
		body: create,
		expect: [200],
	});
	await call("the same Idempotency-Key, another body", "POST", "/api/v1/videos", {
		headers: { ...bearer(token), "Idempotency-Key": idem },
		body: { ...create, prompt: "another prompt" },
		expect: [409],
	});
	await call("invalid fields", "POST", "/api/v1/videos", {
		headers: bearer(token),
		body: { prompt: " ", duration_seconds: 5, aspect_ratio: "4:3", colour: "red" },
		expect: [422],
	});
	await call("not JSON", "POST", "/api/v1/videos", { headers: bearer(token), raw: "{prompt:", expect: [400] });
	await call("not application/json", "POST", "/api/v1/videos", {
		headers: bearer(token),
		raw: "prompt=x",
		contentType: "application/x-www-form-urlencoded",
		expect: [415],
	});
	await call("list videos", "GET", "/api/v1/videos", { headers: bearer(token), query: "limit=1", expect: [200] });
	await call("list videos, limit 0", "GET", "/api/v1/videos", { headers: bearer(token), query: "limit=0", expect: [400] });
	const id = v.json?.id;
	await call("get a video", "GET", "/api/v1/videos/{id}", { headers: bearer(token), params: { id }, expect: [200] });
	await call("another user's or no video", "GET", "/api/v1/videos/{id}", {
		headers: bearer(token),
		params: { id: "00000000-0000-4000-8000-000000000000" },
		expect: [404],
	});
	await call("content", "GET", "/api/v1/videos/{id}/content", { headers: bearer(token), params: { id }, expect: [200, 409] });
	await call("thumbnail", "GET", "/api/v1/videos/{id}/thumbnail", { headers: bearer(token), params: { id }, expect: [200, 409] });
	await call("cancel", "POST", "/api/v1/videos/{id}/cancel", { headers: bearer(token), params: { id }, expect: [202, 409] });
	await call("cancel again", "POST", "/api/v1/videos/{id}/cancel", { headers: bearer(token), params: { id }, expect: [409] });
	await call("delete a video", "DELETE", "/api/v1/videos/{id}", { headers: bearer(token), params: { id }, expect: [204] });
	await call("delete it again", "DELETE", "/api/v1/videos/{id}", { headers: bearer(token), params: { id }, expect: [404] });

	// A video that finishes: its result, its file (whole and a byte range) and its thumbnail.
	const done = await call("create a short video", "POST", "/api/v1/videos", {
		headers: bearer(token),
		body: { prompt: "contract test: a red balloon", duration_seconds: 4 },
		expect: [202],
	});
	const deadline = Date.now() + Number(process.env.VEOGEN_CONTRACT_WAIT_S || 180) * 1000;
	let final;
	while (done.json?.id && Date.now() < deadline) {
		const res = await fetch(new URL(`/api/v1/videos/${done.json.id}`, base), { headers: bearer(token) });
		const video = res.ok ? await res.json() : undefined;
		if (video && ["succeeded", "failed", "cancelled"].includes(video.status)) {
			final = video;
			break;
		}
		await new Promise((r) => setTimeout(r, 500));
	}
	if (!final || final.status !== "succeeded") {
		results.push(["live: a video succeeds", [`it ended ${final ? final.status : "not at all in time"}: ${JSON.stringify(final?.error ?? null)} (is veogen-runner up?)`]]);
	} else {
		const params = { id: final.id };
		await call("a finished video", "GET", "/api/v1/videos/{id}", { headers: bearer(token), params, expect: [200] });
		await call("its content", "GET", "/api/v1/videos/{id}/content", { headers: bearer(token), params, expect: [200] });
		await call("a byte range of it", "GET", "/api/v1/videos/{id}/content", {
			headers: { ...bearer(token), Range: "bytes=0-99" },
			params,
			expect: [206],
		});
		await call("its thumbnail", "GET", "/api/v1/videos/{id}/thumbnail", { headers: bearer(token), params, expect: [200] });
		await call("cancel a finished video", "POST", "/api/v1/videos/{id}/cancel", { headers: bearer(token), params, expect: [409] });
	}

	const session = refreshed.json?.access_token ?? token;
	await call("logout", "POST", "/api/v1/auth/logout", { headers: bearer(session), expect: [204] });
	await call("the logged-out token", "GET", "/api/v1/me", { headers: bearer(session), expect: [401] });
	await call("the document itself", "GET", "/api/v1/openapi.json", { expect: [200] });
	return results;
}

#!/usr/bin/env node
// Fake Google APIs for veogen tests: the Gemini API (Veo + generateContent), Vertex AI Veo,
// the OAuth token endpoint and Cloud Storage, speaking the wire format described in
// shared/research/veo-api.md.  Faults are chosen per request by `fake:...` markers in the
// prompt text, so concurrent tests do not disturb each other.  See README.md next to this file.
//
// Node 20, no npm dependencies.  Every request is O(1) work (Maps), the sample MP4 is read once
// at start, and keep-alive is on: the benchmark drives thousands of requests per second here.
import http from 'node:http';
import crypto from 'node:crypto';
import fs from 'node:fs';

const USAGE = `usage: node google_fake.mjs --port P --storage-port P2 --sample FILE.mp4 --api-key KEY
       [--models id1,id2,...] [--vertex-models id1,...] [--sa-public-key PUB.pem]
       [--done-after-ms 2000] [--log FILE]`;

function die(msg) {
	process.stderr.write(`google_fake: ${msg}\n${USAGE}\n`);
	process.exit(2);
}

function parseArgs(argv) {
	const o = {
		models: 'veo-3.1-generate-preview,veo-3.1-fast-generate-preview,veo-3.1-lite-generate-preview,gemini-3.5-flash',
		vertexModels: 'veo-3.1-generate-001,veo-3.1-fast-generate-001,veo-3.1-lite-generate-001',
		doneAfterMs: '2000',
	};
	const names = {
		'--port': 'port', '--storage-port': 'storagePort', '--sample': 'sample', '--api-key': 'apiKey',
		'--models': 'models', '--vertex-models': 'vertexModels', '--sa-public-key': 'saPublicKey',
		'--done-after-ms': 'doneAfterMs', '--log': 'log',
	};
	for (let i = 0; i < argv.length; i++) {
		let a = argv[i];
		let v;
		const eq = a.indexOf('=');
		if (a.startsWith('--') && eq > 0) {
			v = a.slice(eq + 1);
			a = a.slice(0, eq);
		}
		if (a === '--help' || a === '-h') {
			process.stdout.write(USAGE + '\n');
			process.exit(0);
		}
		const k = names[a];
		if (!k) die(`unknown option ${a}`);
		if (v === undefined) {
			if (i + 1 >= argv.length) die(`${a} needs a value`);
			v = argv[++i];
		}
		o[k] = v;
	}
	for (const [flag, k] of [['--port', 'port'], ['--storage-port', 'storagePort'], ['--sample', 'sample'], ['--api-key', 'apiKey']])
		if (!o[k]) die(`missing ${flag}`);
	for (const k of ['port', 'storagePort', 'doneAfterMs']) {
		const n = Number(o[k]);
		if (!Number.isInteger(n) || n < 0 || (k !== 'doneAfterMs' && (n < 1 || n > 65535))) die(`bad value for ${k}: ${o[k]}`);
		o[k] = n;
	}
	const list = (s) => s.split(',').map((x) => x.trim()).filter(Boolean);
	o.models = new Set(list(o.models));
	o.vertexModels = new Set(list(o.vertexModels));
	return o;
}

const opt = parseArgs(process.argv.slice(2));
let sample;
try {
	sample = fs.readFileSync(opt.sample);
} catch (e) {
	die(`cannot read --sample ${opt.sample}: ${e.message}`);
}
// Shared by every inline Vertex answer: 10,000 operations must not hold 10,000 copies.
const sampleB64Buf = Buffer.from(sample.toString('base64'), 'latin1');
let saKey = null;
if (opt.saPublicKey) {
	try {
		saKey = crypto.createPublicKey(fs.readFileSync(opt.saPublicKey));
	} catch (e) {
		die(`cannot load --sa-public-key ${opt.saPublicKey}: ${e.message}`);
	}
}
const logStream = opt.log ? fs.createWriteStream(opt.log, { flags: 'a' }) : null;
// Download tokens in redirect URLs are an HMAC of the file id: checkable without storing them.
const urlSecret = crypto.randomBytes(32);

// ---------------------------------------------------------------- state

const stats = newStats();
function newStats() {
	return {
		requests: 0, submits: 0, polls: 0, downloads: 0, storage_requests: 0, storage_key_leaks: 0,
		tokens: 0, token_errors: 0, generate_content: 0, operations_created: 0, faults_injected: 0,
	};
}
const ops = new Map(); // operation id -> op
const files = new Map(); // Gemini file id -> { op, idx }
const gcsObjects = new Map(); // "bucket/object" -> op
const accessTokens = new Map(); // access token -> { exp (ms), iss }
const submitCounts = new Map(); // surface + prompt -> submits seen (only prompts with submit faults)

const REC_MAX = 2000;
const BODY_CAP = 4096;
let records = new Array(REC_MAX);
let recSeq = 0;

// ---------------------------------------------------------------- helpers

const JSON_CT = 'application/json; charset=UTF-8';
const STATUS_NAMES = {
	400: 'INVALID_ARGUMENT', 401: 'UNAUTHENTICATED', 402: 'RESOURCE_EXHAUSTED', 403: 'PERMISSION_DENIED',
	404: 'NOT_FOUND', 409: 'ALREADY_EXISTS', 413: 'INVALID_ARGUMENT', 429: 'RESOURCE_EXHAUSTED',
	500: 'INTERNAL', 503: 'UNAVAILABLE', 504: 'DEADLINE_EXCEEDED',
};
const ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';

function randId(n) {
	const b = crypto.randomBytes(n);
	let s = '';
	for (let i = 0; i < n; i++) s += ALNUM[b[i] % 36];
	return s;
}

// Buffers sent one after the other as one body.
class Chunks {
	constructor(list) {
		this.list = list;
	}
}

// body: a string (sent as is), Chunks, or a value to JSON-encode.
function reply(ctx, status, body, headers) {
	const data = typeof body === 'string' || body instanceof Chunks ? body : JSON.stringify(body);
	const go = () => {
		const res = ctx.res;
		if (res.destroyed || res.headersSent) return;
		if (ctx.rec) ctx.rec.status = status;
		let len = 0;
		if (data instanceof Chunks) for (const b of data.list) len += b.length;
		else len = Buffer.byteLength(data);
		res.writeHead(status, { 'Content-Type': JSON_CT, 'Content-Length': len, ...headers });
		if (!(data instanceof Chunks)) return res.end(data);
		res.cork();
		for (const b of data.list) res.write(b);
		res.end();
	};
	if (ctx.delayMs > 0) setTimeout(go, ctx.delayMs);
	else go();
}

// The google.rpc.Status envelope of every Google API error (§3.3).
function gerr(ctx, code, message, details, status) {
	const error = { code, message, status: status || STATUS_NAMES[code] || 'UNKNOWN' };
	if (details) error.details = details;
	reply(ctx, code, { error });
}

function retryInfo(delay) {
	return { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: delay };
}

function quota429(ctx, model) {
	gerr(ctx, 429, 'You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits. Please retry in 1s.', [
		{
			'@type': 'type.googleapis.com/google.rpc.QuotaFailure',
			violations: [{
				quotaMetric: 'generativelanguage.googleapis.com/generate_requests_per_model',
				quotaId: 'GenerateRequestsPerMinutePerProjectPerModel',
				quotaDimensions: { location: 'global', model: model || 'unknown' },
				quotaValue: '10',
			}],
		},
		{ '@type': 'type.googleapis.com/google.rpc.Help', links: [{ description: 'Learn more about Gemini API quotas', url: 'https://ai.google.dev/gemini-api/docs/rate-limits' }] },
		retryInfo('1s'),
	]);
}

function injectedError(ctx, kind, model) {
	stats.faults_injected++;
	switch (kind) {
	case '429': return quota429(ctx, model);
	case '500': return gerr(ctx, 500, 'Internal error encountered.');
	case '503': return gerr(ctx, 503, 'The model is overloaded. Please try again later.');
	case '400': return gerr(ctx, 400, 'Request contains an invalid argument.');
	case '403': return gerr(ctx, 403, 'The caller does not have permission');
	}
	return gerr(ctx, 500, `fake: unknown injected error ${kind}`);
}

function decodeOrNull(s) {
	try {
		return decodeURIComponent(s);
	} catch {
		return null;
	}
}

const isObj = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const isVideoModel = (id) => id.startsWith('veo');
const isLite = (id) => id.includes('-lite');

// ---------------------------------------------------------------- request recording

const B64_KEYS = new Set(['bytesBase64Encoded', 'data', 'encodedVideo']);

function shorten(v, limit, depth, key) {
	if (typeof v === 'string') {
		const max = B64_KEYS.has(key) ? 64 : limit;
		return v.length > max ? `${v.slice(0, Math.min(max, 48))}...(${v.length} chars)` : v;
	}
	if (v === null || typeof v !== 'object' || depth > 24) return v;
	if (Array.isArray(v)) return v.map((x) => shorten(x, limit, depth + 1, key));
	const o = {};
	for (const k of Object.keys(v)) o[k] = shorten(v[k], limit, depth + 1, k);
	return o;
}

// Stored bodies stay under BODY_CAP: base64 first, then long strings, then plain truncation.
function recordBody(raw, json) {
	if (!raw || raw.length === 0) return null;
	if (json === undefined) {
		const s = raw.toString('utf8', 0, Math.min(raw.length, BODY_CAP));
		return raw.length > BODY_CAP ? `${s}...(${raw.length} bytes)` : s;
	}
	let v = shorten(json, 1 << 30, 0, '');
	if (raw.length <= BODY_CAP) return v;
	let s = JSON.stringify(v);
	if (s.length <= BODY_CAP) return v;
	v = shorten(json, 512, 0, '');
	s = JSON.stringify(v);
	if (s.length <= BODY_CAP) return v;
	return `${s.slice(0, BODY_CAP)}...(truncated)`;
}

function record(ctx, server) {
	const rec = {
		seq: ++recSeq, time: Date.now(), server, method: ctx.req.method, path: ctx.req.url,
		host: ctx.req.headers.host || '', headers: ctx.req.headers, body: null, status: 0,
	};
	records[rec.seq % REC_MAX] = rec;
	return rec;
}

// ---------------------------------------------------------------- fault markers

// Markers `fake:NAME[=N]` anywhere in the prompt.  Counted faults apply in the order written.
const MARK_RE = /fake:([a-z0-9]+)(?:=(\d+))?/g;
const SUBMIT_KINDS = { submit429: '429', submit500: '500', submit503: '503', submit400: '400', submit403: '403', lostsubmit: 'lost' };
const POLL_KINDS = { poll429: '429', poll500: '500', poll503: '503', malformed: 'malformed' };
const MS_KINDS = new Set(['done', 'slowpoll', 'slowsubmit']);
const FLAG_KINDS = new Set(['filtered', 'never', 'gcs', 'expired', 'maxtokens', 'safety', 'blocked']);

// Returns null (no markers), { bad: message } or the parsed faults.
function parseFaults(text) {
	if (typeof text !== 'string' || !text.includes('fake:')) return null;
	const f = { submitSeq: [], pollSeq: [], truncated: 0 };
	const ai = text.indexOf('fake:answer=');
	if (ai >= 0) {
		const ans = extractJsonObject(text, ai + 12);
		if (ans === null) return { bad: 'fake:answer= must be followed by a JSON object' };
		f.answer = ans;
		text = text.slice(0, ai) + text.slice(ai + 12 + ans.length);
	}
	for (const m of text.matchAll(MARK_RE)) {
		const name = m[1];
		const n = m[2] === undefined ? undefined : Number(m[2]);
		const count = n === undefined ? Infinity : n;
		if (SUBMIT_KINDS[name]) f.submitSeq.push({ kind: SUBMIT_KINDS[name], count });
		else if (POLL_KINDS[name]) f.pollSeq.push({ kind: POLL_KINDS[name], count });
		else if (name === 'truncated') f.truncated = count;
		else if (name === 'error') {
			if (n === undefined || n < 1 || n > 16) return { bad: 'fake:error=N needs a gRPC code N from 1 to 16' };
			f.error = n;
		} else if (MS_KINDS.has(name)) {
			if (n === undefined) return { bad: `fake:${name}=MS needs a number of milliseconds` };
			f[name] = n;
		} else if (FLAG_KINDS.has(name)) f[name] = true;
		else return { bad: `unknown fault marker fake:${name} (see tests/fakes/README.md)` };
	}
	return f;
}

// The literal text of the JSON object starting at text[i] (braces balanced, strings respected).
function extractJsonObject(text, i) {
	while (i < text.length && text[i] === ' ') i++;
	if (text[i] !== '{') return null;
	let depth = 0;
	let inStr = false;
	for (let j = i; j < text.length; j++) {
		const c = text[j];
		if (inStr) {
			if (c === '\\') j++;
			else if (c === '"') inStr = false;
		} else if (c === '"') inStr = true;
		else if (c === '{' || c === '[') depth++;
		else if (c === '}' || c === ']') {
			if (--depth === 0) return text.slice(i, j + 1);
		}
	}
	return null;
}

function seqPick(seq, n) {
	let cum = 0;
	for (const s of seq) {
		cum += s.count;
		if (n <= cum) return s.kind;
	}
	return null;
}

// The submit fault for this attempt, counting attempts per prompt text.
function submitFault(surface, prompt, faults) {
	if (!faults || faults.submitSeq.length === 0) return null;
	const key = `${surface}\0${prompt}`;
	const n = (submitCounts.get(key) || 0) + 1;
	submitCounts.set(key, n);
	return seqPick(faults.submitSeq, n);
}

// ---------------------------------------------------------------- Veo request validation

const GEMINI_PARAMS = new Set(['aspectRatio', 'resolution', 'durationSeconds', 'negativePrompt', 'personGeneration',
	'sampleCount', 'numberOfVideos', 'enhancePrompt']);
const VERTEX_PARAMS = new Set(['aspectRatio', 'resolution', 'durationSeconds', 'negativePrompt', 'personGeneration',
	'sampleCount', 'enhancePrompt', 'seed', 'generateAudio', 'storageUri', 'pubsubTopic', 'compressionQuality',
	'resizeMode', 'fps']);
const VERTEX_ONLY_PARAMS = new Set(['fps', 'storageUri', 'pubsubTopic', 'compressionQuality', 'resizeMode', 'mask', 'labels']);
const INSTANCE_ONLY = new Set(['prompt', 'image', 'lastFrame', 'referenceImages', 'video']);
const B64_RE = /^[A-Za-z0-9+/]+={0,2}$/;
const IMAGE_MIMES = new Set(['image/png', 'image/jpeg']);
const MAX_IMAGE_B64 = Math.ceil((20 * 1024 * 1024) / 3) * 4;

function checkB64(s, where) {
	if (typeof s !== 'string' || s.length === 0) return `${where} must be a non-empty base64 string`;
	if (s.length % 4 !== 0 || !B64_RE.test(s)) return `${where} is not valid base64`;
	return null;
}

function checkImage(img, where, surface) {
	if (!isObj(img)) return `${where} must be an object with bytesBase64Encoded and mimeType`;
	let mime;
	let data;
	if (img.inlineData !== undefined) {
		if (!isObj(img.inlineData)) return `${where}.inlineData must be an object`;
		mime = img.inlineData.mimeType;
		data = img.inlineData.data;
		const e = checkB64(data, `${where}.inlineData.data`);
		if (e) return e;
	} else if (img.bytesBase64Encoded !== undefined) {
		mime = img.mimeType;
		data = img.bytesBase64Encoded;
		const e = checkB64(data, `${where}.bytesBase64Encoded`);
		if (e) return e;
	} else if (img.gcsUri !== undefined) {
		if (surface === 'gemini') return `${where}.gcsUri isn't supported by this model. Send the image inline as bytesBase64Encoded.`;
		if (typeof img.gcsUri !== 'string' || !img.gcsUri.startsWith('gs://')) return `${where}.gcsUri must be a gs:// URI`;
		mime = img.mimeType;
	} else return `${where} needs bytesBase64Encoded and mimeType`;
	if (!IMAGE_MIMES.has(mime)) return `${where} mimeType must be image/png or image/jpeg, got ${JSON.stringify(mime)}`;
	if (data && data.length > MAX_IMAGE_B64) return `${where} is larger than 20 MB`;
	return null;
}

function checkVideo(v, surface) {
	if (!isObj(v)) return 'instances[0].video must be an object';
	if (surface === 'vertex') {
		if (typeof v.gcsUri === 'string' && v.gcsUri.startsWith('gs://')) return null;
		if (v.bytesBase64Encoded !== undefined) return checkB64(v.bytesBase64Encoded, 'instances[0].video.bytesBase64Encoded');
		return 'instances[0].video needs gcsUri or bytesBase64Encoded';
	}
	if (v.uri !== undefined) {
		const m = typeof v.uri === 'string' && /\/files\/([a-z0-9]+)/.exec(v.uri);
		const f = m && files.get(m[1]);
		if (!f || f.op.faults?.expired || f.op.doneAt > Date.now())
			return 'Input video must be a video that was generated by Veo in the last 2 days.';
		return null;
	}
	if (v.encodedVideo !== undefined) return checkB64(v.encodedVideo, 'instances[0].video.encodedVideo');
	if (v.inlineData !== undefined) {
		if (!isObj(v.inlineData) || v.inlineData.mimeType !== 'video/mp4') return 'instances[0].video.inlineData needs mimeType video/mp4';
		return checkB64(v.inlineData.data, 'instances[0].video.inlineData.data');
	}
	return 'instances[0].video needs uri, encodedVideo or inlineData';
}

const isInt = (v) => typeof v === 'number' && Number.isInteger(v);

// Returns an error message for a 400, or null.  §1.2 (Gemini) and §2.2 (Vertex).
function validateVeo(body, model, surface) {
	if (!isObj(body)) return 'Invalid JSON payload received. Expected an object at the top level.';
	const topAllowed = surface === 'gemini' ? ['instances', 'parameters', 'webhookConfig'] : ['instances', 'parameters', 'labels'];
	for (const k of Object.keys(body)) {
		if (!topAllowed.includes(k)) {
			if (surface === 'gemini' && VERTEX_ONLY_PARAMS.has(k)) return `${k} isn't supported by this model.`;
			return `Invalid JSON payload received. Unknown name "${k}": Cannot find field.`;
		}
	}
	if (!Array.isArray(body.instances) || body.instances.length !== 1)
		return `instances must contain exactly one instance, got ${Array.isArray(body.instances) ? body.instances.length : 'none'}.`;
	const inst = body.instances[0];
	if (!isObj(inst)) return 'instances[0] must be an object.';
	const instAllowed = surface === 'vertex' ? [...INSTANCE_ONLY, 'mask'] : [...INSTANCE_ONLY];
	for (const k of Object.keys(inst)) {
		if (!instAllowed.includes(k)) {
			if (k === 'mask') return 'mask isn\'t supported by this model.';
			return `Invalid JSON payload received. Unknown name "${k}" at 'instances[0]': Cannot find field.`;
		}
	}
	if (inst.prompt !== undefined && typeof inst.prompt !== 'string') return 'instances[0].prompt must be a string.';
	if (!inst.prompt && !inst.image && !inst.video) return 'instances[0].prompt is required.';
	let e;
	if (inst.image !== undefined && (e = checkImage(inst.image, 'instances[0].image', surface))) return e;
	if (inst.lastFrame !== undefined) {
		if (inst.image === undefined) return 'instances[0].lastFrame requires instances[0].image (the first frame).';
		if ((e = checkImage(inst.lastFrame, 'instances[0].lastFrame', surface))) return e;
	}
	const refs = inst.referenceImages;
	if (refs !== undefined) {
		if (isLite(model)) return 'referenceImages isn\'t supported by this model.';
		if (!Array.isArray(refs) || refs.length < 1 || refs.length > 3) return 'instances[0].referenceImages must hold 1 to 3 images.';
		for (let i = 0; i < refs.length; i++) {
			const r = refs[i];
			const where = `instances[0].referenceImages[${i}]`;
			if (!isObj(r)) return `${where} must be an object with image and referenceType.`;
			if ((e = checkImage(r.image, `${where}.image`, surface))) return e;
			const okTypes = surface === 'vertex' ? ['asset', 'style'] : ['asset'];
			if (!okTypes.includes(r.referenceType))
				return `${where}.referenceType must be ${okTypes.join(' or ')}, got ${JSON.stringify(r.referenceType)}.`;
		}
	}
	if (inst.video !== undefined) {
		if (isLite(model)) return 'video extension isn\'t supported by this model.';
		if ((e = checkVideo(inst.video, surface))) return e;
	}

	const p = body.parameters === undefined ? {} : body.parameters;
	if (!isObj(p)) return 'parameters must be an object.';
	for (const k of Object.keys(p)) {
		if (INSTANCE_ONLY.has(k)) return `${k} isn't supported in parameters: send it in instances[0].`;
		const allowed = surface === 'gemini' ? GEMINI_PARAMS : VERTEX_PARAMS;
		if (allowed.has(k)) continue;
		if (surface === 'gemini' && (VERTEX_PARAMS.has(k) || VERTEX_ONLY_PARAMS.has(k))) {
			if (k === 'generateAudio') return 'generateAudio isn\'t supported by this model. Audio is always on for Veo 3 models in the Gemini API.';
			return `${k} isn't supported by this model.`;
		}
		return `Invalid JSON payload received. Unknown name "${k}" at 'parameters': Cannot find field.`;
	}
	if (p.durationSeconds !== undefined) {
		if (!isInt(p.durationSeconds))
			return `durationSeconds must be an integer (4, 6 or 8), got ${JSON.stringify(p.durationSeconds)}.`;
		if (![4, 6, 8].includes(p.durationSeconds)) return `The durationSeconds ${p.durationSeconds} is out of bound. Supported values: 4, 6, 8.`;
	}
	const dur = p.durationSeconds === undefined ? 8 : p.durationSeconds;
	const res = p.resolution === undefined ? '720p' : p.resolution;
	if (!['720p', '1080p', '4k'].includes(res)) return `resolution must be 720p, 1080p or 4k, got ${JSON.stringify(p.resolution)}.`;
	if (res === '4k' && isLite(model)) return 'resolution 4k isn\'t supported by this model.';
	if ((res === '1080p' || res === '4k') && dur !== 8) return `resolution ${res} requires durationSeconds 8.`;
	if (refs !== undefined && dur !== 8) return 'referenceImages require durationSeconds 8.';
	if (inst.video !== undefined && dur !== 8) return 'video extension requires durationSeconds 8.';
	if (inst.video !== undefined && surface === 'gemini' && res !== '720p') return 'video extension only supports resolution 720p.';
	if (p.aspectRatio !== undefined && !['16:9', '9:16'].includes(p.aspectRatio))
		return `aspectRatio must be 16:9 or 9:16, got ${JSON.stringify(p.aspectRatio)}.`;
	const maxSamples = surface === 'gemini' ? 1 : 4;
	for (const k of ['sampleCount', 'numberOfVideos']) {
		if (p[k] !== undefined && (!isInt(p[k]) || p[k] < 1 || p[k] > maxSamples))
			return `${k} must be an integer from 1 to ${maxSamples}, got ${JSON.stringify(p[k])}.`;
	}
	if (p.negativePrompt !== undefined && typeof p.negativePrompt !== 'string') return 'negativePrompt must be a string.';
	if (p.enhancePrompt !== undefined && typeof p.enhancePrompt !== 'boolean') return 'enhancePrompt must be a boolean.';
	if (p.personGeneration !== undefined) {
		const v = p.personGeneration;
		if (surface === 'gemini') {
			// DOC table for Veo 3.1: allow_all for text and extension, allow_adult with images.
			const imageMode = inst.image !== undefined || refs !== undefined;
			if (!['allow_all', 'allow_adult', 'dont_allow'].includes(v)) return `personGeneration ${JSON.stringify(v)} is not a valid value.`;
			if (v !== (imageMode ? 'allow_adult' : 'allow_all')) return `${v} for personGeneration is currently not supported.`;
		} else if (!['allow_adult', 'dont_allow', 'disallow', 'allow_all'].includes(v)) return `personGeneration ${JSON.stringify(v)} is not a valid value.`;
	}
	if (surface === 'vertex') {
		if (p.seed !== undefined && (!isInt(p.seed) || p.seed < 0 || p.seed > 4294967295)) return 'seed must be an integer from 0 to 4294967295.';
		if (p.generateAudio !== undefined && typeof p.generateAudio !== 'boolean') return 'generateAudio must be a boolean.';
		if (p.storageUri !== undefined && (typeof p.storageUri !== 'string' || !/^gs:\/\/[^/]+/.test(p.storageUri)))
			return 'storageUri must be a gs://bucket/path URI.';
		if (p.compressionQuality !== undefined && !['optimized', 'lossless'].includes(String(p.compressionQuality).toLowerCase()))
			return 'compressionQuality must be optimized or lossless.';
		if (p.resizeMode !== undefined && !['crop', 'pad'].includes(p.resizeMode)) return 'resizeMode must be crop or pad.';
		if (p.fps !== undefined && !isInt(p.fps)) return 'fps must be an integer.';
	}
	return null;
}

// ---------------------------------------------------------------- operations

function createOp(surface, model, name, id, prompt, faults, params) {
	const now = Date.now();
	let doneAt = now + opt.doneAfterMs;
	if (faults?.done !== undefined) doneAt = now + faults.done;
	if (faults?.never) doneAt = Infinity;
	let outcome = 'ok';
	if (faults?.error) outcome = 'error';
	else if (faults?.filtered) outcome = 'filtered';
	const op = {
		id, name, surface, model, prompt, created: now, doneAt, outcome, faults, polls: 0, downloads: 0,
		sampleCount: params.sampleCount || params.numberOfVideos || 1, storageUri: params.storageUri, fileIds: [],
		gcsUris: [], cache: null, cacheHost: null,
	};
	ops.set(id, op);
	stats.operations_created++;
	if (outcome !== 'ok') return op;
	for (let i = 0; i < op.sampleCount; i++) {
		if (surface === 'gemini') {
			let fid;
			do fid = randId(12);
			while (files.has(fid));
			files.set(fid, { op, idx: i });
			op.fileIds.push(fid);
		} else if (op.storageUri || faults?.gcs) {
			const base = (op.storageUri || 'gs://fake-veo-output/veo').replace(/\/+$/, '');
			const uri = `${base}/${id}/sample_${i}.mp4`;
			const m = /^gs:\/\/([^/]+)\/(.+)$/.exec(uri);
			gcsObjects.set(`${m[1]}/${m[2]}`, op);
			op.gcsUris.push(uri);
		}
	}
	return op;
}

const GEMINI_FILTER_REASON = 'Your current safety settings for person generation prevented one or more of your videos from being generated. You have not been charged for this attempt. Try rephrasing the prompt. Support codes: 29310472';
const VERTEX_FILTER_REASON = 'Veo could not generate 1 videos based on the prompt provided. You will not be charged for this request. Try rephrasing the prompt. If you think this was an error, send feedback. Support codes: 42237218';
const OP_ERROR_MESSAGES = {
	3: 'The prompt could not be submitted. This prompt contains words that violate our policies. Please remove them and try again.',
	4: 'Deadline exceeded while generating the video.',
	5: 'Requested entity was not found.',
	7: 'The caller does not have permission.',
	8: 'Resource has been exhausted (e.g. check quota).',
	9: 'Precondition check failed.',
	13: 'Internal error encountered.',
	14: 'The service is currently unavailable.',
};

// The done answer of an inline-bytes Vertex operation, built around the shared base64 buffer.
function vertexInlineChunks(op) {
	const chunks = [Buffer.from(`{"name":${JSON.stringify(op.name)},"done":true,"response":{"@type":"type.googleapis.com/cloud.ai.large_models.vision.GenerateVideoResponse","raiMediaFilteredCount":0,"videos":[`)];
	for (let i = 0; i < op.sampleCount; i++) chunks.push(Buffer.from(`${i ? ',' : ''}{"bytesBase64Encoded":"`), sampleB64Buf, Buffer.from('","mimeType":"video/mp4"}'));
	chunks.push(Buffer.from(']}}'));
	return new Chunks(chunks);
}

function opBody(op, host) {
	if (op.doneAt > Date.now()) return { name: op.name };
	if (op.surface === 'vertex' && op.outcome === 'ok' && !op.gcsUris.length) return vertexInlineChunks(op);
	if (op.cache && op.cacheHost === host) return op.cache;
	const b = { name: op.name, done: true };
	if (op.outcome === 'error') {
		const code = op.faults.error;
		b.error = { code, message: OP_ERROR_MESSAGES[code] || `Operation failed with code ${code}.` };
	} else if (op.surface === 'gemini') {
		const gvr = {};
		if (op.outcome === 'filtered') {
			gvr.raiMediaFilteredCount = 1;
			gvr.raiMediaFilteredReasons = [GEMINI_FILTER_REASON];
		} else {
			gvr.generatedSamples = op.fileIds.map((fid) => ({ video: { uri: `http://${host}/v1beta/files/${fid}:download?alt=media` } }));
		}
		b.response = { '@type': 'type.googleapis.com/google.ai.generativelanguage.v1beta.PredictLongRunningResponse', generateVideoResponse: gvr };
	} else {
		const r = { '@type': 'type.googleapis.com/cloud.ai.large_models.vision.GenerateVideoResponse' };
		if (op.outcome === 'filtered') {
			r.raiMediaFilteredCount = 1;
			r.raiMediaFilteredReasons = [VERTEX_FILTER_REASON];
		} else {
			r.raiMediaFilteredCount = 0;
			r.videos = op.gcsUris.map((gcsUri) => ({ gcsUri, mimeType: 'video/mp4' }));
		}
		b.response = r;
	}
	op.cache = JSON.stringify(b);
	op.cacheHost = host;
	return op.cache;
}

// Answers a poll of op (both surfaces): injected poll faults first, then the state.
function answerPoll(ctx, op) {
	stats.polls++;
	op.polls++;
	const f = op.faults;
	if (f?.slowpoll) ctx.delayMs = f.slowpoll;
	const kind = f && f.pollSeq.length ? seqPick(f.pollSeq, op.polls) : null;
	if (kind === 'malformed') {
		stats.faults_injected++;
		return reply(ctx, 200, `{"name": "${op.name}", "done": tr`);
	}
	if (kind) return injectedError(ctx, kind, op.model);
	reply(ctx, 200, opBody(op, ctx.req.headers.host || `127.0.0.1:${opt.port}`));
}

// Serves the sample (whole or a Range), honouring fake:truncated for op.
function sendMedia(ctx, op) {
	const req = ctx.req;
	const res = ctx.res;
	const total = sample.length;
	let start = 0;
	let end = total - 1;
	let status = 200;
	const range = req.headers.range;
	const headers = { 'Content-Type': 'video/mp4', 'Accept-Ranges': 'bytes' };
	if (range) {
		const m = /^bytes=(\d*)-(\d*)$/.exec(range.trim());
		if (m && (m[1] || m[2])) {
			if (m[1]) {
				start = Number(m[1]);
				if (m[2]) end = Math.min(Number(m[2]), total - 1);
			} else start = Math.max(0, total - Number(m[2]));
			if (start >= total || start > end) {
				ctx.rec.status = 416;
				res.writeHead(416, { 'Content-Range': `bytes */${total}`, 'Content-Length': 0 });
				return res.end();
			}
			status = 206;
			headers['Content-Range'] = `bytes ${start}-${end}/${total}`;
		}
	}
	const len = end - start + 1;
	headers['Content-Length'] = len;
	ctx.rec.status = status;
	if (req.method === 'HEAD') {
		res.writeHead(status, headers);
		return res.end();
	}
	op.downloads++;
	if (op.downloads <= (op.faults?.truncated || 0)) {
		stats.faults_injected++;
		res.writeHead(status, headers);
		res.write(sample.subarray(start, start + Math.floor(len / 2)), () => res.destroy());
		return;
	}
	res.writeHead(status, headers);
	res.end(sample.subarray(start, end + 1));
}

// ---------------------------------------------------------------- Gemini API

function geminiAuth(ctx) {
	const key = ctx.req.headers['x-goog-api-key'] ?? ctx.url.searchParams.get('key');
	if (key === undefined || key === null || key === '') {
		gerr(ctx, 403, 'Method doesn\'t allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.');
		return false;
	}
	if (key !== opt.apiKey) {
		const msg = 'API key not valid. Please pass a valid API key.';
		gerr(ctx, 400, msg, [
			{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID', domain: 'googleapis.com', metadata: { service: 'generativelanguage.googleapis.com' } },
			{ '@type': 'type.googleapis.com/google.rpc.LocalizedMessage', locale: 'en-US', message: msg },
		]);
		return false;
	}
	return true;
}

function modelNotFound(ctx, model, method) {
	gerr(ctx, 404, `models/${model} is not found for API version v1beta, or is not supported for ${method}. Call ListModels to see the list of available models and their supported methods.`);
}

function displayName(id) {
	const words = id.replace(/-(generate|preview|001)\b/g, '').split('-');
	return words.map((w) => (/^[0-9.]+$/.test(w) ? w : w[0].toUpperCase() + w.slice(1))).join(' ');
}

function geminiModelJson(id) {
	if (isVideoModel(id)) {
		return {
			name: `models/${id}`, version: (/(\d+\.\d+)/.exec(id) || ['', '1'])[1], displayName: displayName(id),
			description: `${displayName(id)} video generation (fake).`, inputTokenLimit: 1024, outputTokenLimit: 1,
			supportedGenerationMethods: ['predictLongRunning'],
		};
	}
	return {
		name: `models/${id}`, version: '001', displayName: displayName(id), description: `${displayName(id)} (fake).`,
		inputTokenLimit: 1048576, outputTokenLimit: 65536,
		supportedGenerationMethods: ['generateContent', 'countTokens', 'createCachedContent', 'batchGenerateContent'],
		temperature: 1, topP: 0.95, topK: 64, maxTemperature: 2, thinking: true,
	};
}

const RE_G_ACTION = /^\/v1beta\/models\/([^/:]+):([A-Za-z]+)$/;
const RE_G_OP = /^\/v1beta\/models\/([^/:]+)\/operations\/([^/:]+)$/;
const RE_G_MODEL = /^\/v1beta\/models\/([^/:]+)$/;
const RE_G_FILE = /^\/v1beta\/files\/([^/:]+):download$/;

function handleGemini(ctx, path) {
	const method = ctx.req.method;
	let m;
	if ((m = RE_G_ACTION.exec(path)) && method === 'POST') {
		if (!geminiAuth(ctx)) return;
		if (m[2] === 'predictLongRunning') return geminiSubmit(ctx, m[1]);
		if (m[2] === 'generateContent') return generateContent(ctx, m[1]);
		return gerr(ctx, 404, `Method ${m[2]} not found.`);
	}
	if ((m = RE_G_OP.exec(path)) && method === 'GET') {
		if (!geminiAuth(ctx)) return;
		const op = ops.get(m[2]);
		if (!op || op.surface !== 'gemini' || op.model !== m[1]) {
			stats.polls++;
			return gerr(ctx, 404, `Operation models/${m[1]}/operations/${m[2]} not found.`);
		}
		return answerPoll(ctx, op);
	}
	if ((m = RE_G_FILE.exec(path)) && (method === 'GET' || method === 'HEAD')) {
		if (!geminiAuth(ctx)) return;
		stats.downloads++;
		if (ctx.url.searchParams.get('alt') !== 'media') return gerr(ctx, 400, 'Only alt=media downloads are supported for generated videos.');
		const f = files.get(m[1]);
		if (!f || f.op.doneAt > Date.now() || f.op.faults?.expired) return gerr(ctx, 404, `File files/${m[1]} was not found or has expired.`);
		const token = crypto.createHmac('sha256', urlSecret).update(m[1]).digest('hex').slice(0, 32);
		const loc = `http://localhost:${opt.storagePort}/media/${m[1]}.mp4?token=${token}`;
		const html = `<HTML><HEAD><meta http-equiv="content-type" content="text/html;charset=utf-8">\n<TITLE>302 Moved</TITLE></HEAD><BODY>\n<H1>302 Moved</H1>\nThe document has moved\n<A HREF="${loc}">here</A>.\r\n</BODY></HTML>\r\n`;
		return reply(ctx, 302, html, { 'Content-Type': 'text/html; charset=UTF-8', Location: loc });
	}
	if ((m = RE_G_MODEL.exec(path)) && method === 'GET') {
		if (!geminiAuth(ctx)) return;
		if (!opt.models.has(m[1])) return modelNotFound(ctx, m[1], 'get');
		return reply(ctx, 200, geminiModelJson(m[1]));
	}
	if (path === '/v1beta/models' && method === 'GET') {
		if (!geminiAuth(ctx)) return;
		return reply(ctx, 200, { models: [...opt.models].map(geminiModelJson) });
	}
	return gerr(ctx, 404, `The requested URL ${path} was not found on this server.`);
}

function parseJsonBody(ctx) {
	if (ctx.json === undefined) {
		gerr(ctx, 400, `Invalid JSON payload received. ${ctx.jsonError || 'Empty body.'}`);
		return false;
	}
	return true;
}

// Common tail of both submits: faults by prompt, then the operation.
function finishSubmit(ctx, surface, model, prompt, faults, makeName) {
	const kind = submitFault(surface, prompt, faults);
	if (faults?.slowsubmit) ctx.delayMs = faults.slowsubmit;
	if (kind && kind !== 'lost') return injectedError(ctx, kind, model);
	const p = ctx.json.parameters || {};
	const [id, name] = makeName();
	const op = createOp(surface, model, name, id, prompt, faults, p);
	if (kind === 'lost') {
		stats.faults_injected++;
		const kill = () => ctx.req.socket.destroy();
		if (ctx.delayMs > 0) setTimeout(kill, ctx.delayMs);
		else kill();
		return;
	}
	reply(ctx, 200, { name: op.name });
}

function geminiSubmit(ctx, model) {
	stats.submits++;
	if (!opt.models.has(model) || !isVideoModel(model)) return modelNotFound(ctx, model, 'predictLongRunning');
	if (!parseJsonBody(ctx)) return;
	const bad = validateVeo(ctx.json, model, 'gemini');
	if (bad) return gerr(ctx, 400, bad);
	const prompt = ctx.json.instances[0].prompt || '';
	const faults = parseFaults(prompt);
	if (faults?.bad) return gerr(ctx, 400, `fake: ${faults.bad}`);
	finishSubmit(ctx, 'gemini', model, prompt, faults, () => {
		let id;
		do id = randId(12);
		while (ops.has(id));
		return [id, `models/${model}/operations/${id}`];
	});
}

// ---------------------------------------------------------------- generateContent

const GC_TOP = new Set(['contents', 'systemInstruction', 'tools', 'toolConfig', 'safetySettings', 'cachedContent',
	'generationConfig', 'serviceTier', 'labels', 'model', 'store']);
const GC_CONFIG = new Set(['temperature', 'topP', 'topK', 'candidateCount', 'maxOutputTokens', 'stopSequences', 'seed',
	'responseMimeType', 'responseSchema', 'responseJsonSchema', 'responseFormat', 'responseModalities', 'thinkingConfig',
	'mediaResolution', 'presencePenalty', 'frequencyPenalty', 'responseLogprobs', 'logprobs', 'speechConfig',
	'enableEnhancedCivicAnswers', 'imageConfig']);
const camel = (k) => k.replace(/_([a-z])/g, (_, c) => c.toUpperCase());

// A minimal instance of a Gemini Schema / JSON Schema: strings "...", numbers 1, arrays of 3.
function exampleFor(s, root, depth) {
	if (!isObj(s) || depth > 16) return null;
	if (typeof s.$ref === 'string') {
		const m = /^#\/(\$defs|definitions)\/(.+)$/.exec(s.$ref);
		return m && root[m[1]] ? exampleFor(root[m[1]][m[2]], root, depth + 1) : null;
	}
	if (Array.isArray(s.enum) && s.enum.length) return s.enum[0];
	if ('const' in s) return s.const;
	for (const k of ['anyOf', 'oneOf', 'allOf']) {
		if (Array.isArray(s[k]) && s[k].length) {
			const pick = s[k].find((x) => !(isObj(x) && String(x.type).toLowerCase() === 'null')) || s[k][0];
			return exampleFor(pick, root, depth + 1);
		}
	}
	let t = s.type;
	if (Array.isArray(t)) t = t.find((x) => String(x).toLowerCase() !== 'null') ?? 'null';
	t = String(t || (s.properties ? 'object' : s.items ? 'array' : 'string')).toLowerCase();
	switch (t) {
	case 'object': {
		const o = {};
		const props = isObj(s.properties) ? s.properties : {};
		const order = Array.isArray(s.propertyOrdering) ? s.propertyOrdering : [];
		for (const k of [...order, ...Object.keys(props)]) if (!(k in o) && props[k]) o[k] = exampleFor(props[k], root, depth + 1);
		return o;
	}
	case 'array': {
		let n = 3;
		if (s.minItems !== undefined) n = Math.max(n, Number(s.minItems));
		if (s.maxItems !== undefined) n = Math.min(n, Number(s.maxItems));
		return Array.from({ length: n }, () => exampleFor(s.items || { type: 'string' }, root, depth + 1));
	}
	case 'integer':
	case 'number': {
		let v = 1;
		if (s.minimum !== undefined && Number(s.minimum) > v) v = Math.ceil(Number(s.minimum));
		if (s.maximum !== undefined && Number(s.maximum) < v) v = Math.floor(Number(s.maximum));
		return v;
	}
	case 'boolean': return true;
	case 'null': return null;
	default:
		if (s.format === 'date-time') return '2026-01-01T00:00:00Z';
		if (s.format === 'date') return '2026-01-01';
		if (s.minLength !== undefined && Number(s.minLength) > 3) return '.'.repeat(Number(s.minLength));
		return '...';
	}
}

function splitText(t) {
	let mid = Math.ceil(t.length / 2);
	const c = t.charCodeAt(mid - 1);
	if (c >= 0xd800 && c <= 0xdbff) mid++;
	return [t.slice(0, mid), t.slice(mid)];
}

function generateContent(ctx, model) {
	stats.generate_content++;
	if (!opt.models.has(model) || isVideoModel(model)) return modelNotFound(ctx, model, 'generateContent');
	if (!parseJsonBody(ctx)) return;
	const b = ctx.json;
	if (!isObj(b)) return gerr(ctx, 400, 'Invalid JSON payload received. Expected an object at the top level.');
	for (const k of Object.keys(b)) if (!GC_TOP.has(camel(k))) return gerr(ctx, 400, `Invalid JSON payload received. Unknown name "${k}": Cannot find field.`);
	if (!Array.isArray(b.contents) || b.contents.length === 0) return gerr(ctx, 400, '* GenerateContentRequest.contents: contents is not specified\n');
	let text = '';
	for (const c of b.contents) {
		if (!isObj(c) || !Array.isArray(c.parts)) return gerr(ctx, 400, '* GenerateContentRequest.contents[].parts: contents.parts must not be empty.\n');
		for (const p of c.parts) if (isObj(p) && typeof p.text === 'string') text += (text ? '\n' : '') + p.text;
	}
	if (b.contents[b.contents.length - 1].role === 'model') return gerr(ctx, 400, 'Requests ending with a model turn are not supported.');
	const gc = b.generationConfig ?? b.generation_config ?? {};
	if (!isObj(gc)) return gerr(ctx, 400, 'generationConfig must be an object.');
	for (const k of Object.keys(gc)) if (!GC_CONFIG.has(camel(k))) return gerr(ctx, 400, `Invalid JSON payload received. Unknown name "${k}" at 'generation_config': Cannot find field.`);
	const faults = parseFaults(text);
	if (faults?.bad) return gerr(ctx, 400, `fake: ${faults.bad}`);
	const kind = submitFault('text', text, faults);
	if (faults?.slowsubmit) ctx.delayMs = faults.slowsubmit;
	if (kind === 'lost') {
		stats.faults_injected++;
		return setTimeout(() => ctx.req.socket.destroy(), ctx.delayMs);
	}
	if (kind) return injectedError(ctx, kind, model);

	const promptTokens = Math.max(1, Math.ceil(text.length / 4));
	const base = { modelVersion: model, responseId: crypto.randomBytes(15).toString('base64url') };
	if (faults?.blocked) {
		return reply(ctx, 200, {
			promptFeedback: { blockReason: 'SAFETY', safetyRatings: [{ category: 'HARM_CATEGORY_DANGEROUS_CONTENT', probability: 'HIGH', blocked: true }] },
			usageMetadata: { promptTokenCount: promptTokens, totalTokenCount: promptTokens },
			...base,
		});
	}
	if (faults?.safety) {
		return reply(ctx, 200, {
			candidates: [{ finishReason: 'SAFETY', index: 0, safetyRatings: [{ category: 'HARM_CATEGORY_DANGEROUS_CONTENT', probability: 'HIGH', blocked: true }] }],
			usageMetadata: { promptTokenCount: promptTokens, totalTokenCount: promptTokens },
			...base,
		});
	}
	const rf = gc.responseFormat ?? gc.response_format;
	const schema = gc.responseSchema ?? gc.response_schema ?? gc.responseJsonSchema ?? gc.response_json_schema ?? rf?.text?.schema;
	const mime = gc.responseMimeType ?? gc.response_mime_type ?? rf?.text?.mimeType;
	let answer;
	if (faults?.answer !== undefined) answer = faults.answer;
	else if (isObj(schema)) answer = JSON.stringify(exampleFor(schema, schema, 0));
	else if (mime === 'application/json') answer = '{"answer":"..."}';
	else answer = 'This is a fake answer from the Gemini fake server.';
	let finishReason = 'STOP';
	if (faults?.maxtokens) {
		finishReason = 'MAX_TOKENS';
		answer = answer.slice(0, Math.floor(answer.length / 2));
	}
	const [a, z] = splitText(answer);
	const outTokens = Math.max(1, Math.ceil(answer.length / 4));
	const thought = 'Planning the answer (fake thought; clients must skip parts with thought=true).';
	reply(ctx, 200, {
		candidates: [{
			content: {
				role: 'model',
				parts: [{ text: thought, thought: true }, { text: a, thoughtSignature: 'ZmFrZS10aG91Z2h0LXNpZ25hdHVyZQ==' }, { text: z }],
			},
			finishReason,
			index: 0,
		}],
		usageMetadata: {
			promptTokenCount: promptTokens, candidatesTokenCount: outTokens, thoughtsTokenCount: 20,
			totalTokenCount: promptTokens + outTokens + 20, promptTokensDetails: [{ modality: 'TEXT', tokenCount: promptTokens }],
		},
		...base,
	});
}

// ---------------------------------------------------------------- OAuth token endpoint

function oauthErr(ctx, status, error, description) {
	stats.token_errors++;
	reply(ctx, status, { error, error_description: description });
}

function handleToken(ctx) {
	if (ctx.req.method !== 'POST') return oauthErr(ctx, 405, 'invalid_request', 'Only POST is supported.');
	const form = new URLSearchParams(ctx.raw ? ctx.raw.toString('utf8') : '');
	const grant = form.get('grant_type');
	if (grant !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') return oauthErr(ctx, 400, 'unsupported_grant_type', `Invalid grant_type: ${grant || ''}`);
	const assertion = form.get('assertion');
	if (!assertion) return oauthErr(ctx, 400, 'invalid_request', 'Missing required parameter: assertion');
	if (!saKey) return oauthErr(ctx, 400, 'invalid_grant', 'The fake was started without --sa-public-key, so no assertion can be verified.');
	const parts = assertion.split('.');
	if (parts.length !== 3) return oauthErr(ctx, 400, 'invalid_grant', 'Invalid JWT: the assertion must have three dot-separated parts.');
	let header;
	let claims;
	try {
		header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8'));
		claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
	} catch {
		return oauthErr(ctx, 400, 'invalid_grant', 'Invalid JWT: the header or claim set is not base64url JSON.');
	}
	if (!isObj(header) || header.alg !== 'RS256') return oauthErr(ctx, 400, 'invalid_grant', `Invalid JWT: alg must be RS256, got ${JSON.stringify(header?.alg)}.`);
	let okSig = false;
	try {
		okSig = crypto.verify('sha256', Buffer.from(`${parts[0]}.${parts[1]}`), saKey, Buffer.from(parts[2], 'base64url'));
	} catch {
		okSig = false;
	}
	if (!okSig) return oauthErr(ctx, 400, 'invalid_grant', 'Invalid JWT Signature.');
	if (!isObj(claims)) return oauthErr(ctx, 400, 'invalid_grant', 'Invalid JWT: the claim set must be a JSON object.');
	const host = ctx.req.headers.host || `127.0.0.1:${opt.port}`;
	const tokenUrl = `http://${host}/token`;
	if (claims.aud !== tokenUrl) return oauthErr(ctx, 400, 'invalid_grant', `Invalid JWT: Failed audience check. The right audience is ${tokenUrl}`);
	if (typeof claims.iss !== 'string' || !claims.iss) return oauthErr(ctx, 400, 'invalid_grant', 'Invalid JWT: the iss claim (service account email) is missing.');
	if (typeof claims.scope !== 'string' || !claims.scope) return oauthErr(ctx, 400, 'invalid_scope', 'Invalid OAuth scope or ID token audience provided.');
	const now = Math.floor(Date.now() / 1000);
	if (!isInt(claims.exp) || !isInt(claims.iat) || claims.exp <= now || claims.iat > now + 300 || claims.exp - claims.iat > 3600)
		return oauthErr(ctx, 400, 'invalid_grant', 'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.');
	const token = `ya29.fake-${crypto.randomBytes(24).toString('base64url')}`;
	accessTokens.set(token, { exp: Date.now() + 3599 * 1000, iss: claims.iss });
	stats.tokens++;
	reply(ctx, 200, { access_token: token, expires_in: 3599, token_type: 'Bearer' });
}

// ---------------------------------------------------------------- Vertex AI and Cloud Storage

function bearerOk(ctx, service) {
	const h = ctx.req.headers.authorization;
	const m = typeof h === 'string' && /^Bearer\s+(\S+)$/i.exec(h);
	if (!m) {
		gerr(ctx, 401, 'Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.', [
			{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'CREDENTIALS_MISSING', domain: 'googleapis.com', metadata: { service } },
		]);
		return false;
	}
	const t = accessTokens.get(m[1]);
	if (!t || t.exp <= Date.now()) {
		gerr(ctx, 401, 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.', [
			{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: t ? 'ACCESS_TOKEN_EXPIRED' : 'ACCESS_TOKEN_TYPE_UNSUPPORTED', domain: 'googleapis.com', metadata: { service } },
		]);
		return false;
	}
	return true;
}

function publisherNotFound(ctx, p, l, m) {
	gerr(ctx, 404, `Publisher Model \`projects/${p}/locations/${l}/publishers/google/models/${m}\` was not found or your project does not have access to it. Please ensure you are using a valid model version. For more information, see: https://cloud.google.com/vertex-ai/generative-ai/docs/learn/model-versions`);
}

const RE_V_MODEL = /^\/(v1|v1beta1)\/projects\/([^/]+)\/locations\/([^/]+)\/publishers\/google\/models\/([^/:]+)(?::([A-Za-z]+))?$/;
const RE_V_OP = /^\/(v1|v1beta1)\/projects\/([^/]+)\/locations\/([^/]+)\/publishers\/google\/models\/([^/:]+)\/operations\/([^/:]+)$/;
const RE_V_PUBMODEL = /^\/(v1|v1beta1)\/publishers\/google\/models\/([^/:]+)$/;

function vertexModelJson(id, p, l) {
	return {
		name: `publishers/google/models/${id}`, versionId: '001', openSourceCategory: 'PROPRIETARY',
		launchStage: isLite(id) ? 'PUBLIC_PREVIEW' : 'GA',
		publisherModelTemplate: `projects/${p || '{project}'}/locations/${l || '{location}'}/publishers/google/models/${id}@001`,
	};
}

function handleVertex(ctx, path) {
	const method = ctx.req.method;
	let m;
	if ((m = RE_V_OP.exec(path))) {
		if (!bearerOk(ctx, 'aiplatform.googleapis.com')) return;
		// The real API does not serve Veo operations by GET: use :fetchPredictOperation.
		return gerr(ctx, 404, `The requested URL ${path} was not found on this server.`);
	}
	if ((m = RE_V_MODEL.exec(path))) {
		if (!bearerOk(ctx, 'aiplatform.googleapis.com')) return;
		const [, , p, l, model, action] = m;
		if (!action && method === 'GET') {
			if (!opt.vertexModels.has(model)) return publisherNotFound(ctx, p, l, model);
			return reply(ctx, 200, vertexModelJson(model, p, l));
		}
		if (action === 'predictLongRunning' && method === 'POST') return vertexSubmit(ctx, p, l, model);
		if (action === 'fetchPredictOperation' && method === 'POST') return vertexFetch(ctx, p, l, model);
		return gerr(ctx, 404, `The requested URL ${path} was not found on this server.`);
	}
	if ((m = RE_V_PUBMODEL.exec(path)) && method === 'GET') {
		if (!bearerOk(ctx, 'aiplatform.googleapis.com')) return;
		if (!opt.vertexModels.has(m[2])) return gerr(ctx, 404, `Publisher Model \`publishers/google/models/${m[2]}\` not found.`);
		return reply(ctx, 200, vertexModelJson(m[2]));
	}
	return gerr(ctx, 404, `The requested URL ${path} was not found on this server.`);
}

function vertexSubmit(ctx, p, l, model) {
	stats.submits++;
	if (!opt.vertexModels.has(model)) return publisherNotFound(ctx, p, l, model);
	if (!parseJsonBody(ctx)) return;
	const bad = validateVeo(ctx.json, model, 'vertex');
	if (bad) return gerr(ctx, 400, bad);
	const prompt = ctx.json.instances[0].prompt || '';
	const faults = parseFaults(prompt);
	if (faults?.bad) return gerr(ctx, 400, `fake: ${faults.bad}`);
	finishSubmit(ctx, 'vertex', model, prompt, faults, () => {
		let id;
		do id = crypto.randomUUID();
		while (ops.has(id));
		return [id, `projects/${p}/locations/${l}/publishers/google/models/${model}/operations/${id}`];
	});
}

function vertexFetch(ctx, p, l, model) {
	if (!parseJsonBody(ctx)) return;
	const name = isObj(ctx.json) ? ctx.json.operationName : undefined;
	if (typeof name !== 'string' || !name) {
		stats.polls++;
		return gerr(ctx, 400, 'operationName is required.');
	}
	const prefix = `projects/${p}/locations/${l}/publishers/google/models/${model}/operations/`;
	if (!name.startsWith(prefix)) {
		stats.polls++;
		return gerr(ctx, 400, `operationName ${name} does not belong to ${prefix.slice(0, -12)}.`);
	}
	const op = ops.get(name.slice(prefix.length));
	if (!op || op.surface !== 'vertex' || op.name !== name) {
		stats.polls++;
		return gerr(ctx, 404, `Operation ${name} not found.`);
	}
	answerPoll(ctx, op);
}

const RE_GCS = /^\/(?:download\/)?storage\/v1\/b\/([^/]+)\/o\/([^/]+)$/;

function gcsErr(ctx, code, message, reason, extra) {
	reply(ctx, code, { error: { code, message, errors: [{ message, domain: 'global', reason, ...extra }] } });
}

function handleGcs(ctx, m) {
	const bucket = decodeOrNull(m[1]);
	const object = decodeOrNull(m[2]);
	const h = ctx.req.headers.authorization;
	const tm = typeof h === 'string' && /^Bearer\s+(\S+)$/i.exec(h);
	const t = tm && accessTokens.get(tm[1]);
	if (!t || t.exp <= Date.now()) {
		const msg = tm ? 'Invalid Credentials' : 'Anonymous caller does not have storage.objects.get access to the Google Cloud Storage object. Permission \'storage.objects.get\' denied on resource (or it may not exist).';
		return gcsErr(ctx, 401, msg, tm ? 'authError' : 'required', { locationType: 'header', location: 'Authorization' });
	}
	stats.downloads++;
	const op = bucket !== null && object !== null ? gcsObjects.get(`${bucket}/${object}`) : undefined;
	if (!op || op.doneAt > Date.now()) return gcsErr(ctx, 404, `No such object: ${bucket}/${object}`, 'notFound');
	if (ctx.url.searchParams.get('alt') !== 'media') {
		return reply(ctx, 200, { kind: 'storage#object', bucket, name: object, contentType: 'video/mp4', size: String(sample.length) });
	}
	sendMedia(ctx, op);
}

// ---------------------------------------------------------------- control API (not Google's)

function handleControl(ctx, path) {
	const method = ctx.req.method;
	if (path === '/_fake/requests' && method === 'GET') {
		const since = Number(ctx.url.searchParams.get('since') || 0);
		const prefix = ctx.url.searchParams.get('prefix');
		const out = [];
		const first = Math.max(since + 1, recSeq - REC_MAX + 1, 1);
		for (let s = first; s <= recSeq; s++) {
			const r = records[s % REC_MAX];
			if (r && r.seq === s && (!prefix || r.path.startsWith(prefix))) out.push(r);
		}
		return reply(ctx, 200, out);
	}
	if (path === '/_fake/stats' && method === 'GET') {
		const now = Date.now();
		let open = 0;
		for (const op of ops.values()) if (op.doneAt > now) open++;
		return reply(ctx, 200, { ...stats, operations_open: open, operations_total: ops.size, last_seq: recSeq });
	}
	if (path === '/_fake/reset' && method === 'POST') {
		records = new Array(REC_MAX);
		Object.assign(stats, newStats());
		submitCounts.clear();
		if (ctx.url.searchParams.get('ops') === '1') {
			ops.clear();
			files.clear();
			gcsObjects.clear();
		}
		return reply(ctx, 200, { reset: true, last_seq: recSeq });
	}
	if (path === '/_fake/operations' && method === 'GET') {
		const q = ctx.url.searchParams.get('prompt');
		const now = Date.now();
		const out = [];
		for (const op of ops.values()) {
			if (q && !op.prompt.includes(q)) continue;
			out.push({
				name: op.name, surface: op.surface, model: op.model, prompt: op.prompt.slice(0, 200), created: op.created,
				done: op.doneAt <= now, outcome: op.outcome, polls: op.polls, downloads: op.downloads,
			});
			if (out.length >= 1000) break;
		}
		return reply(ctx, 200, out);
	}
	if (path === '/_fake/expire-tokens' && method === 'POST') {
		const n = accessTokens.size;
		accessTokens.clear();
		return reply(ctx, 200, { expired: n });
	}
	return reply(ctx, 404, { error: `unknown control endpoint ${method} ${path}` });
}

// ---------------------------------------------------------------- servers

const MAX_BODY = 64 * 1024 * 1024;

function withBody(ctx, then) {
	const req = ctx.req;
	if (req.method === 'GET' || req.method === 'HEAD') return then();
	const chunks = [];
	let size = 0;
	let tooBig = false;
	req.on('data', (c) => {
		size += c.length;
		if (size > MAX_BODY) tooBig = true;
		else chunks.push(c);
	});
	req.on('end', () => {
		if (tooBig) return gerr(ctx, 413, `Request payload size exceeds the limit: ${MAX_BODY} bytes.`);
		const raw = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
		ctx.raw = raw;
		const ct = req.headers['content-type'] || '';
		if (raw.length && !ct.startsWith('application/x-www-form-urlencoded')) {
			try {
				ctx.json = JSON.parse(raw.toString('utf8'));
			} catch (e) {
				ctx.jsonError = `${e.message}`;
			}
		}
		if (ctx.rec) ctx.rec.body = recordBody(raw, ctx.json);
		then();
	});
	req.on('error', () => {});
}

function logLine(ctx, server, t0) {
	ctx.res.on('finish', () => {
		logStream.write(`${new Date().toISOString()} ${server} ${ctx.req.method} ${ctx.req.url} ${ctx.res.statusCode} ${Date.now() - t0}ms\n`);
	});
}

function safely(ctx, fn) {
	try {
		fn();
	} catch (e) {
		process.stderr.write(`google_fake: bug handling ${ctx.req.method} ${ctx.req.url}: ${e.stack}\n`);
		if (!ctx.res.headersSent) gerr(ctx, 500, `fake server bug: ${e.message}`);
		else ctx.res.destroy();
	}
}

function apiHandler(req, res) {
	const url = new URL(req.url, 'http://x');
	// Some clients escape the ':' of custom methods.
	const path = url.pathname.replace(/%3A/gi, ':');
	const ctx = { req, res, url, delayMs: 0, rec: null };
	if (logStream) logLine(ctx, 'api', Date.now());
	if (path.startsWith('/_fake/')) return withBody(ctx, () => safely(ctx, () => handleControl(ctx, path)));
	stats.requests++;
	ctx.rec = record(ctx, 'api');
	withBody(ctx, () => safely(ctx, () => {
		let m;
		if (path === '/token') return handleToken(ctx);
		if (path.startsWith('/v1beta/')) return handleGemini(ctx, path);
		if ((m = RE_GCS.exec(url.pathname))) return handleGcs(ctx, m);
		if (path.startsWith('/v1/') || path.startsWith('/v1beta1/')) return handleVertex(ctx, path);
		return gerr(ctx, 404, `The requested URL ${path} was not found on this server.`);
	}));
}

// "Another host": serves redirected downloads and records whether credentials leaked to it.
function storageHandler(req, res) {
	const url = new URL(req.url, 'http://x');
	const ctx = { req, res, url, delayMs: 0, rec: null };
	if (logStream) logLine(ctx, 'storage', Date.now());
	stats.requests++;
	stats.storage_requests++;
	ctx.rec = record(ctx, 'storage');
	if (req.headers['x-goog-api-key'] !== undefined || req.headers.authorization !== undefined || url.searchParams.has('key')) {
		stats.storage_key_leaks++;
		ctx.rec.leak = true;
	}
	withBody(ctx, () => safely(ctx, () => {
		const m = /^\/media\/([a-z0-9]+)\.mp4$/.exec(url.pathname);
		if (!m || (req.method !== 'GET' && req.method !== 'HEAD')) return reply(ctx, 404, { error: 'no such media' });
		const want = crypto.createHmac('sha256', urlSecret).update(m[1]).digest('hex').slice(0, 32);
		if (url.searchParams.get('token') !== want) return reply(ctx, 403, { error: 'invalid or missing download token' });
		const f = files.get(m[1]);
		if (!f || f.op.doneAt > Date.now() || f.op.faults?.expired) return reply(ctx, 404, { error: 'no such media' });
		sendMedia(ctx, f.op);
	}));
}

function tune(server) {
	server.keepAliveTimeout = 65000;
	server.headersTimeout = 66000;
	server.requestTimeout = 0;
	server.maxRequestsPerSocket = 0;
	return server;
}

function listen(server, port, host) {
	return new Promise((resolve, reject) => {
		server.once('error', reject);
		server.listen({ port, host, backlog: 4096 }, () => {
			server.removeListener('error', reject);
			resolve();
		});
	});
}

const api = tune(http.createServer(apiHandler));
const storage = tune(http.createServer(storageHandler));
const storage6 = tune(http.createServer(storageHandler));
try {
	await listen(api, opt.port, '127.0.0.1');
	await listen(storage, opt.storagePort, '127.0.0.1');
} catch (e) {
	die(`cannot listen: ${e.message}`);
}
// "localhost" may resolve to ::1 first; serve there too when IPv6 is available.
await listen(storage6, opt.storagePort, '::1').catch(() => {});
process.stdout.write('ready\n');

for (const sig of ['SIGTERM', 'SIGINT']) {
	process.on(sig, () => {
		if (logStream) logStream.end();
		process.exit(0);
	});
}

// The API client: every request of the page goes through api(). The access token lives only
// in this module's memory; the refresh token in sessionStorage, so a reload of this tab
// keeps the session and closing the tab ends it. Refresh tokens rotate and reusing a
// rotated one revokes the whole family, so one refresh at a time, ever.

const REFRESH_KEY = 'veogen.refresh';

let accessToken = null;
let refreshTimer = null;
let refreshing = null; // the refresh under way, shared by every caller
let currentUser = null;
const listeners = new Set();

// A failed request: the problem+json body when the server sent one.
export class ApiError extends Error {
	constructor(status, problem, fallback) {
		const detail = (problem && (problem.detail || problem.title)) || fallback;
		super(detail);
		this.status = status;
		this.problem = problem || null;
		this.detail = detail;
		this.fieldErrors = (problem && Array.isArray(problem.errors)) ? problem.errors : [];
		this.retryAfter = null;
	}
}

export function user() { return currentUser; }
export function isAdmin() { return !!currentUser && currentUser.role === 'admin'; }
export function signedIn() { return !!accessToken; }

// fn(user or null) whenever the session starts, ends or the user changes.
export function onSessionChange(fn) {
	listeners.add(fn);
	return () => listeners.delete(fn);
}

function emit() {
	for (const fn of listeners) fn(currentUser);
}

function storeTokens(pair) {
	accessToken = pair.access_token;
	try {
		sessionStorage.setItem(REFRESH_KEY, pair.refresh_token);
	} catch (e) {
		// storage off (private mode): the session then lasts as long as the page
	}
	clearTimeout(refreshTimer);
	// A minute before expiry (at least 5 s from now), so a request never meets an expired token.
	const inMs = Math.max(5, (pair.expires_in || 900) - 60) * 1000;
	refreshTimer = setTimeout(() => { refresh().catch(() => {}); }, inMs);
}

function dropTokens() {
	accessToken = null;
	clearTimeout(refreshTimer);
	refreshTimer = null;
	try {
		sessionStorage.removeItem(REFRESH_KEY);
	} catch (e) {
		// nothing stored
	}
}

async function parseProblem(res) {
	const type = res.headers.get('Content-Type') || '';
	if (type.includes('json')) {
		try {
			return await res.json();
		} catch (e) {
			return null;
		}
	}
	return null;
}

function statusText(status) {
	if (status === 0) return 'The server could not be reached: check your connection and try again.';
	if (status === 429) return 'Too many requests: wait a moment and try again.';
	if (status === 503) return 'The service is unavailable right now: try again in a few seconds.';
	return `The server answered HTTP ${status}.`;
}

async function send(method, path, opts, token) {
	const headers = new Headers(opts.headers || {});
	let body = opts.body;
	if (opts.json !== undefined) {
		headers.set('Content-Type', 'application/json');
		body = JSON.stringify(opts.json);
	}
	if (token) headers.set('Authorization', `Bearer ${token}`);
	try {
		return await fetch(path, { method, headers, body, signal: opts.signal, cache: 'no-store' });
	} catch (e) {
		if (e.name === 'AbortError') throw e;
		throw new ApiError(0, null, statusText(0));
	}
}

// refresh(): a new token pair from the stored refresh token; one at a time.
export function refresh() {
	if (refreshing) return refreshing;
	refreshing = (async () => {
		let token = null;
		try {
			token = sessionStorage.getItem(REFRESH_KEY);
		} catch (e) {
			token = null;
		}
		if (!token) throw new ApiError(401, null, 'Your session has ended: sign in again.');
		const res = await send('POST', '/api/v1/auth/refresh', { json: { refresh_token: token } });
		if (!res.ok) {
			const problem = await parseProblem(res);
			if (res.status === 400 || res.status === 401 || res.status === 403) {
				dropTokens();
				currentUser = null;
				emit();
			}
			throw new ApiError(res.status, problem, 'Your session has ended: sign in again.');
		}
		const pair = await res.json();
		storeTokens(pair);
		if (pair.user) setUser(pair.user);
		return pair;
	})();
	refreshing.finally(() => { refreshing = null; }).catch(() => {});
	return refreshing;
}

function setUser(u) {
	const changed = JSON.stringify(u) !== JSON.stringify(currentUser);
	currentUser = u;
	if (changed) emit();
}

// api(method, path, {json, body, headers, signal, blob}): the parsed JSON answer (null for
// 204, a Blob with blob: true). Throws ApiError with the problem+json of any failure.
export async function api(method, path, opts = {}) {
	if (refreshing) await refreshing.catch(() => {});
	let res = await send(method, path, opts, accessToken);
	if (res.status === 401 && accessToken && !path.startsWith('/api/v1/auth/')) {
		// the token expired in a sleeping tab, or the server restarted its keys: refresh once
		try {
			await refresh();
			res = await send(method, path, opts, accessToken);
		} catch (e) {
			// fall through: the 401 below ends the session
		}
	}
	if (!res.ok) {
		const problem = await parseProblem(res);
		const err = new ApiError(res.status, problem, statusText(res.status));
		err.retryAfter = res.headers.get('Retry-After');
		if (res.status === 401 && !path.startsWith('/api/v1/auth/')) {
			dropTokens();
			currentUser = null;
			emit();
		}
		throw err;
	}
	if (opts.blob) return res.blob();
	if (res.status === 204) return null;
	const type = res.headers.get('Content-Type') || '';
	return type.includes('json') ? res.json() : res.text();
}

// The media of the API need the token in a header, which <video> and <img> cannot send: they
// get blob: URLs. The caller revokes them (ui.js mediaScope does it for a view).
export async function objectUrl(path, signal) {
	const blob = await api('GET', path, { blob: true, signal });
	return URL.createObjectURL(blob);
}

async function startSession(pair) {
	storeTokens(pair);
	setUser(pair.user || await api('GET', '/api/v1/me'));
	return currentUser;
}

export async function signIn(email, password) {
	return startSession(await api('POST', '/api/v1/auth/login', { json: { email, password } }));
}

export async function signUp(email, password, displayName) {
	const json = { email, password };
	if (displayName) json.display_name = displayName;
	return startSession(await api('POST', '/api/v1/auth/register', { json }));
}

export async function signOut() {
	try {
		if (accessToken) await api('POST', '/api/v1/auth/logout');
	} finally {
		dropTokens();
		currentUser = null;
		emit();
	}
}

// restore(): the session of this tab after a reload, from its refresh token; null if none.
export async function restore() {
	let token = null;
	try {
		token = sessionStorage.getItem(REFRESH_KEY);
	} catch (e) {
		return null;
	}
	if (!token) return null;
	try {
		await refresh();
		setUser(await api('GET', '/api/v1/me'));
		return currentUser;
	} catch (e) {
		dropTokens();
		return null;
	}
}

// reloadUser(): GET /me again (usage changes as work finishes).
export async function reloadUser() {
	setUser(await api('GET', '/api/v1/me'));
	return currentUser;
}

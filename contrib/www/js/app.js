// The page's shell: hash routes (the server only serves files, so every screen is
// index.html#/…), the navigation, and the session. Each screen is a module in views/ whose
// default export render(main, params, scope) fills <main>; scope ends its timers, requests
// and blob: URLs when the user leaves the screen.

import * as session from './api.js';
import { Scope, h, mount, showError } from './ui.js';

const routes = [
	{ path: '/signin', view: 'auth_signin', title: 'Sign in', open: true },
	{ path: '/signup', view: 'auth_signup', title: 'Create an account', open: true },
	{ path: '/videos', view: 'videos', title: 'Videos', nav: 'videos' },
	{ path: '/videos/:id', view: 'video_player', title: 'Video', nav: 'videos' },
	{ path: '/movies', view: 'movies', title: 'Movies', nav: 'movies' },
	{ path: '/movies/new', view: 'movie_new', title: 'New movie', nav: 'movies' },
	{ path: '/movies/:id', view: 'movie_board', title: 'Movie', nav: 'movies' },
	{ path: '/account', view: 'account', title: 'Account', nav: 'account' },
	{ path: '/admin/users', view: 'admin_users', title: 'Admin · Users', nav: 'admin', admin: true },
	{ path: '/admin/jobs', view: 'admin_jobs', title: 'Admin · Jobs', nav: 'admin', admin: true },
	{ path: '/admin/audit', view: 'admin_audit', title: 'Admin · Audit log', nav: 'admin', admin: true },
	{ path: '/admin/usage', view: 'admin_usage', title: 'Admin · Usage', nav: 'admin', admin: true },
];

function match(hashPath) {
	const parts = hashPath.split('/').filter(Boolean);
	for (const r of routes) {
		const want = r.path.split('/').filter(Boolean);
		if (want.length !== parts.length) continue;
		const params = {};
		let ok = true;
		for (let i = 0; i < want.length; i++) {
			if (want[i].startsWith(':')) params[want[i].slice(1)] = decodeURIComponent(parts[i]);
			else if (want[i] !== parts[i]) ok = false;
		}
		if (ok) return { route: r, params };
	}
	return null;
}

// where the user goes once signed in: where they were headed, else the videos
let afterSignIn = '#/videos';
let scope = null;
let renderSeq = 0;

export function go(hash) {
	if (location.hash === hash) render();
	else location.hash = hash;
}

export function returnAfterSignIn() {
	const to = afterSignIn;
	afterSignIn = '#/videos';
	go(to);
}

async function render() {
	const seq = ++renderSeq;
	const main = document.getElementById('main');
	const hashPath = (location.hash || '#/').replace(/^#/, '').split('?')[0] || '/';
	const found = match(hashPath);
	if (scope) scope.dispose();
	scope = new Scope();
	if (!found) {
		go(session.signedIn() ? '#/videos' : '#/signin');
		return;
	}
	const { route, params } = found;
	if (!route.open && !session.signedIn()) {
		afterSignIn = location.hash;
		go('#/signin');
		return;
	}
	if (route.open && session.signedIn()) {
		go('#/videos');
		return;
	}
	document.title = `${route.title} · veogen`;
	for (const a of document.querySelectorAll('[data-nav]')) {
		if (a.dataset.nav === route.nav) a.setAttribute('aria-current', 'page');
		else a.removeAttribute('aria-current');
	}
	if (route.admin && !session.isAdmin()) {
		mount(main, h('h1', {}, 'Admin'),
			h('p', { class: 'notice', role: 'alert' }, 'These pages are for administrators. Ask an administrator of this service to give your account the admin role.'));
		return;
	}
	delete main.dataset.focusOnRender;
	mount(main, h('p', { class: 'loading' }, 'Loading…'));
	try {
		const mod = await import(`./views/${route.view}.js`);
		if (seq !== renderSeq) return;
		await mod.default(main, params, scope);
	} catch (e) {
		if (e.name === 'AbortError' || seq !== renderSeq) return;
		mount(main, h('h1', {}, route.title), h('div', { class: 'form-error', role: 'alert' }, e.detail || e.message));
		if (!e.detail) console.warn(e);
	}
	if (seq === renderSeq && main.dataset.focusOnRender !== 'no') {
		main.focus({ preventScroll: true });
	}
}

function showSession(user) {
	document.getElementById('nav').hidden = !user;
	document.getElementById('who').hidden = !user;
	document.getElementById('nav-admin').hidden = !(user && user.role === 'admin');
	document.getElementById('who-email').textContent = user ? (user.display_name || user.email) : '';
}

async function start() {
	session.onSessionChange((user) => {
		showSession(user);
		// signed out (by the button, an expired session or a disabled account): to the sign-in
		if (!user && !match((location.hash || '').replace(/^#/, ''))?.route.open) go('#/signin');
	});
	document.getElementById('sign-out').addEventListener('click', async () => {
		try {
			await session.signOut();
		} catch (e) {
			showError(e);
		}
	});
	window.addEventListener('hashchange', render);
	await session.restore();
	showSession(session.user());
	render();
}

start();

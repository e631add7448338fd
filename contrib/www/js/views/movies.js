// #/movies: the user's movies, newest first, 20 at a time with "Load more"; each with its
// poster once it is finished, status, stage, progress, scenes, length, cost and a link to
// its board. While any movie shown is planning, rendering or assembling, those are read
// again every 2 s until they settle.
import { api } from '../api.js';
import {
	busy, confirmDialog, fmtDate, fmtSeconds, fmtUsd, h, mount, progressBar, showError, statusBadge, toast,
} from '../ui.js';

const PAGE = 20;
const ACTIVE = new Set(['planning', 'rendering', 'assembling']);
const POLL_MS = 2000;

function isActive(m) {
	return ACTIVE.has(m.status);
}

function moviePath(id) {
	return `/api/v1/movies/${encodeURIComponent(id)}`;
}

function stageText(m) {
	if (m.stage && m.stage !== m.status) return m.stage;
	return null;
}

export default async function render(main, params, scope) {
	const cards = new Map(); // id → {movie, el, poster (blob URL promise)}
	const list = h('ul', { class: 'movie-list', 'aria-label': 'Movies' });
	const empty = h('div', { class: 'card movie-empty', hidden: true },
		h('p', {}, 'No movies yet. A movie is many scenes joined into one film: start from an idea, a script or scenes you write.'),
		h('a', { href: '#/movies/new', class: 'button' }, 'Make your first movie'));
	const more = h('button', { type: 'button', class: 'secondary', hidden: true }, 'Load more');
	const count = h('p', { class: 'muted movie-count', 'aria-live': 'polite' });
	let cursor = null;
	let polling = false;

	// The poster of a finished movie, fetched once per movie (it needs the token).
	function poster(m, box) {
		const entry = cards.get(m.id);
		if (m.status !== 'succeeded') {
			mount(box, h('span', { class: 'movie-poster-none' }, m.status === 'failed' ? 'No film' : 'Not rendered yet'));
			return;
		}
		if (!entry.poster) {
			const path = (m.links && m.links.poster) || `${moviePath(m.id)}/poster`;
			entry.poster = scope.media(path);
			entry.poster.catch(() => {});
		}
		entry.poster.then((url) => {
			mount(box, h('img', { src: url, alt: `Poster of ${m.title}`, loading: 'lazy' }));
		}).catch(() => {
			mount(box, h('span', { class: 'movie-poster-none' }, 'No poster'));
		});
	}

	function fact(k, v) {
		return [h('dt', {}, k), h('dd', {}, v)];
	}

	function cardBody(m) {
		const href = `#/movies/${encodeURIComponent(m.id)}`;
		const box = h('a', { href, class: 'movie-poster', tabindex: -1, 'aria-hidden': 'true' });
		poster(m, box);
		const del = h('button', { type: 'button', class: 'secondary small', 'aria-label': `Delete movie ${m.title}` }, 'Delete');
		del.addEventListener('click', () => remove(m, del));
		const stage = stageText(m);
		const cost = Number(m.spent_cost_usd) > 0
			? `${fmtUsd(m.estimated_cost_usd)} estimated · ${fmtUsd(m.spent_cost_usd)} spent`
			: `${fmtUsd(m.estimated_cost_usd)} estimated`;
		return [
			box,
			h('div', { class: 'movie-card-body' },
				h('h2', { class: 'movie-card-title' }, h('a', { href }, m.title)),
				h('div', { class: 'movie-card-status' }, statusBadge(m.status),
					stage ? h('span', { class: 'muted movie-stage' }, stage) : null),
				isActive(m) || m.status === 'succeeded'
					? progressBar(m.progress, stage, `Progress of ${m.title}`) : null,
				m.error && m.error.message ? h('p', { class: 'movie-error' }, m.error.message) : null,
				h('dl', { class: 'movie-facts' },
					fact('Scenes', String(m.scene_count ?? (m.scenes ? m.scenes.length : 0))),
					fact('Length', fmtSeconds(m.total_duration_seconds)),
					fact('Cost', cost),
					fact('Created', fmtDate(m.created_at))),
				h('div', { class: 'actions' },
					h('a', { href, class: 'button small', 'aria-label': `Open movie ${m.title}` }, 'Open'),
					del)),
		];
	}

	function show(m) {
		let entry = cards.get(m.id);
		if (!entry) {
			entry = { movie: m, el: h('li', {}, h('article', { class: 'card movie-card', dataset: { movieId: m.id } })) };
			cards.set(m.id, entry);
			list.append(entry.el);
		}
		const same = entry.el.firstChild.dataset.status === m.status &&
			JSON.stringify(entry.movie) === JSON.stringify(m) && entry.el.firstChild.childNodes.length;
		entry.movie = m;
		if (same) return;
		const article = entry.el.firstChild;
		const focused = article.contains(document.activeElement) ? document.activeElement.getAttribute('aria-label') || document.activeElement.textContent : null;
		article.setAttribute('aria-label', `Movie: ${m.title}`);
		article.dataset.status = m.status;
		mount(article, cardBody(m));
		if (focused) {
			const again = [...article.querySelectorAll('a, button')].find((el) => (el.getAttribute('aria-label') || el.textContent) === focused);
			again?.focus();
		}
	}

	function summary() {
		const n = cards.size;
		empty.hidden = n > 0;
		list.hidden = n === 0;
		count.textContent = n ? `${n} movie${n === 1 ? '' : 's'}${cursor ? ' shown' : ''}` : '';
	}

	async function remove(m, button) {
		if (!await confirmDialog(`Delete the movie "${m.title}" with all its scenes and files?`, 'Delete')) {
			button.focus();
			return;
		}
		try {
			await busy(button, api('DELETE', moviePath(m.id), { signal: scope.signal }));
		} catch (e) {
			if (e.name === 'AbortError') return;
			if (e.status !== 404) {
				showError(e);
				return;
			}
		}
		const entry = cards.get(m.id);
		const next = entry && (entry.el.nextElementSibling || entry.el.previousElementSibling);
		entry?.el.remove();
		cards.delete(m.id);
		summary();
		toast(`Movie "${m.title}" deleted.`);
		(next?.querySelector('.movie-card-title a') || newLink).focus();
	}

	// every 2 s: each movie shown that is still under way, read again
	function watch() {
		if (polling || ![...cards.values()].some((e) => isActive(e.movie))) return;
		polling = true;
		scope.poll(async () => {
			const active = [...cards.values()].filter((e) => isActive(e.movie));
			if (!active.length) {
				polling = false;
				return false;
			}
			await Promise.all(active.map(async (e) => {
				try {
					show(await api('GET', moviePath(e.movie.id), { signal: scope.signal }));
				} catch (err) {
					if (err.status === 404) {
						e.el.remove();
						cards.delete(e.movie.id);
						summary();
					} else {
						throw err;
					}
				}
			}));
			if ([...cards.values()].some((x) => isActive(x.movie))) return true;
			polling = false;
			return false;
		}, POLL_MS);
	}

	async function page(after) {
		const q = new URLSearchParams({ limit: String(PAGE) });
		if (after) q.set('cursor', after);
		const res = await api('GET', `/api/v1/movies?${q}`, { signal: scope.signal });
		for (const m of res.items || []) show(m);
		cursor = res.next_cursor || null;
		more.hidden = !cursor;
		summary();
		watch();
	}

	more.addEventListener('click', async () => {
		const before = cards.size;
		try {
			await busy(more, page(cursor));
			// the first new movie gets the focus, so the keyboard continues from there
			const first = [...list.children][before];
			first?.querySelector('.movie-card-title a')?.focus();
			if (!first && !more.hidden) more.focus();
		} catch (e) {
			if (e.name !== 'AbortError') showError(e);
		}
	});

	// The screen at once, its movies as they come (so the focus and the "New movie" link do
	// not wait for the network); a failed first page says why, with a way to try again.
	const newLink = h('a', { href: '#/movies/new', class: 'button' }, 'New movie');
	const failure = h('div', { class: 'form-error', role: 'alert', hidden: true });
	const loading = h('p', { class: 'loading' }, 'Loading your movies…');
	const heading = h('h1', { tabindex: -1 }, 'Movies');
	list.hidden = true;
	mount(main, h('div', { class: 'movies' },
		h('div', { class: 'movies-head' }, heading, newLink),
		count,
		loading,
		failure,
		empty,
		list,
		h('div', { class: 'pager' }, more)));

	async function first() {
		failure.hidden = true;
		loading.hidden = false;
		try {
			await page(null);
		} catch (e) {
			if (e.name === 'AbortError' || scope.disposed) return;
			const retry = h('button', { type: 'button', class: 'secondary small' }, 'Try again');
			retry.addEventListener('click', first);
			mount(failure, h('p', {}, `Your movies could not be loaded: ${e.detail || e.message}`), retry);
			failure.hidden = false;
		} finally {
			loading.hidden = true;
		}
	}
	// the screen's heading takes the focus (not all of <main>, whose text is every card)
	main.dataset.focusOnRender = 'no';
	heading.focus({ preventScroll: true });
	first();
}

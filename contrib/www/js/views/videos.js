// #/videos: the form that makes a video (video_form.js) and the gallery of the user's videos,
// newest first, paged with "Load more". While a video is queued or running its card is
// polled every 2 s and updated in place; polling stops when every card shown has finished.
import { api } from '../api.js';
import { field, h, mount, select, showError, toast } from '../ui.js';
import { isActive, promptStart, videoCard, videoPath } from '../video_card.js';
import { videoForm } from '../video_form.js';

const PAGE = 20;
const STATUSES = [['', 'All'], ['queued', 'Queued'], ['running', 'Running'], ['succeeded', 'Succeeded'],
	['failed', 'Failed'], ['cancelled', 'Cancelled']];

export default async function render(main, params, scope) {
	const cards = new Map(); // id → card
	const list = h('ul', { class: 'video-gallery', role: 'list', 'aria-label': 'Your videos' });
	const empty = h('p', { class: 'muted gallery-empty', hidden: true });
	const more = h('button', { type: 'button', class: 'secondary', hidden: true }, 'Load more');
	const filter = select('status', STATUSES, '', { class: 'gallery-filter' });
	const galleryError = h('div', { class: 'form-error', role: 'alert', hidden: true });
	const heading = h('h2', { id: 'gallery-title', tabindex: '-1' }, 'Your videos');
	let next = null;
	let loadSeq = 0;
	let stopPoll = null;

	function syncEmpty() {
		empty.hidden = cards.size > 0;
		empty.textContent = filter.value
			? `No ${filter.value} videos.`
			: 'No videos yet: describe one in the form and choose "Generate video".';
	}

	function removeCard(card) {
		const li = card.el.parentElement;
		const after = li && (li.nextElementSibling || li.previousElementSibling);
		// the focus moves only when it was on the card (its Delete), never from elsewhere
		const hadFocus = card.el.contains(document.activeElement) || !document.activeElement ||
			document.activeElement === document.body;
		cards.delete(card.video.id);
		if (li) li.remove();
		syncEmpty();
		if (!hadFocus) return;
		const target = after && after.querySelector('a.button');
		(target || heading).focus();
	}

	function makeCard(video) {
		return videoCard(video, scope, {
			onDelete: removeCard,
			onCancel: ensurePolling,
		});
	}

	function addCards(videos, atTop) {
		const lis = [];
		for (const v of videos) {
			if (cards.has(v.id)) continue;
			const card = makeCard(v);
			cards.set(v.id, card);
			lis.push(h('li', {}, card.el));
		}
		if (atTop) list.prepend(...lis);
		else list.append(...lis);
		syncEmpty();
		ensurePolling();
	}

	async function loadPage(cursor) {
		const seq = ++loadSeq;
		const q = new URLSearchParams({ limit: String(PAGE) });
		if (filter.value) q.set('status', filter.value);
		if (cursor) q.set('cursor', cursor);
		const res = await api('GET', `/api/v1/videos?${q}`, { signal: scope.signal });
		if (seq !== loadSeq) return;
		if (!cursor) {
			cards.clear();
			list.replaceChildren();
		}
		galleryError.hidden = true;
		addCards(res.items || [], false);
		next = res.next_cursor || null;
		more.hidden = !next;
	}

	// One poll: every card under way read again; the poll ends when none is.
	function ensurePolling() {
		if (stopPoll || ![...cards.values()].some((c) => isActive(c.video))) return;
		stopPoll = scope.poll(async () => {
			const active = [...cards.values()].filter((c) => isActive(c.video));
			if (!active.length) {
				stopPoll = null;
				return false;
			}
			// One list request for the lot (20 videos under way polled one by one would use
			// the whole default rate limit of 600 requests a minute), then one by one only the
			// few it did not cover (older pages).
			const limit = Math.min(100, Math.max(20, cards.size));
			const res = await api('GET', `/api/v1/videos?limit=${limit}`, { signal: scope.signal });
			const fresh = new Map((res.items || []).map((v) => [v.id, v]));
			const missing = [];
			for (const c of active) {
				if (fresh.has(c.video.id)) c.update(fresh.get(c.video.id));
				else missing.push(c);
			}
			await Promise.all(missing.slice(0, 5).map(async (c) => {
				try {
					c.update(await api('GET', videoPath(c.video), { signal: scope.signal }));
				} catch (e) {
					if (e.status === 404) removeCard(c);
					else if (e.name !== 'AbortError') throw e;
				}
			}));
			if (![...cards.values()].some((c) => isActive(c.video))) {
				stopPoll = null;
				return false;
			}
			return true;
		}, 2000);
	}

	function onCreated(video) {
		const have = cards.get(video.id);
		if (have) {
			// the same Idempotency-Key: the server gave back the video this form already made
			have.update(video);
			toast('That video was already made from this form: change something (the seed, say) to make another.');
			return;
		}
		addCards([video], true);
		toast(`Video queued: "${promptStart(video.prompt, 40)}"`);
	}

	filter.addEventListener('change', async () => {
		try {
			await loadPage(null);
		} catch (e) {
			if (e.name !== 'AbortError') showError(e);
		}
	});
	more.addEventListener('click', async () => {
		more.disabled = true;
		try {
			await loadPage(next);
		} catch (e) {
			if (e.name !== 'AbortError') showError(e);
		} finally {
			more.disabled = false;
		}
	});

	const firstPage = loadPage(null).catch((e) => {
		if (e.name === 'AbortError') throw e;
		galleryError.textContent = `Your videos could not be read: ${e.detail || e.message}`;
		galleryError.hidden = false;
	});
	const [form] = await Promise.all([videoForm(scope, { onCreated }), firstPage]);
	syncEmpty();

	const gallery = h('section', { class: 'video-gallery-section', 'aria-labelledby': 'gallery-title' },
		h('div', { class: 'gallery-head' },
			heading,
			field('Status', filter, { class: 'gallery-filter-field' })),
		galleryError,
		empty,
		list,
		h('div', { class: 'pager' }, more));
	mount(main, h('h1', {}, 'Videos'), h('div', { class: 'videos-layout' }, form, gallery));
}

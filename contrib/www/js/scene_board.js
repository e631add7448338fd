// The scene board of a movie: an ordered list of scene cards (number, title, prompt, duration,
// camera, caption, transition, status, progress, the current take's thumbnail, error) with
// Move up / Move down / Edit / Delete / Regenerate. Reordering works by drag and drop, by the
// Move buttons and by Alt+ArrowUp / Alt+ArrowDown on a focused card; focus follows the card
// and a live region says where it went. update(movie) changes the cards in place (never
// rebuilds them), so a card being dragged or a focused button survives a poll.
import { api } from './api.js';
import { fmtSeconds, h, mount, statusBadge, uid } from './ui.js';

function shorten(s, n) {
	const t = (s || '').replace(/\s+/g, ' ').trim();
	return t.length > n ? `${t.slice(0, n - 1)}…` : t;
}

// A scene's name in labels and messages: its title, else the start of its prompt.
export function sceneLabel(scene) {
	return scene.title ? shorten(scene.title, 60) : shorten(scene.prompt, 40);
}

function sameOrder(a, b) {
	return a.length === b.length && a.every((x, i) => x === b[i]);
}

// sceneBoard({scope, reorder(ids) → Promise<movie>, edit(scene), remove(scene),
//   regenerate(scene)}) → {element, update(movie, busy), focusCard(id, what), announce(text)}
// reorder() sends the new order and applies the answer (or restores the server's order and
// throws); the board then moves focus and announces the move.
export function sceneBoard(opts) {
	const { scope } = opts;
	const list = h('ol', { class: 'scene-board', 'aria-label': 'Scenes' });
	const live = h('p', { class: 'visually-hidden board-live', 'aria-live': 'polite', role: 'status' });
	const empty = h('p', { class: 'muted scene-empty', hidden: true });
	const help = h('p', { class: 'hint board-help' },
		'Drag a card to move it, or focus a card and press Alt+↑ / Alt+↓ (or use Move up / Move down).');
	const element = h('div', { class: 'scene-board-wrap' }, help, empty, list, live);
	const cards = new Map(); // scene id → card
	const thumbs = new Map(); // video id → Promise<blob URL or null>
	let movie = null;
	let busyNow = false;
	let drag = null; // {id, li, before: ids, dropped}
	let queue = Promise.resolve();

	function order() {
		return movie ? movie.scenes.map((s) => s.id) : [];
	}

	function domOrder() {
		return [...list.children].map((li) => li.dataset.sceneId);
	}

	// ---- thumbnails: GET the take, then its links.thumbnail as a blob: URL ----
	function thumbUrl(videoId) {
		if (!thumbs.has(videoId)) {
			thumbs.set(videoId, (async () => {
				const v = await api('GET', `/api/v1/videos/${encodeURIComponent(videoId)}`, { signal: scope.signal });
				if (v.status !== 'succeeded' || !v.links || !v.links.thumbnail) return null;
				return scope.media(v.links.thumbnail);
			})().catch((e) => {
				thumbs.delete(videoId); // try again at the next update
				if (e.name !== 'AbortError') console.warn('thumbnail', videoId, e.detail || e.message);
				return null;
			}));
		}
		return thumbs.get(videoId);
	}

	function showThumb(card, scene) {
		const want = scene.status === 'succeeded' && scene.video_id ? scene.video_id : null;
		if (card.thumbFor === want) return;
		card.thumbFor = want;
		if (!want) {
			mount(card.thumb, h('span', { class: 'thumb-none' },
				scene.video_id && scene.status === 'stale' ? 'Edited: needs a new take'
					: scene.video_id ? 'Take under way' : 'No take yet'));
			return;
		}
		thumbUrl(want).then((url) => {
			if (card.thumbFor !== want || !url) return;
			mount(card.thumb, h('img', { src: url, alt: `Take of scene: ${sceneLabel(scene)}`}));
		});
	}

	// ---- one card ----
	function makeCard(scene) {
		const titleId = uid('sc');
		const card = {
			id: scene.id,
			li: null,
			heading: h('h3', { id: titleId, class: 'scene-title' }),
			badge: h('span', { class: 'scene-badge' }),
			prompt: h('p', { class: 'scene-prompt' }),
			facts: h('dl', { class: 'scene-facts' }),
			progress: h('progress', { max: 100, value: 0 }),
			progressText: h('span', { class: 'progress-text' }),
			error: h('p', { class: 'scene-error', hidden: true }),
			thumb: h('div', { class: 'scene-thumb' }),
			up: h('button', { type: 'button', class: 'secondary small', 'aria-describedby': titleId }, 'Move up'),
			down: h('button', { type: 'button', class: 'secondary small', 'aria-describedby': titleId }, 'Move down'),
			edit: h('button', { type: 'button', class: 'secondary small', 'aria-describedby': titleId }, 'Edit'),
			del: h('button', { type: 'button', class: 'danger small', 'aria-describedby': titleId }, 'Delete'),
			regen: h('button', { type: 'button', class: 'secondary small', 'aria-describedby': titleId }, 'Regenerate'),
			scene,
			thumbFor: undefined,
		};
		card.li = h('li', { class: 'scene-card', tabindex: 0, dataset: { sceneId: scene.id } },
			card.thumb,
			h('div', { class: 'scene-body' },
				h('div', { class: 'scene-head' }, card.heading, card.badge),
				card.prompt,
				card.facts,
				h('div', { class: 'progress' }, card.progress, card.progressText),
				card.error,
				h('div', { class: 'actions scene-actions' }, card.up, card.down, card.edit, card.del, card.regen)));
		card.up.addEventListener('click', () => move(card.id, -1, 'up'));
		card.down.addEventListener('click', () => move(card.id, 1, 'down'));
		card.edit.addEventListener('click', () => opts.edit(card.scene));
		card.del.addEventListener('click', () => opts.remove(card.scene));
		card.regen.addEventListener('click', () => opts.regenerate(card.scene, card.regen));
		card.li.addEventListener('keydown', (ev) => {
			if (!ev.altKey || (ev.key !== 'ArrowUp' && ev.key !== 'ArrowDown')) return;
			if (ev.target.closest('input, textarea, select')) return;
			ev.preventDefault();
			move(card.id, ev.key === 'ArrowUp' ? -1 : 1, 'key');
		});
		card.li.addEventListener('dragstart', (ev) => {
			if (busyNow || ev.target !== card.li) {
				if (ev.target === card.li) ev.preventDefault();
				return;
			}
			drag = { id: card.id, li: card.li, before: domOrder(), dropped: false };
			card.li.classList.add('dragging');
			ev.dataTransfer.effectAllowed = 'move';
			ev.dataTransfer.setData('text/plain', card.id);
		});
		card.li.addEventListener('dragend', () => endDrag());
		cards.set(scene.id, card);
		return card;
	}

	function fact(k, v) {
		return h('div', {}, h('dt', {}, k), h('dd', {}, v));
	}

	function fill(card, scene, index, n) {
		card.scene = scene;
		const pos = scene.position || index + 1;
		const label = sceneLabel(scene);
		card.li.setAttribute('aria-label', `Scene ${pos}: ${label}`);
		card.li.dataset.position = String(pos);
		card.li.draggable = !busyNow;
		card.thumb.classList.toggle('portrait', !!movie && movie.aspect_ratio === '9:16');
		mount(card.heading, h('span', { class: 'scene-num' }, `${pos}.`), ' ', scene.title || h('span', { class: 'muted' }, 'Untitled scene'));
		if (card.badge.dataset.status !== scene.status) {
			card.badge.dataset.status = scene.status;
			mount(card.badge, statusBadge(scene.status));
		}
		card.prompt.textContent = scene.prompt;
		mount(card.facts,
			fact('Duration', fmtSeconds(scene.duration_seconds)),
			fact('Camera', scene.camera || '—'),
			fact('Caption', scene.caption || '—'),
			fact('Transition', scene.transition || `movie's (${(movie && movie.transition) || 'cut'})`));
		const v = Math.max(0, Math.min(100, Math.round(Number(scene.progress) || 0)));
		card.progress.value = v;
		card.progress.setAttribute('aria-label', `Scene ${pos} progress`);
		card.progressText.textContent = `${v} %`;
		const err = scene.error && (scene.error.message || scene.error.code);
		card.error.hidden = !err;
		card.error.textContent = err ? `Error: ${err}` : '';
		card.up.disabled = busyNow || index === 0;
		card.down.disabled = busyNow || index === n - 1;
		card.edit.disabled = busyNow;
		card.del.disabled = busyNow;
		card.regen.hidden = !scene.video_id;
		card.regen.disabled = busyNow;
		showThumb(card, scene);
	}

	// Puts the cards in the DOM in the movie's order; focus stays where it was.
	function arrange(ids) {
		const active = document.activeElement;
		ids.forEach((id, i) => {
			const li = cards.get(id).li;
			if (list.children[i] !== li) list.insertBefore(li, list.children[i] || null);
		});
		if (active && active.isConnected && document.activeElement !== active) active.focus({ preventScroll: true });
	}

	function update(m, isBusy) {
		movie = m;
		busyNow = !!isBusy;
		const scenes = m.scenes || [];
		const ids = new Set(scenes.map((s) => s.id));
		for (const [id, card] of cards) {
			if (!ids.has(id)) {
				card.li.remove();
				cards.delete(id);
			}
		}
		scenes.forEach((s, i) => fill(cards.get(s.id) || makeCard(s), s, i, scenes.length));
		if (!drag) arrange(scenes.map((s) => s.id));
		else for (const s of scenes) if (!cards.get(s.id).li.isConnected) list.append(cards.get(s.id).li);
		empty.hidden = scenes.length > 0;
		empty.textContent = m.status === 'planning' ? 'The planner is writing the scenes…' : 'No scenes yet: add one.';
		help.hidden = scenes.length < 2;
	}

	function announce(text) {
		live.textContent = '';
		// a new text node each time, so the same message twice is read twice
		setTimeout(() => { live.textContent = text; }, 50);
	}

	// focusCard(id, what): 'card', 'up', 'down' (the button, else the card), 'edit'.
	function focusCard(id, what = 'card') {
		const card = cards.get(id);
		if (!card) return;
		let el = card.li;
		if (what === 'up' || what === 'down') {
			const want = what === 'up' ? card.up : card.down;
			const other = what === 'up' ? card.down : card.up;
			el = !want.disabled ? want : !other.disabled ? other : card.li;
		} else if (what === 'edit' && !card.edit.disabled) {
			el = card.edit;
		}
		el.focus();
		card.li.scrollIntoView?.({ block: 'nearest' });
	}

	// Sends one new order (runs inside the queue: one reorder at a time).
	async function send(ids, info) {
		const before = order();
		const focusWhat = info.via === 'key' || info.via === 'drag' ? 'card' : info.via;
		if (sameOrder(ids, before)) {
			arrange(before);
			return;
		}
		arrange(ids);
		try {
			await opts.reorder(ids);
		} catch (e) {
			// the view restored the server's order and said what went wrong
			focusCard(info.id, focusWhat);
			return;
		}
		focusCard(info.id, focusWhat);
		announce(`Scene ${info.from} moved to position ${order().indexOf(info.id) + 1}`);
	}

	function enqueue(fn) {
		queue = queue.then(fn).catch((e) => console.warn('reorder', e));
	}

	function move(id, delta, via) {
		if (busyNow) return;
		enqueue(() => {
			const ids = order();
			const i = ids.indexOf(id);
			const j = i + delta;
			if (i < 0 || j < 0 || j >= ids.length) {
				announce(j < 0 ? 'Already the first scene' : 'Already the last scene');
				return null;
			}
			ids.splice(i, 1);
			ids.splice(j, 0, id);
			return send(ids, { id, from: i + 1, via });
		});
	}

	// ---- drag and drop: the dragged card moves live between the others ----
	list.addEventListener('dragover', (ev) => {
		if (!drag) return;
		ev.preventDefault();
		ev.dataTransfer.dropEffect = 'move';
		const over = ev.target.closest && ev.target.closest('.scene-card');
		if (!over || over === drag.li || over.parentNode !== list) return;
		const r = over.getBoundingClientRect();
		const before = ev.clientY < r.top + r.height / 2;
		const ref = before ? over : over.nextSibling;
		if (ref !== drag.li && drag.li.nextSibling !== ref) list.insertBefore(drag.li, ref);
	});
	list.addEventListener('drop', (ev) => {
		if (!drag) return;
		ev.preventDefault();
		drag.dropped = true;
		endDrag();
	});

	function endDrag() {
		if (!drag) return;
		const d = drag;
		drag = null;
		d.li.classList.remove('dragging');
		const ids = domOrder();
		if (!d.dropped || sameOrder(ids, d.before)) {
			arrange(order());
			return;
		}
		const info = { id: d.id, from: d.before.indexOf(d.id) + 1, via: 'drag' };
		enqueue(() => send(ids, info));
	}

	return { element, update, focusCard, announce };
}

// One video in the gallery: an <article> with its thumbnail, prompt, status, stage and
// progress, Cancel / Delete / Open. update(video) changes the card in place (the nodes stay,
// so a poll never makes it flicker or takes the keyboard focus away).
import { api } from './api.js';
import { busy, confirmDialog, fmtDate, h, progressBar, showError, toast } from './ui.js';

export const ACTIVE = new Set(['queued', 'running']);

export function isActive(video) {
	return ACTIVE.has(video.status);
}

// "a red fox runs…": the start of a prompt, for names and headings.
export function promptStart(prompt, n = 60) {
	const s = String(prompt || '').replace(/\s+/g, ' ').trim();
	return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

export function videoPath(video) {
	return (video.links && video.links.self) || `/api/v1/videos/${encodeURIComponent(video.id)}`;
}

// "4 s · 1280×720 · 16:9" (the result's size once made, else the asked resolution)
export function sizeText(video) {
	const r = video.result;
	const dur = r && r.duration_seconds ? Math.round(r.duration_seconds * 10) / 10 : video.duration_seconds;
	const size = r && r.width ? `${r.width}×${r.height}` : video.resolution;
	return [dur !== null && dur !== undefined ? `${dur} s` : null, size, video.aspect_ratio]
		.filter(Boolean).join(' · ');
}

export function stageText(video) {
	if (video.status === 'succeeded') return 'done';
	if (video.status === 'failed' || video.status === 'cancelled') return video.status;
	return video.stage || video.status;
}

export function errorText(video) {
	const e = video.error;
	if (!e) return '';
	if (typeof e === 'string') return e;
	return e.message ? `${e.message}${e.code ? ` (${e.code})` : ''}` : (e.code || 'failed');
}

// videoCard(video, scope, {onDelete(card), onChange(card)}): {el, video, update(v)}
export function videoCard(video, scope, hooks = {}) {
	const href = `#/videos/${encodeURIComponent(video.id)}`;
	const thumb = h('div', { class: 'video-thumb', 'aria-hidden': 'true' });
	const badgeEl = h('span', { class: 'badge' });
	const bar = progressBar(video.progress, '');
	const progressEl = bar.querySelector('progress');
	const progressText = bar.querySelector('.progress-text');
	const meta = h('p', { class: 'video-meta muted' });
	const created = h('time', { class: 'muted' });
	const error = h('p', { class: 'video-error', hidden: true });
	const open = h('a', { href, class: 'button secondary', 'aria-label': `Open video: ${promptStart(video.prompt, 40)}` }, 'Open');
	const cancel = h('button', { type: 'button', class: 'secondary' }, 'Cancel');
	const del = h('button', { type: 'button', class: 'danger' }, 'Delete');
	const el = h('article', { class: 'card video-card', 'aria-label': `Video: ${promptStart(video.prompt)}`, dataset: { videoId: video.id } },
		h('a', { href, class: 'video-thumb-link', tabindex: '-1', 'aria-hidden': 'true' }, thumb),
		h('div', { class: 'video-card-body' },
			h('p', { class: 'video-prompt', title: video.prompt || '' }, video.prompt || ''),
			video.movie_id ? h('p', { class: 'muted video-scene' }, 'A scene take of ',
				h('a', { href: `#/movies/${encodeURIComponent(video.movie_id)}` }, 'a movie')) : null,
			h('div', { class: 'video-status' }, badgeEl, created),
			bar,
			meta,
			error,
			h('div', { class: 'actions' }, open, cancel, del)));

	const card = { el, video, update, thumbLoaded: false };

	async function loadThumb() {
		if (card.thumbLoaded || card.video.status !== 'succeeded' || !card.video.links?.thumbnail) return;
		card.thumbLoaded = true;
		try {
			const url = await scope.media(card.video.links.thumbnail);
			thumb.replaceChildren(h('img', { src: url, alt: '', loading: 'lazy', decoding: 'async' }));
			thumb.classList.add('has-image');
		} catch (e) {
			if (e.name === 'AbortError') return;
			card.thumbLoaded = false;
			thumb.replaceChildren(h('span', { class: 'video-thumb-text' }, 'No thumbnail'));
		}
	}

	function update(v) {
		const was = card.video;
		card.video = v;
		if (badgeEl.textContent !== v.status) {
			badgeEl.className = `badge badge-${v.status}`;
			badgeEl.textContent = v.status;
		}
		const pct = Math.max(0, Math.min(100, Math.round(Number(v.status === 'succeeded' ? 100 : v.progress) || 0)));
		if (Number(progressEl.value) !== pct || progressEl.getAttribute('value') !== String(pct)) {
			progressEl.value = pct;
			progressEl.setAttribute('value', String(pct));
		}
		const stage = `${pct} % · ${stageText(v)}`;
		if (progressText.textContent !== stage) progressText.textContent = stage;
		const m = sizeText(v);
		if (meta.textContent !== m) meta.textContent = m;
		if (created.dateTime !== (v.created_at || '')) {
			created.dateTime = v.created_at || '';
			created.textContent = fmtDate(v.created_at);
		}
		const err = v.status === 'failed' || v.status === 'cancelled' ? errorText(v) : '';
		error.hidden = !err;
		if (error.textContent !== err) error.textContent = err;
		const active = isActive(v);
		if (cancel.hidden === active) {
			const hadFocus = document.activeElement === cancel;
			cancel.hidden = !active;
			if (hadFocus && !active) open.focus();
		}
		if (!card.thumbLoaded) {
			if (v.status === 'succeeded') loadThumb();
			else if (!thumb.firstChild || (was && was.status !== v.status)) {
				thumb.replaceChildren(h('span', { class: 'video-thumb-text' }, active ? 'Making…' : v.status));
			}
		}
		el.classList.toggle('is-active', active);
		if (hooks.onChange && was && was.status !== v.status) hooks.onChange(card, was);
	}

	cancel.addEventListener('click', async () => {
		try {
			await busy(cancel, api('POST', `${videoPath(card.video)}/cancel`, { signal: scope.signal }));
			toast('Cancelling the video…');
			update(await api('GET', videoPath(card.video), { signal: scope.signal }));
			if (hooks.onCancel) hooks.onCancel(card);
		} catch (e) {
			if (e.name === 'AbortError') return;
			showError(e);
		}
	});

	del.addEventListener('click', async () => {
		const what = promptStart(card.video.prompt, 40);
		if (!await confirmDialog(`Delete the video "${what}"? Its files go too; this cannot be undone.`, 'Delete')) {
			del.focus();
			return;
		}
		try {
			await busy(del, api('DELETE', videoPath(card.video), { signal: scope.signal }));
			toast('Video deleted.');
			if (hooks.onDelete) hooks.onDelete(card);
		} catch (e) {
			if (e.name === 'AbortError') return;
			if (e.status === 404 && hooks.onDelete) {
				hooks.onDelete(card);
				return;
			}
			showError(e);
		}
	});

	update(video);
	return card;
}

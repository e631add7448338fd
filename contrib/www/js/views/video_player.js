// #/videos/:id: one video: the player once it has succeeded (a blob: URL, since the content
// needs the token), its progress while it is made (polled every 2 s), every detail the API
// gives, Download MP4, Cancel and Delete.
import { api } from '../api.js';
import { go } from '../app.js';
import {
	busy, confirmDialog, download, fmtBytes, fmtDate, fmtUsd, h, mount, progressBar, showError, statusBadge, toast,
} from '../ui.js';
import { errorText, isActive, promptStart, stageText, videoPath } from '../video_card.js';

export default async function render(main, params, scope) {
	const path = `/api/v1/videos/${encodeURIComponent(params.id)}`;
	let video = await api('GET', path, { signal: scope.signal });
	let styles = [];
	try {
		styles = (await api('GET', '/api/v1/styles', { signal: scope.signal })).items || [];
	} catch (e) {
		if (e.name === 'AbortError') throw e;
	}

	const title = h('h1', { class: 'video-title' });
	const badgeBox = h('span', { class: 'video-title-status' });
	const stage = h('div', { class: 'video-stage' });
	const media = h('div', { class: 'video-media' });
	const facts = h('dl', { class: 'facts video-facts' });
	const downloadBtn = h('button', { type: 'button' }, 'Download MP4');
	const cancelBtn = h('button', { type: 'button', class: 'secondary' }, 'Cancel');
	const deleteBtn = h('button', { type: 'button', class: 'danger' }, 'Delete');
	let shownMediaFor = null; // the status the media box was built for

	function styleName(id) {
		if (!id) return '—';
		const s = styles.find((x) => x.id === id);
		return s ? `${s.name} (${id})` : id;
	}

	function showFacts(v) {
		const r = v.result || {};
		const rows = [
			['Prompt', v.prompt],
			['Negative prompt', v.negative_prompt || '—'],
			v.enhance_prompt ? ['Enhanced prompt', v.enhanced_prompt || (isActive(v) ? 'being written…' : '—')] : null,
			['Style', styleName(v.style)],
			['Provider', v.provider || '—'],
			['Model', v.model || '—'],
			['Seed', v.seed === null || v.seed === undefined ? 'random' : String(v.seed)],
			['Duration', r.duration_seconds ? `${Math.round(r.duration_seconds * 100) / 100} s (asked ${v.duration_seconds} s)` : `${v.duration_seconds} s`],
			['Aspect ratio', v.aspect_ratio || '—'],
			['Resolution', r.width ? `${v.resolution} (${r.width}×${r.height})` : (v.resolution || '—')],
			['Size', r.size_bytes ? `${fmtBytes(r.size_bytes)} (${r.size_bytes} bytes)` : '—'],
			['Type', r.mime_type || '—'],
			['SHA-256', r.sha256 ? h('code', { class: 'hash' }, r.sha256) : '—'],
			['Audio', r.has_audio === undefined || r.has_audio === null ? '—' : (r.has_audio ? 'yes' : 'no')],
			['Estimated cost', fmtUsd(v.estimated_cost_usd)],
			['Cost', v.spent_cost_usd === undefined ? '—' : fmtUsd(v.spent_cost_usd)],
			['Created', fmtDate(v.created_at)],
			['Started', fmtDate(v.started_at)],
			['Finished', fmtDate(v.finished_at)],
			['Attempts', String(v.attempts ?? 0)],
			['Error', errorText(v) || '—'],
			v.error && v.error.retryable !== undefined ? ['Retryable', v.error.retryable ? 'yes' : 'no'] : null,
			['First frame', v.image_id ? h('code', {}, v.image_id) : '—'],
			['Last frame', v.last_frame_id ? h('code', {}, v.last_frame_id) : '—'],
			['Reference images', v.reference_image_ids && v.reference_image_ids.length
				? h('span', {}, v.reference_image_ids.map((id, i) => [i ? ', ' : '', h('code', {}, id)])) : '—'],
			['Webhook URL', v.webhook_url || '—'],
			v.movie_id ? ['Movie', h('a', { href: `#/movies/${encodeURIComponent(v.movie_id)}` }, 'the movie this scene belongs to')] : null,
			['ID', h('code', {}, v.id)],
		].filter(Boolean);
		mount(facts, rows.map(([k, val]) => [h('dt', {}, k), h('dd', {}, val)]));
	}

	async function showMedia(v) {
		if (shownMediaFor === v.status) return;
		shownMediaFor = v.status;
		if (v.status === 'succeeded' && v.links && v.links.content) {
			mount(media, h('p', { class: 'loading' }, 'Loading the video…'));
			try {
				const [src, poster] = await Promise.all([
					scope.media(v.links.content),
					v.links.thumbnail ? scope.media(v.links.thumbnail).catch(() => null) : null,
				]);
				const el = h('video', {
					src, controls: true, playsinline: true, preload: 'metadata',
					'aria-label': 'Video player', poster,
				});
				mount(media, el);
			} catch (e) {
				if (e.name === 'AbortError') return;
				shownMediaFor = null;
				mount(media, h('div', { class: 'form-error', role: 'alert' }, `The video could not be loaded: ${e.detail || e.message}`));
			}
		} else if (isActive(v)) {
			mount(media, h('div', { class: 'video-placeholder' }, h('p', {}, 'The video is being made: it plays here when it is ready.')));
		} else {
			mount(media, h('div', { class: 'video-placeholder' },
				h('p', {}, v.status === 'cancelled' ? 'This video was cancelled.' : `This video failed: ${errorText(v) || 'no reason given'}.`)));
		}
	}

	function show(v) {
		video = v;
		title.textContent = promptStart(v.prompt, 80) || 'Video';
		badgeBox.replaceChildren(statusBadge(v.status));
		if (isActive(v) || v.status === 'succeeded') {
			const bar = progressBar(v.status === 'succeeded' ? 100 : v.progress, stageText(v));
			const old = stage.querySelector('progress');
			if (old) {
				const nv = bar.querySelector('progress').value;
				old.value = nv;
				old.setAttribute('value', String(nv));
				stage.querySelector('.progress-text').textContent = bar.querySelector('.progress-text').textContent;
			} else {
				mount(stage, bar);
			}
		} else {
			mount(stage);
		}
		downloadBtn.hidden = v.status !== 'succeeded';
		const hadFocus = document.activeElement === cancelBtn;
		cancelBtn.hidden = !isActive(v);
		if (hadFocus && cancelBtn.hidden) (downloadBtn.hidden ? deleteBtn : downloadBtn).focus();
		showFacts(v);
		showMedia(v);
	}

	downloadBtn.addEventListener('click', async () => {
		try {
			await busy(downloadBtn, download(scope, video.links.content, `veogen-${video.id.slice(0, 8)}.mp4`));
		} catch (e) {
			if (e.name !== 'AbortError') showError(e);
		}
	});
	cancelBtn.addEventListener('click', async () => {
		try {
			await busy(cancelBtn, api('POST', `${videoPath(video)}/cancel`, { signal: scope.signal }));
			toast('Cancelling the video…');
			show(await api('GET', path, { signal: scope.signal }));
			watch();
		} catch (e) {
			if (e.name !== 'AbortError') showError(e);
		}
	});
	deleteBtn.addEventListener('click', async () => {
		if (!await confirmDialog(`Delete the video "${promptStart(video.prompt, 40)}"? Its files go too; this cannot be undone.`, 'Delete')) {
			deleteBtn.focus();
			return;
		}
		try {
			await busy(deleteBtn, api('DELETE', videoPath(video), { signal: scope.signal }));
			toast('Video deleted.');
			go('#/videos');
		} catch (e) {
			if (e.name !== 'AbortError') showError(e);
		}
	});

	let polling = false;
	function watch() {
		if (polling || !isActive(video)) return;
		polling = true;
		scope.poll(async () => {
			show(await api('GET', path, { signal: scope.signal }));
			if (!isActive(video)) {
				polling = false;
				return false;
			}
			return true;
		}, 2000);
	}

	mount(main,
		h('p', { class: 'back' }, h('a', { href: '#/videos' }, '← All videos')),
		h('div', { class: 'video-head' }, title, badgeBox),
		h('div', { class: 'video-player-layout' },
			h('div', { class: 'video-player-main' },
				media,
				stage,
				h('div', { class: 'actions' }, downloadBtn, cancelBtn, deleteBtn)),
			h('section', { class: 'card video-details', 'aria-labelledby': 'video-details-title' },
				h('h2', { id: 'video-details-title' }, 'Details'),
				facts)));
	show(video);
	watch();
}

// The finished film of a movie: the player (MP4 with the poster and the subtitles track),
// the contact sheet, downloads of MP4 and WebM, and the HLS playlist's address with a Copy
// button. The media need the Authorization header, so they come as blob: URLs from
// scope.media() (revoked when the view goes).
import { busy, copyText, download, fmtBytes, fmtSeconds, h, showError, uid } from './ui.js';

function slug(title) {
	const s = (title || 'movie').toLowerCase().normalize('NFKD').replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
	return s.slice(0, 60) || 'movie';
}

// filmKey(movie): changes whenever there is another film to show.
export function filmKey(movie) {
	if (!movie || !movie.links || !movie.links.content) return null;
	return `${movie.id}:${(movie.result && movie.result.sha256) || ''}:${movie.finished_at || ''}`;
}

// markFilmOutdated(section, movie): the note that the film predates the latest edits.
export function markFilmOutdated(section, movie) {
	const note = section && section.querySelector('.film-outdated');
	if (note) note.hidden = movie.status === 'succeeded';
}

// filmBlock(movie, scope): the <section> of the film; its media load in the background.
export function filmBlock(movie, scope) {
	const links = movie.links;
	const r = movie.result || {};
	const name = slug(movie.title);
	const track = h('track', { kind: 'subtitles', srclang: 'en', label: 'Captions', default: true });
	const video = h('video', {
		controls: true, preload: 'metadata', playsinline: true, 'aria-label': 'Movie player', class: 'film-video',
	}, track);
	if (r.width && r.height) video.style.aspectRatio = `${r.width} / ${r.height}`;
	const sheet = h('img', { alt: 'Contact sheet', class: 'contact-sheet' });
	const loadNote = h('p', { class: 'muted film-loading', role: 'status' }, 'Loading the film…');

	const mp4 = h('button', { type: 'button' }, 'Download MP4');
	const webm = h('button', { type: 'button', class: 'secondary' }, 'Download WebM');
	mp4.addEventListener('click', () => busy(mp4, download(scope, `${links.content}?format=mp4`, `${name}.mp4`)).catch((e) => showError(e)));
	webm.addEventListener('click', () => busy(webm, download(scope, links.webm || `${links.content}?format=webm`, `${name}.webm`)).catch((e) => showError(e)));

	const hlsUrl = new URL(links.hls, location.origin).href;
	const hlsCode = h('code', { class: 'hls-url' }, hlsUrl);
	const copy = h('button', { type: 'button', class: 'secondary small', 'aria-label': 'Copy the HLS playlist address' }, 'Copy');
	copy.addEventListener('click', () => copyText(hlsUrl, 'HLS playlist address', hlsCode));
	const noteId = uid('hls');

	const facts = [];
	if (r.duration_seconds) facts.push(fmtSeconds(r.duration_seconds));
	if (r.width) facts.push(`${r.width}×${r.height}`);
	if (r.size_bytes) facts.push(`MP4 ${fmtBytes(r.size_bytes)}`);
	if (r.webm_size_bytes) facts.push(`WebM ${fmtBytes(r.webm_size_bytes)}`);
	if (r.has_audio !== undefined) facts.push(r.has_audio ? 'with sound' : 'silent');

	const section = h('section', { class: 'card movie-film', 'aria-labelledby': 'film-heading' },
		h('h2', { id: 'film-heading' }, 'The film'),
		h('p', { class: 'notice film-outdated', hidden: movie.status === 'succeeded' },
			'This is the film of the last render: the movie was changed since. Render the movie again to see the changes.'),
		h('div', { class: 'film-player' }, video),
		loadNote,
		facts.length ? h('p', { class: 'muted film-facts' }, facts.join(' · ')) : null,
		h('div', { class: 'actions film-downloads' }, mp4, webm),
		h('div', { class: 'hls-box' },
			h('p', { class: 'hls-line' },
				h('a', { href: hlsUrl, class: 'hls-link', 'aria-describedby': noteId }, 'HLS playlist'),
				' ', hlsCode, ' ', copy),
			h('p', { id: noteId, class: 'hint' },
				'For players and streaming tools: they must send Authorization: Bearer <token> or X-API-Key: <API key> with every request (playlist and segments). An API key is made on the Account page.')),
		h('figure', { class: 'contact-sheet-figure' },
			sheet,
			h('figcaption', { class: 'muted' }, 'Contact sheet: one frame of every scene.')));

	(async () => {
		try {
			// the subtitles and poster first: the track must have its source before the video
			const [subs, poster] = await Promise.all([
				links.subtitles ? scope.media(links.subtitles) : null,
				links.poster ? scope.media(links.poster).catch(() => null) : null,
			]);
			if (subs) track.src = subs;
			if (poster) video.poster = poster;
			video.src = await scope.media(links.content);
			loadNote.remove();
		} catch (e) {
			if (e.name === 'AbortError') return;
			loadNote.textContent = `The film could not be loaded: ${e.detail || e.message}`;
			loadNote.classList.add('form-error');
		}
	})();
	if (links.contact_sheet) {
		scope.media(links.contact_sheet).then((u) => { sheet.src = u; }).catch((e) => {
			if (e.name !== 'AbortError') sheet.alt = `Contact sheet (could not be loaded: ${e.detail || e.message})`;
		});
	}
	return section;
}

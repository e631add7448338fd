// Runs the browser tests: every t_*.mjs here in name order, or the ones named
// (node run.mjs t_video t_movie). Prints each check, the screenshots, and "N passed, M failed".
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ARTEFACTS, BASE, launch, makeT } from './lib.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const wanted = process.argv.slice(2).map((a) => a.replace(/\.mjs$/, '') + '.mjs');
const files = wanted.length ? wanted : readdirSync(here).filter((f) => /^t_.*\.mjs$/.test(f)).sort();

let passed = 0;
let failed = 0;
const shots = [];
const browser = await launch();
console.log(`browser tests against ${BASE} (screenshots in ${ARTEFACTS})`);
for (const file of files) {
	const mod = await import(pathToFileURL(join(here, file)).href);
	console.log(`== ${file}: ${mod.title || ''}`);
	const t = makeT(browser.context, file);
	const started = Date.now();
	try {
		await mod.default(t);
	} catch (e) {
		t.ok(false, `${file} ran to its end: ${e.stack || e}`);
		const last = t.pages.at(-1);
		if (last) await t.shot(last.page, 'failure').catch(() => {});
	}
	t.finish();
	for (const { page } of t.pages) await page.close().catch(() => {});
	console.log(`   ${file}: ${t.passed} passed, ${t.failed} failed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
	passed += t.passed;
	failed += t.failed;
	shots.push(...t.shots);
}
await browser.close();
console.log('screenshots:');
for (const s of shots) console.log(`  ${s}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);

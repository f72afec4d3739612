#!/usr/bin/env node
// matrix.html in a real browser (issue 12, docs/matrix.md): Debian's chromium,
// headless, driven by playwright-core (package.json), opens the page from
// disk and checks that
//   - the grid has exactly the cells of matrix.json (count and ids), and no
//     script error or network request happens;
//   - a click on a failing cell opens the panel with that cell's stages and
//     every one of its diagnostics, as text (the fixture's diagnostic quotes
//     "</script><script>..." and an <img onerror>: neither may run);
//   - the status and model filters hide the cells they should, and only those;
// and keeps screenshots of the grid and of an open panel in --out.
//
//   node browser_test.js --matrix MATRIX.json --out DIR (--render TOOL | --html PAGE)
//
// --render TOOL writes DIR/matrix.html from MATRIX.json with the page's
// renderer; --html PAGE tests a page the matrix command wrote (MATRIX.json is
// then the matrix.json written beside it). Exit 0 passed, 1 failed, 77
// skipped: playwright-core or chromium missing, or chromium cannot start.
'use strict';

const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');

const SKIP = 77;
const CHROMIUM = process.env.ONNXPORT_CHROMIUM || '/usr/bin/chromium';

function parseArgs(argv) {
  const args = {};
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i];
    if (!['--matrix', '--out', '--render', '--html'].includes(key) || i + 1 >= argv.length) {
      console.error(`usage: browser_test.js --matrix MATRIX.json --out DIR (--render TOOL | --html PAGE); bad argument ${key}`);
      process.exit(2);
    }
    args[key.slice(2)] = argv[i + 1];
  }
  if (!args.matrix || !args.out || !(args.render || args.html)) {
    console.error('usage: browser_test.js --matrix MATRIX.json --out DIR (--render TOOL | --html PAGE)');
    process.exit(2);
  }
  return args;
}

function skip(why) {
  console.log(`SKIPPED: ${why}`);
  process.exit(SKIP);
}

let failures = 0;
function check(condition, what, detail) {
  if (condition) {
    console.log(`ok   ${what}`);
  } else {
    failures += 1;
    console.log(`FAIL ${what}${detail === undefined ? '' : `\n     ${detail}`}`);
  }
}
function sameList(actual, expected) {
  return JSON.stringify([...actual].sort()) === JSON.stringify([...expected].sort());
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  let chromium;
  try {
    ({ chromium } = require('playwright-core'));
  } catch (error) {
    skip(`playwright-core is not installed (npm ci in the source tree, scripts/setup.sh): ${error.message}`);
  }
  if (!fs.existsSync(CHROMIUM)) skip(`${CHROMIUM} does not exist (Debian package chromium, scripts/setup.sh)`);

  const matrix = JSON.parse(fs.readFileSync(args.matrix, 'utf8'));
  const cells = matrix.cells;
  fs.mkdirSync(args.out, { recursive: true });
  let page_path = args.html;
  if (args.render) {
    page_path = path.join(args.out, 'matrix.html');
    execFileSync(args.render, [args.matrix, page_path], { stdio: 'inherit' });
  }
  page_path = path.resolve(page_path);

  let browser;
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'], headless: true, timeout: 60000 });
  } catch (error) {
    skip(`chromium (${CHROMIUM}) did not start: ${error.message.split('\n').slice(0, 6).join(' | ')}`);
  }
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    const problems = [];
    page.on('pageerror', (error) => problems.push(`script error: ${error.message}`));
    page.on('console', (message) => { if (message.type() === 'error') problems.push(`console error: ${message.text()}`); });
    page.on('dialog', (dialog) => { problems.push(`dialog opened: ${dialog.message()}`); dialog.dismiss(); });
    // The page is self-contained: anything but the file itself is a failure.
    await page.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith('file://') && url.split('#')[0] === `file://${page_path}`) return route.continue();
      problems.push(`request to ${url}`);
      return route.abort();
    });
    await page.goto(`file://${page_path}`);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 15000 });

    // --- the grid ---------------------------------------------------------------
    const ids = await page.$$eval('#grid td.has-data', (tds) => tds.map((td) => td.dataset.id));
    check(ids.length === cells.length, `the grid shows ${cells.length} cells`, `it shows ${ids.length}`);
    check(sameList(ids, cells.map((c) => c.id)), 'the grid cells are exactly the ids of matrix.json',
          `grid: ${JSON.stringify(ids)}`);
    const statuses = await page.$$eval('#grid td.has-data', (tds) => tds.map((td) => `${td.dataset.id}=${td.dataset.status}`));
    check(sameList(statuses, cells.map((c) => `${c.id}=${c.status}`)), 'each cell shows its status');
    const visible = await page.locator('#grid td.has-data:visible').count();
    check(visible === cells.length, 'every cell is visible before filtering', `${visible} visible`);
    const models = await page.$$eval('#grid th.model .model-name', (ths) => ths.map((th) => th.textContent));
    check(sameList(models, [...new Set(cells.map((c) => c.model))]), 'row headers are the models, as text', JSON.stringify(models));
    await page.screenshot({ path: path.join(args.out, 'matrix-grid.png'), fullPage: true });

    // --- a failing cell's panel -------------------------------------------------------
    const failing = cells.find((c) => c.status === 'fail' && (c.diagnostics || []).length > 0);
    check(failing !== undefined, 'matrix.json has a failing cell with diagnostics to open');
    if (failing) {
      const td = page.locator(`#grid td.has-data[data-id="${failing.id.replace(/["\\]/g, '\\$&')}"]`);
      await td.click();
      await page.waitForSelector('#panel:not([hidden])', { timeout: 5000 });
      const heading = await page.textContent('#panel h2');
      check(heading === failing.id, 'the panel is the clicked cell\'s', `heading ${JSON.stringify(heading)}`);
      const messages = await page.$$eval('#panel .diagnostic .message', (pres) => pres.map((p) => p.textContent));
      check(sameList(messages, failing.diagnostics.map((d) => d.message)),
            `the panel shows the cell's ${failing.diagnostics.length} diagnostics, as text`, JSON.stringify(messages));
      const stages = await page.$$eval('#panel tr.stage td:first-child', (tds) => tds.map((t) => t.textContent));
      check(sameList(stages, (failing.stages || []).map((s) => s.name)), 'the panel lists the cell\'s stages', JSON.stringify(stages));
      const injected = await page.evaluate(() => [window.__pwned, document.querySelectorAll('#panel img, #panel script').length]);
      check(injected[0] === undefined && injected[1] === 0, 'markup in a diagnostic stays text (nothing ran, no element made)',
            JSON.stringify(injected));
      const hints = await page.$$eval('#panel .diagnostic .hint', (pres) => pres.map((p) => p.textContent));
      check(sameList(hints, failing.diagnostics.filter((d) => d.hint).map((d) => `hint: ${d.hint}`)),
            'the panel shows the diagnostics\' hints', JSON.stringify(hints));
      if (typeof failing.dir === 'string') {
        const href = await page.getAttribute('#panel a', 'href');
        const resolved = await page.evaluate(() => document.querySelector('#panel a').href);
        check(resolved.startsWith('file://'), 'the cell folder link stays a relative file link', `${href} -> ${resolved}`);
      }
      await page.screenshot({ path: path.join(args.out, 'matrix.png'), fullPage: false });
      await page.keyboard.press('Escape');
      check(await page.locator('#panel').isHidden(), 'Escape closes the panel');
    }

    // --- filters -----------------------------------------------------------------------
    await page.click('#count-fail');  // "show only this status"
    const failIds = cells.filter((c) => c.status === 'fail').map((c) => c.id);
    let shown = await page.$$eval('#grid td.has-data', (tds) => tds.filter((td) => td.checkVisibility({ visibilityProperty: true })).map((td) => td.dataset.id));
    check(sameList(shown, failIds), `the status filter "fail" shows only the ${failIds.length} failing cells`, JSON.stringify(shown));
    check((await page.textContent('#shown-count')) === `showing ${failIds.length} of ${cells.length} cells`, 'the count of shown cells follows');
    await page.click('#filter-reset');
    const firstModel = cells[0].model;
    await page.selectOption('#filter-model', firstModel);
    shown = await page.$$eval('#grid td.has-data', (tds) => tds.filter((td) => td.checkVisibility({ visibilityProperty: true })).map((td) => td.dataset.id));
    check(sameList(shown, cells.filter((c) => c.model === firstModel).map((c) => c.id)),
          `the model filter shows only ${firstModel}'s cells`, JSON.stringify(shown));
    await page.click('#filter-reset');
    const combination = cells[cells.length - 1].combination;
    await page.selectOption('#filter-combination', combination);
    shown = await page.$$eval('#grid td.has-data', (tds) => tds.filter((td) => td.checkVisibility({ visibilityProperty: true })).map((td) => td.dataset.id));
    check(sameList(shown, cells.filter((c) => c.combination === combination).map((c) => c.id)),
          `the combination filter shows only ${combination}'s cells`, JSON.stringify(shown));
    await page.click('#filter-reset');
    check(await page.locator('#grid td.has-data:visible').count() === cells.length, '"show all" shows every cell again');

    check(problems.length === 0, 'no script error, dialog or network request', problems.join('\n     '));
  } finally {
    await browser.close();
  }
  console.log(failures === 0 ? `passed; screenshots in ${args.out}` : `${failures} check(s) failed`);
  process.exit(failures === 0 ? 0 : 1);
}

main().catch((error) => {
  console.log(`FAIL ${error.stack || error}`);
  process.exit(1);
});

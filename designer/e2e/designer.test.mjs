// End to end: the built designer in headless Debian Chromium against the real server on SQLite (no lab, no hosts:
// the runbooks use only Log, Delay, Fail and WaitForApproval). Screenshots go to artifacts/ at the repository root.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { repo, startServer } from './server.mjs';

const artifacts = join(repo, 'artifacts', 'designer');
const dist = join(repo, 'designer', 'dist');
const stamp = Date.now().toString(36);
let server, browser;
const pageErrors = [];

before(async () => {
  if (!existsSync(join(dist, 'index.html'))) throw new Error('designer/dist is missing: run npm run build first');
  mkdirSync(artifacts, { recursive: true });
  server = await startServer({ designer: dist });
  // playwright starts Chromium with a fresh temporary --user-data-dir of its own and deletes it on close.
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** A fresh browser context signed in with the key of `role` (each context has its own session storage). */
async function signedIn(role, path = '/', options = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, ...options });
  const page = await context.newPage();
  page.on('pageerror', e => pageErrors.push(`${role}: ${e.message}`));
  await page.goto(server.url + path);
  await page.fill('input[name=key]', server.keys[role]);
  await page.click('button:has-text("Sign in")');
  await page.waitForSelector(`.who[data-role=${role}]`);
  return page;
}

// Saved by an operator and published by an approver (a second principal), so runs start it.
const saveViaApi = async runbook => {
  const saved = await server.call('operator', 'POST', '/api/runbooks', runbook);
  assert.ok(saved.status === 201 || saved.status === 200, JSON.stringify(saved.body));
  const published = await server.call('approver', 'POST', `/api/runbooks/${runbook.id}/versions/${runbook.version}/publish`);
  assert.ok(published.status === 200 || published.status === 409, JSON.stringify(published.body));
};

describe('designer in Chromium against the real server', () => {
  test('the catalog snapshot of the unit tests is what the server serves', async () => {
    const live = await server.call('viewer', 'GET', '/api/activities');
    const snapshot = JSON.parse(readFileSync(join(repo, 'designer', 'test', 'fixtures', 'activities.json'), 'utf8'));
    assert.deepEqual(live.body, snapshot, 'the catalog changed: run `node e2e/snapshot-catalog.mjs` in designer/');
  });

  test('a shared run link loads the designer, unknown API paths stay 404, a wrong key is told 401', async () => {
    const deep = await fetch(`${server.url}/runs/run-shared-link`);
    assert.equal(deep.status, 200);
    assert.match(await deep.text(), /<div id="root">/);
    assert.equal((await fetch(`${server.url}/api/nothing-here`)).status, 404);
    assert.equal((await fetch(`${server.url}/assets/missing.js`)).status, 404);

    const page = await browser.newPage();
    await page.goto(`${server.url}/runs/run-shared-link`);
    await page.fill('input[name=key]', 'not-a-key');
    await page.click('button:has-text("Sign in")');
    await page.waitForSelector('.login .error:has-text("401")');
    await page.close();
  });

  test('build a runbook by dragging, connect an outcome, fix validation errors, save, reload, edit as JSON, copy/paste/undo, diff two versions', async () => {
    const id = `e2e-editor-${stamp}`;
    const page = await signedIn('operator', '/runbooks/new');
    await page.waitForSelector('.toolbox');
    await page.fill('[aria-label="Runbook properties"] label:has-text("Id") input', id);
    await page.fill('[aria-label="Runbook properties"] label:has-text("Name") input', 'E2E editor');

    const pane = page.locator('.react-flow__pane');
    await page.locator('.tool[data-activity=Log]').dragTo(pane, { targetPosition: { x: 160, y: 160 } });
    await page.locator('.tool[data-activity=Delay]').dragTo(pane, { targetPosition: { x: 480, y: 300 } });
    await page.waitForFunction(() => document.querySelectorAll('.react-flow__node').length === 2);
    // Auto-layout puts them apart (and is undone by one Ctrl+Z, redone by Ctrl+Shift+Z).
    const placed = () => page.locator('.react-flow__node[data-id=delay-1]').evaluate(n => n.style.transform);
    const before = await placed();
    await page.click('button:has-text("Auto-layout")');
    await page.waitForFunction(b => document.querySelector('.react-flow__node[data-id=delay-1]').style.transform !== b, before);
    const laidOut = await placed();
    await page.keyboard.press('Control+z');
    assert.equal(await placed(), before);
    await page.keyboard.press('Control+Shift+z');
    // The handles are measured next: only once the redo has moved the nodes back (seen missing the edge under load).
    await page.waitForFunction(l => document.querySelector('.react-flow__node[data-id=delay-1]').style.transform === l, laidOut);

    // Connect Log's Done outcome to Delay's input.
    const from = await page.locator('[data-node=log-1] .react-flow__handle[data-handleid=Done]').boundingBox();
    const to = await page.locator('[data-node=delay-1] .react-flow__handle[data-handleid=in]').boundingBox();
    await page.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
    await page.mouse.down();
    await page.mouse.move(to.x + to.width / 2, to.y + to.height / 2, { steps: 15 });
    await page.mouse.up();
    await page.waitForSelector('.react-flow__edge');
    assert.equal(await page.locator('.react-flow__edge').count(), 1);
    assert.equal((await page.locator('.react-flow__edge-text').first().textContent()).trim(), 'Done');

    // Both nodes lack a required input: the server's validation marks them.
    await page.waitForSelector('[data-node=log-1] .badge-issue');
    await page.waitForSelector('[data-node=delay-1] .badge-issue');

    await page.locator('[data-node=log-1]').click();
    await page.fill('#root_message', 'hello from ');
    // Template completion offers what is in scope; pick the run id.
    await page.locator('#root_message').press('End');
    await page.locator('#root_message').pressSequentially('${run.i');
    await page.waitForSelector('.completions li:has-text("${run.id}")');
    await page.locator('#root_message').press('Enter');
    assert.equal(await page.inputValue('#root_message'), 'hello from ${run.id}');
    await page.waitForSelector('[data-node=log-1] .badge-issue', { state: 'detached' });

    // A number field takes a number or a template, and says so on the field and the node when it is neither.
    await page.locator('[data-node=delay-1]').click();
    await page.fill('#root_seconds', 'soon');
    await page.waitForSelector('.properties .error-detail, .properties .text-danger');
    await page.waitForSelector('[data-node=delay-1] .badge-issue');
    await page.fill('#root_seconds', '1');
    await page.waitForSelector('[data-node=delay-1] .badge-issue', { state: 'detached' });
    await page.waitForSelector('.properties .error-detail', { state: 'detached' });
    await page.screenshot({ path: join(artifacts, 'editor.png') });

    await page.keyboard.press('Control+s');
    await page.waitForSelector('.notice:has-text("Saved as version"), .problem');
    assert.equal(await page.locator('.problem').count(), 0, await page.locator('.problem').first().textContent().catch(() => ''));
    await page.waitForSelector('.notice:has-text("Saved as version 1")');
    await page.waitForURL(`**/runbooks/${id}`);

    const saved = (await server.call('viewer', 'GET', `/api/runbooks/${id}`)).body;
    assert.deepEqual(saved.connections, [{ from: 'log-1', outcome: 'Done', to: 'delay-1' }]);
    assert.equal(saved.nodes.find(n => n.id === 'log-1').inputs.message, 'hello from ${run.id}');
    assert.equal(saved.nodes.find(n => n.id === 'delay-1').inputs.seconds, 1);
    const positions = Object.fromEntries(saved.nodes.map(n => [n.id, n.position]));

    await page.reload();
    await page.waitForSelector('.react-flow__edge');
    assert.equal(await page.locator('.react-flow__node').count(), 2);
    assert.equal(await page.locator('.react-flow__edge').count(), 1);
    assert.match(await page.locator('.toolbar h1').textContent(), /v1(?! · unsaved)/);
    assert.doesNotMatch(await page.locator('.toolbar h1').textContent(), /unsaved/);
    const reloaded = (await server.call('viewer', 'GET', `/api/runbooks/${id}`)).body;
    assert.deepEqual(Object.fromEntries(reloaded.nodes.map(n => [n.id, n.position])), positions);

    // The JSON view, the other way: an edit there redraws the canvas.
    await page.click('button:has-text("JSON")');
    const text = await page.inputValue('[aria-label="Runbook JSON"]');
    const edited = JSON.parse(text);
    edited.nodes.find(n => n.id === 'delay-1').title = 'Wait a second';
    await page.fill('[aria-label="Runbook JSON"]', JSON.stringify(edited, null, 2));
    await page.waitForSelector('[data-node=delay-1] .step-title:has-text("Wait a second")');
    assert.match(await page.locator('.toolbar h1').textContent(), /unsaved/);

    // Copy, paste, delete and undo on the canvas.
    await page.locator('[data-node=delay-1]').click();
    await page.keyboard.press('Control+c');
    await page.keyboard.press('Control+v');
    await page.waitForSelector('[data-node=delay-2]');
    await page.keyboard.press('Delete');
    await page.waitForSelector('[data-node=delay-2]', { state: 'detached' });
    await page.keyboard.press('Control+z');
    await page.waitForSelector('[data-node=delay-2]');
    await page.keyboard.press('Delete');
    await page.waitForSelector('[data-node=delay-2]', { state: 'detached' });

    // Version 2, and the diff of the two versions: the retitled node is marked changed.
    await page.keyboard.press('Control+s');
    await page.waitForSelector('.notice:has-text("Saved as version 2")');
    await page.click('button:has-text("Versions")');
    await page.check('[aria-label="compare version 1"]');
    await page.check('[aria-label="compare version 2"]');
    await page.click('button:has-text("Compare")');
    await page.waitForSelector('[aria-label="Version diff"] [data-node=delay-1].change-changed');
    assert.equal(await page.locator('[aria-label="Version diff"] [data-node=log-1].change-changed').count(), 0);
    await page.screenshot({ path: join(artifacts, 'editor-diff.png') });
    await page.context().close();
  });

  test('run with an approval: waiting, a viewer cannot approve (403), the approver approves, the run ends green', async () => {
    const id = `e2e-switchover-${stamp}`;
    await saveViaApi({
      id, version: 1, name: 'E2E switchover', inputs: { maxLagBytes: { type: 'integer', default: 0 } }, start: 'preflight',
      nodes: [
        { id: 'preflight', activity: 'Log', inputs: { message: 'lag limit ${inputs.maxLagBytes}' } },
        { id: 'approve', activity: 'WaitForApproval', title: 'Promote?', inputs: { prompt: 'Promote the standby?' } },
        { id: 'switch', activity: 'Log', inputs: { message: 'switching' } },
        { id: 'verify', activity: 'Log', inputs: { message: 'verified' } },
        { id: 'stop', activity: 'Fail', inputs: { message: 'rejected by the approver' } },
      ],
      connections: [
        { from: 'preflight', outcome: 'Done', to: 'approve' }, { from: 'approve', outcome: 'Approved', to: 'switch' },
        { from: 'approve', outcome: 'Rejected', to: 'stop' }, { from: 'switch', outcome: 'Done', to: 'verify' },
      ],
    });

    const operator = await signedIn('operator', `/runs/new?runbook=${id}`);
    await operator.waitForSelector('#root_maxLagBytes');
    await operator.uncheck('text=Dry run');
    await operator.click('button:has-text("Start run")');
    await operator.waitForURL('**/runs/run-*');
    const runPath = new URL(operator.url()).pathname;
    const runId = runPath.split('/').pop();
    await operator.waitForSelector('[data-node=approve].status-waiting', { timeout: 30_000 });
    await operator.waitForSelector('[data-node=preflight].status-succeeded');
    assert.equal(await operator.locator('button:has-text("Approve")').count(), 0, 'an operator may not approve');
    await operator.screenshot({ path: join(artifacts, 'run-waiting.png') });

    // A viewer opening the shared link sees the approval but no button, and the server refuses a forged decision.
    const viewer = await signedIn('viewer', runPath);
    await viewer.locator('[data-node=approve]').click();
    await viewer.waitForSelector('[aria-label=Approval] .prompt:has-text("Promote the standby?")');
    assert.equal(await viewer.locator('button:has-text("Approve")').count(), 0);
    assert.equal(await viewer.locator('button:has-text("Cancel run")').count(), 0);
    const forged = await viewer.evaluate(async ({ runId }) => {
      const r = await fetch(`/api/runs/${runId}/approvals`, {
        method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${sessionStorage.getItem('pgha.apiKey')}` },
        body: JSON.stringify({ node: 'approve', decision: 'approve', comment: 'forged' }),
      });
      return r.status;
    }, { runId });
    assert.equal(forged, 403);

    // The approver opens the inbox, follows it to the run and approves with a comment.
    const approver = await signedIn('approver', '/approvals');
    await approver.click(`a:has-text("Promote the standby?")`);
    await approver.waitForURL(`**${runPath}?node=approve`);
    await approver.fill('[aria-label=Approval] textarea', 'lag is zero, go');
    await approver.screenshot({ path: join(artifacts, 'run-approval.png') });
    await approver.click('[aria-label=Approval] button:has-text("Approve")');

    // Both the approver's and the operator's pages follow live to the end.
    await operator.waitForSelector('.run-status[data-status=Completed]', { timeout: 30_000 });
    await approver.waitForSelector('.run-status[data-status=Completed]', { timeout: 30_000 });
    for (const node of ['preflight', 'approve', 'switch', 'verify'])
      await operator.waitForSelector(`[data-node=${node}].status-succeeded`);
    assert.equal(await operator.locator('[data-node=stop].dim').count(), 1, 'the branch not taken is dimmed');
    assert.equal(await operator.locator('.react-flow__edge.taken').count(), 3);
    assert.equal(await operator.locator('.react-flow__edge.untaken').count(), 1);
    await approver.waitForSelector('[aria-label=Approval]:has-text("lag is zero, go")');
    assert.equal(await operator.locator('.timeline-row').count(), 4);
    await operator.screenshot({ path: join(artifacts, 'run-finished.png') });

    // The run list, filtered by status and runbook (the filters are in the URL).
    await operator.goto(`${server.url}/runs?status=Completed&runbook=${id}`);
    await operator.waitForSelector(`table.list a:has-text("${runId}")`);
    assert.equal(await operator.locator('table.list tbody tr').count(), 1);
    await operator.selectOption('.filters select', 'Failed');
    await operator.waitForSelector('table.list td:has-text("No runs match")');

    const decided = (await server.call('viewer', 'GET', `/api/runs/${runId}`)).body.approvals[0];
    assert.equal(decided.decidedBy, 'bob-approver');
    assert.equal(decided.comment, 'lag is zero, go');
    for (const p of [operator, viewer, approver]) await p.context().close();
  });

  test('the 200-node runbook of the benchmark opens and becomes interactive (figure printed, not asserted)', async () => {
    const id = `e2e-bench-${stamp}`;
    const count = 200;
    await saveViaApi({
      id, version: 1, name: 'Benchmark shape, 200 nodes', start: 'n0',
      nodes: Array.from({ length: count }, (_, i) => ({ id: `n${i}`, activity: 'Log', inputs: { message: `step ${i}` } })),
      connections: Array.from({ length: count - 1 }, (_, i) => ({ from: `n${i}`, outcome: 'Done', to: `n${i + 1}` })),
    });
    const page = await signedIn('operator', '/runbooks', { colorScheme: 'dark' });
    const started = Date.now();
    await page.evaluate(path => { history.pushState(null, '', path); dispatchEvent(new PopStateEvent('popstate')); }, `/runbooks/${id}`);
    await page.waitForSelector('.react-flow__node');
    const rendered = Date.now() - started;
    // Click a node that is on screen (the chain is far wider than the canvas).
    const visible = await page.evaluate(() => {
      const canvas = document.querySelector('.canvas').getBoundingClientRect();
      return [...document.querySelectorAll('.react-flow__node')].map(n => [n.getAttribute('data-id'), n.getBoundingClientRect()])
        .find(([, r]) => r.left > canvas.left && r.right < canvas.right && r.top > canvas.top && r.bottom < canvas.bottom)?.[0];
    });
    await page.locator(`.react-flow__node[data-id="${visible}"]`).click();
    await page.waitForSelector('[aria-label="Node properties"]');
    const interactive = Date.now() - started;
    console.log(`# designer: 200-node runbook rendered in ${rendered} ms, interactive (node selected, properties shown) in ${interactive} ms`);
    await page.screenshot({ path: join(artifacts, 'editor-200-nodes-dark.png') });
    await page.context().close();
  });

  test('no script error in any page', () => {
    assert.deepEqual(pageErrors, []);
  });
});

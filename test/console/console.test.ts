/**
 * The operator console in a real browser (Debian's chromium, driven by
 * playwright-core): sign in, run an intent and watch it finish live, explain
 * and lineage, holds, approvals, a candidate policy's diff, tenant isolation.
 * Every page gets a screenshot (test-output/console/) and an axe-core check
 * (no serious or critical violations).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { review } from '../support/review-realm.ts';
import { exampleRealms } from '../../src/examples/index.ts';
import { parseSolutionConfig } from '../../src/policy/solution-config.ts';
import type { Worker } from '../../src/worker/worker.ts';
import { ADMIN_KEY, startTestServer, type TestServer } from '../support/http-server.ts';

const CHROMIUM = process.env.SYMPHAINY_CHROMIUM ?? '/usr/bin/chromium';
const SHOTS = new URL('../../test-output/console/', import.meta.url).pathname;
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const available = existsSync(CHROMIUM);
if (!available && process.env.CI === 'true') throw new Error(`no chromium at ${CHROMIUM} (apt-get install -y chromium, or set SYMPHAINY_CHROMIUM)`);


const SOP = '1. Receive the order\n2. Pack it\n3. Ship it';

/** Serious or critical axe-core violations on the page as it is now (axe's source evaluated in the page). */
async function axeViolations(page: Page): Promise<string[]> {
  await page.evaluate(AXE);
  const found = await page.evaluate(async () => {
    const r = await (globalThis as any).axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v: any) => ({ id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map((n: any) => n.target.join(' ')) }));
  });
  return found.filter((v: any) => v.impact === 'serious' || v.impact === 'critical').map((v: any) => `${v.id} (${v.impact}): ${v.nodes.join(', ')}`);
}

describe('operator console in Chromium', { skip: available ? false : `no chromium at ${CHROMIUM}` }, () => {
  let s: TestServer;
  let worker: Worker;
  let browser: Browser;
  let acme: string;
  let globex: string;
  let consoleDir = '';
  const cspViolations: string[] = [];

  before(async () => {
    // Built from the sources into a directory of its own (a concurrent `npm pack` rebuilds dist/).
    consoleDir = await mkdtemp(join(tmpdir(), 'symphainy-console-'));
    const built = spawnSync(process.execPath, ['src/console/build.mjs', '--out', consoleDir], { cwd: new URL('../../', import.meta.url).pathname, encoding: 'utf8' });
    assert.equal(built.status, 0, built.stderr);
    mkdirSync(SHOTS, { recursive: true });
    s = await startTestServer({
      runtime: {
        realms: [...exampleRealms, review],
        solutionConfig: parseSolutionConfig({
          name: 'console',
          materialization_policy: { workflow: { decision: 'persist', retention: '3d' }, sop: 'persist', visual: 'persist' },
        }, 'inline'),
      },
      http: { events: { pollMs: 100 }, consoleDir },
    });
    worker = s.runtime.startWorker({ pollIntervalMs: 50 });
    acme = await s.tenant('acme');
    globex = await s.tenant('globex');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  });
  after(async () => {
    await browser?.close();
    await worker?.stop();
    await s?.close();
    if (consoleDir) await rm(consoleDir, { recursive: true, force: true });
  });

  /** A fresh page signed in with `key` (keyboard only: Tab to the field, type, Enter). */
  async function signIn(key: string, viewport = { width: 1280, height: 800 }): Promise<Page> {
    const page = await browser.newPage({ viewport });
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) cspViolations.push(`${page.url().replace(s.url, '')}: ${m.text().slice(0, 90)}`);
    });
    await page.goto(`${s.url}/console`);
    await page.getByLabel('API key').focus();
    await page.keyboard.type(key);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Executions' }).waitFor();
    return page;
  }

  async function check(page: Page, name: string): Promise<void> {
    await page.screenshot({ path: `${SHOTS}${name}.png`, fullPage: true });
    assert.deepEqual(await axeViolations(page), [], `axe on ${name}`);
  }

  test('assets: the page and its bundle with their content types and a strict Content-Security-Policy', async () => {
    const res = await fetch(`${s.url}/console`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type')!, /^text\/html/);
    const csp = res.headers.get('content-security-policy')!;
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|https?:/);
    assert.match((await fetch(`${s.url}/console/main.js`)).headers.get('content-type')!, /^text\/javascript/);
    // Mermaid's inline styles are allowed in its own frame only, which nothing else may frame.
    const frame = (await fetch(`${s.url}/console/diagram.html`)).headers.get('content-security-policy')!;
    assert.match(frame, /script-src 'self'(;|$)/);
    assert.match(frame, /frame-ancestors 'self'/);
    assert.match((await fetch(`${s.url}/console/app.css`)).headers.get('content-type')!, /^text\/css/);
    assert.equal((await fetch(`${s.url}/console/../package.json`)).status, 404);
    assert.equal((await fetch(`${s.url}/console/nothing.js`)).status, 404);
  });

  test('sign in with a tenant key, run an intent, watch it complete live; explain, renderings and lineage', async () => {
    const page = await signIn(acme);
    await page.getByText('Run an intent').click();
    await page.getByLabel('Session').first().fill('live-session');
    await page.getByRole('button', { name: 'Run' }).click();
    const queued = page.getByRole('status').filter({ hasText: 'Queued' }).getByRole('link');
    const executionId = (await queued.textContent())!;
    // No reload: the row turns completed from the event stream.
    await page.locator(`tr[data-execution="${executionId}"] .status-completed`).waitFor();
    await check(page, 'executions');

    await page.locator(`tr[data-execution="${executionId}"] a`).click();
    await page.getByRole('heading', { level: 1, name: /Execution/ }).waitFor();
    await page.getByRole('heading', { name: 'Artifacts and decisions' }).waitFor();
    const workflow = page.locator('article.artifact', { hasText: 'workflow' }).first();
    assert.match((await workflow.locator('p').first().innerText()).replace(/\s+/g, ' '), /^Decision: persist by the solution layer — solution config 'console'/);
    assert.ok((await workflow.locator('table.verdicts tbody tr').count()) >= 3, 'every layer has a verdict row');
    await page.locator('.timeline li', { hasText: 'intent' }).first().waitFor();
    // Lineage drawn by Mermaid, shown as an image with a text alternative.
    await page.getByRole('img', { name: /^Lineage of / }).waitFor();
    // Renderings as what they are: SVG as an image, Mermaid as a drawn diagram, JSON pretty-printed.
    await page.locator('.rendering-image img, img.rendering-image').first().waitFor();
    await page.locator('.rendering-mermaid img.diagram').first().waitFor();
    await page.locator('.rendering-json pre').first().waitFor();
    await check(page, 'execution');
    await page.close();
  });

  test('governance: place and release a legal hold; retention due soon; WAL verified', async () => {
    const run = await s.runtime.execute({ intentType: 'journey.sop_to_workflow', tenantId: 'acme', sessionId: 'g', parameters: { sop_text: SOP } });
    const artifactId = run.artifacts.find((a) => a.key === 'workflow')!.artifactId!;
    const page = await signIn(acme);
    await page.getByRole('link', { name: 'Governance' }).click();
    await page.getByRole('heading', { level: 1, name: 'Governance' }).waitFor();
    // Keyboard and screen reader users land on the new page's heading.
    await page.waitForFunction(() => document.activeElement?.tagName === 'H1' && document.activeElement.textContent === 'Governance');
    await page.getByLabel('Artifact id').fill(artifactId);
    await page.getByLabel('Reason', { exact: true }).fill('case 42');
    await page.getByRole('button', { name: 'Place hold' }).click();
    await page.getByRole('status').filter({ hasText: `Held ${artifactId}: case 42` }).waitFor();
    assert.deepEqual((await s.runtime.getArtifact(artifactId, { tenantId: 'acme' })).legalHold?.reason, 'case 42');
    await page.locator('#h-due ~ ul li', { hasText: artifactId }).waitFor();
    await page.getByRole('button', { name: 'Verify the WAL' }).click();
    await page.getByRole('status').filter({ hasText: 'acme: OK' }).waitFor();
    await check(page, 'governance');
    await page.getByRole('button', { name: `Release hold on ${artifactId}` }).click();
    await page.getByRole('status').filter({ hasText: `Released ${artifactId}` }).waitFor();
    assert.equal((await s.runtime.getArtifact(artifactId, { tenantId: 'acme' })).legalHold, null);
    await page.close();
  });

  test('approvals: approve a waiting execution with a reason; it resumes and the decision names the reason', async () => {
    const run = await s.runtime.execute({ intentType: 'review.publish', tenantId: 'acme', sessionId: 'a', parameters: { key: 'c1' } });
    assert.equal(run.status, 'waiting');
    const page = await signIn(acme);
    await page.getByRole('link', { name: 'Approvals' }).click();
    const card = page.locator('li.approval', { hasText: run.executionId });
    await card.waitFor();
    assert.match((await card.textContent())!, /post c1/);
    await check(page, 'approvals');
    await card.getByLabel('Reason').fill('looks right');
    await card.getByRole('button', { name: 'Approve' }).click();
    await page.getByRole('status').filter({ hasText: `Approved publish of ${run.executionId}` }).waitFor();
    const done = await s.runtime.waitForExecution(run.executionId, { tenantId: 'acme' }, { timeoutMs: 30_000 });
    assert.equal(done.status, 'completed');
    const explained = await s.runtime.explainExecution(run.executionId, { tenantId: 'acme' });
    assert.deepEqual(explained.approvals.map((a) => [a.decision, a.reason]), [['approved', 'looks right']]);
    await page.close();
  });

  test('policy (admin key, tenant picked): the version in force; a candidate YAML uploaded, its diff as a table and a chart', async () => {
    await s.runtime.execute({ intentType: 'journey.sop_to_workflow', tenantId: 'globex', sessionId: 'p', parameters: { sop_text: SOP } });
    const page = await signIn(ADMIN_KEY);
    await page.getByLabel('Tenant').selectOption('acme');
    await page.getByRole('link', { name: 'Policy' }).click();
    await page.getByRole('heading', { level: 1, name: 'Policy' }).waitFor();
    assert.equal(await page.locator('[data-policy-version]').textContent(), s.runtime.resolver.resolve('acme').version);
    await page.getByLabel('Candidate policy file (YAML)').setInputFiles({
      name: 'candidate.yaml', mimeType: 'text/yaml',
      buffer: Buffer.from('name: candidate\nmaterialization_policy:\n  workflow: discard\n  sop: persist\n  visual: persist\n'),
    });
    await page.waitForFunction(() => (document.querySelector('textarea[name=candidate]') as HTMLTextAreaElement).value.includes('workflow: discard'));
    await page.getByRole('button', { name: 'Diff' }).click();
    const row = page.locator('table.moves tbody tr', { hasText: 'workflow' });
    await row.first().waitFor();
    const cells = await row.first().locator('td').allTextContents();
    assert.deepEqual(cells.slice(0, 4), ['acme', 'workflow', 'persist', 'discard']);
    assert.ok(Number(cells[4]) > 0);
    // Only the picked tenant's decisions were re-evaluated.
    assert.equal(await page.locator('table.moves tbody tr', { hasText: 'globex' }).count(), 0);
    await page.getByRole('img', { name: /^Moves: acme workflow/ }).waitFor();
    await check(page, 'policy');
    await page.close();
  });

  test('a tenant key never shows another tenant\'s data; readable at phone width', async () => {
    const theirs = await s.runtime.listExecutions({ tenantId: 'acme', limit: 100 });
    assert.ok(theirs.length > 0);
    const page = await signIn(globex, { width: 390, height: 844 });
    assert.match((await page.locator('.who').innerText()).replace(/\s+/g, ' '), /Tenant globex tenant key/);
    await page.locator('table.executions tbody tr').first().waitFor();
    const shown = await page.locator('tr[data-execution]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-execution')));
    const mine = new Set((await s.runtime.listExecutions({ tenantId: 'globex', limit: 100 })).map((e) => e.executionId));
    assert.ok(shown.length > 0 && shown.every((id) => mine.has(id!)), `globex sees only its own: ${shown.join(', ')}`);
    // Nothing wider than the phone's screen.
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1), 'no horizontal scrolling at 390px');
    await check(page, 'executions-phone');
    await page.goto(`${s.url}/console#/executions/${theirs[0]!.executionId}`);
    await page.getByRole('alert').filter({ hasText: /no execution|not found/i }).waitFor();
    await page.getByRole('link', { name: 'Approvals' }).click();
    await page.getByText('No execution waits for an approval.').waitFor();
    await page.close();
    assert.deepEqual(cspViolations, [], 'the console runs under its CSP without violations');
  });
});

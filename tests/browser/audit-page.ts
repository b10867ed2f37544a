/**
 * The page `npm run audit -- --html` writes, opened in Chromium from the file alone: it shows the
 * rules table, one stacked bar per rule and day, the examples, what the guard would have cost and
 * what history cannot count, and it asks for nothing over the network.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { AUDIT_CLI, audit } from '../../scripts/lib/audit-command';
import { DEMO_RATE_LIMITS, seedDemoHistory } from '../../scripts/lib/audit-demo';
import { runCommand } from '../../scripts/lib/cli';
import type { AuditReport } from '../../src/audit/replay';
import type { BrowserWorld } from './world';

export function auditPageTests(world: () => BrowserWorld) {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'audit-page-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('shows the rules, the days stacked by rule and the examples, from the file alone', async () => {
    const { browser, emulator } = world();
    emulator.reset();
    await seedDemoHistory(emulator, { seed: 3, to: Date.parse('2026-03-08T00:00:00Z') });
    const env = join(dir, 'env');
    writeFileSync(env, `ACCOUNT_SID=AC0123456789abcdef0123456789abcdef\nAUTH_TOKEN=0123456789abcdef0123456789abcdef\nTWILIO_API_BASE_URL=${emulator.url}\nRATE_LIMITS="${DEMO_RATE_LIMITS}"\n`);
    const html = join(dir, 'audit.html');
    const json = join(dir, 'audit.json');
    const quiet = { log: () => undefined, error: () => undefined };
    const code = await runCommand(AUDIT_CLI, ['--env', env, '--from', '2026-03-01', '--to', '2026-03-07', '--html', html, '--json', json], (args, out) => audit(args, out, { root: dir }), quiet);
    expect(code).toBe(0);
    const report = JSON.parse(readFileSync(json, 'utf8')) as AuditReport;

    const page = await (await browser.newContext()).newPage();
    const requests: string[] = [];
    page.on('request', (request) => requests.push(request.url()));
    await page.goto(pathToFileURL(html).href);
    expect(requests).toEqual([pathToFileURL(html).href]);

    const rows = await page.locator('#rules tbody tr').allInnerTexts();
    expect(rows).toHaveLength(report.rules.length);
    expect(rows.find((r) => r.startsWith('message.fanout.sms.body-chars'))).toContain('The message body is 1,700 characters; SMS delivery allows at most 1,600.');
    // One bar segment per rule and day with a count, each as tall as its share of the busiest day.
    const segments = report.perDay.flatMap((d) => Object.keys(d.rules).map((id) => `${d.day} ${id}`));
    const drawn = await page.locator('svg rect').evaluateAll((rects) => rects.map((r) => `${r.getAttribute('data-day')} ${r.getAttribute('data-rule')}`));
    expect(drawn.sort()).toEqual(segments.sort());
    expect(await page.locator('text=Deleted messages: 2').count()).toBe(1);
    const box = await page.locator('svg').boundingBox();
    expect(box!.width).toBeGreaterThan(0);

    // The cost: Function executions per event type and per day, then the Sync requests, as in the JSON.
    const { functionExecutions: executions, syncRequests: sync } = report.cost;
    const cells = (row: string) => row.split('\t').map((cell) => cell.trim());
    const days = await page.locator('#executions tbody tr').allInnerTexts();
    expect(days.map(cells)).toEqual([
      ...report.perDay.map((d) => [d.day, ...Object.values(d.executions).map(String), String(Object.values(d.executions).reduce((a, b) => a + b, 0))]),
      ['all', ...Object.values(executions).map((n) => n.toLocaleString('en-US')), Object.values(executions).reduce((a, b) => a + b, 0).toLocaleString('en-US')],
    ]);
    expect(await page.locator('#executions thead th').allInnerTexts()).toEqual(['day', 'onConversationAdd', 'onParticipantAdd', 'onMessageAdd', 'onParticipantAdded', 'total']);
    const f = (n: number) => n.toLocaleString('en-US');
    expect((await page.locator('#sync tbody tr').allInnerTexts()).map(cells)).toEqual([
      ['rate rules', f(sync.rateReads), f(sync.rateWrites)],
      ['identity tallies', f(sync.identityTallyReads), f(sync.identityTallyWrites)],
      ['participant page indexes', f(sync.participantPageReads), f(sync.participantPageWrites)],
      ['rejection counts (per instance that rejects)', f(sync.rejectionCountReads), f(sync.rejectionCountWrites)],
      ['rejection log (per instance that rejects or annotates)', '0', f(sync.rejectionLogWrites)],
    ]);
    expect(await page.locator('#cost-summary').innerText()).toContain(`${f(sync.total)} Sync requests`);
    // What history cannot count, each with why.
    expect(await page.locator('#gaps li.not-counted').allInnerTexts()).toEqual(report.notReconstructible.notCounted.map((g) => `Not counted, ${g.what}: ${g.why}`));
  });
}

/**
 * The page `npm run audit -- --html` writes, opened in Chromium from the file alone: it shows the
 * rules table, one stacked bar per rule and day, the examples, and it asks for nothing over the network.
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
  });
}

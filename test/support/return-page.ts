import { until } from './until';

/**
 * The PAY_RETURN page as the customer's browser ends up showing it. The page waits about a second
 * for DOKU's answer; past that (a loaded machine) it first says "being confirmed" and its script
 * polls the light status it names, then reloads once the outcome is final. This does the same, so a
 * journey test reads the outcome the customer sees, however long DOKU took. The direct case and the
 * "being confirmed" page themselves are tested in test/purchase-return-processing.e2e-spec.ts.
 */
export async function returnPageOutcome(url: string, ms = 15_000): Promise<{ status: number; html: string }> {
  const first = await fetch(url);
  const html = await first.text();
  const statusPath = /var u="([^"]+)"/.exec(html)?.[1];
  if (first.status !== 200 || !html.includes('data-outcome="pending"') || !statusPath) return { status: first.status, html };
  const statusUrl = new URL(statusPath, url).toString();
  await until(
    async () => ((await (await fetch(statusUrl)).json()) as { final?: boolean }).final === true,
    (final) => final,
    ms,
  );
  const reloaded = await fetch(url);
  return { status: reloaded.status, html: await reloaded.text() };
}

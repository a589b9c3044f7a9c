/**
 * The DOKU simulator as a process of its own for the benches (DOKU is another machine in
 * production; here it at least gets its own event loop). Started by bench/support/bench-env.ts
 * with `fork`; answers `{ url }` over IPC once it listens, and stops on `stop` or when the parent
 * goes away.
 *
 * Two partners are registered: the backend's development partner, and a second one with the same
 * keys for the benches' own direct calls. DOKU keeps one live B2B token per partner ("latest token
 * wins"), so calls signed by the bench must not share the backend's partner, or each side's token
 * request would revoke the other's token.
 *
 * Request logging is off: it would cost every side alike, and it is DOKU's cost, not ours.
 */
import { startSimulator } from '../../simulator/src';
import { defaultPartnersFile, readPartnersFile } from '../../simulator/src/options';

async function main(): Promise<void> {
  const benchPartnerId = process.env.BENCH_PARTNER_ID;
  if (!benchPartnerId) throw new Error('BENCH_PARTNER_ID is required');
  const file = readPartnersFile(defaultPartnersFile());
  const dev = file.partners[0];
  const handle = await startSimulator({
    port: 0,
    log: false,
    seed: 'bench',
    partners: [...file.partners, { ...dev, clientId: benchPartnerId, notification: undefined }],
    dokuPrivateKeyPem: file.dokuPrivateKeyPem,
    dokuPublicKeyPem: file.dokuPublicKeyPem,
  });
  const stop = (): void => {
    void handle.close().finally(() => process.exit(0));
  };
  process.on('message', (m: unknown) => (m as { type?: string })?.type === 'stop' && stop());
  process.on('disconnect', stop);
  process.send?.({ type: 'ready', url: handle.url });
}

main().catch((e: unknown) => {
  process.stderr.write(`simulator: ${String((e as Error)?.stack ?? e)}\n`);
  process.exit(1);
});

import { simulatorOptionsFromEnv } from './env';
import { startSimulator } from './index';

/** `npm run simulator`: starts the simulator from environment variables (README lists them). */
async function main(): Promise<void> {
  const options = simulatorOptionsFromEnv(process.env);
  const handle = await startSimulator(options);
  process.stdout.write(
    `${JSON.stringify({ time: new Date().toISOString(), service: 'doku-simulator', msg: 'listening', url: handle.url, publicUrl: handle.publicUrl, seed: handle.seed, profiles: handle.control.profiles().profiles, controlApi: options.controlApi })}\n`,
  );
  const stop = (signal: string): void => {
    process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), service: 'doku-simulator', msg: 'stopping', signal })}\n`);
    handle.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

main().catch((e: unknown) => {
  process.stderr.write(
    `${JSON.stringify({ service: 'doku-simulator', msg: 'failed to start', error: e instanceof Error ? e.message : String(e) })}\n`,
  );
  process.exit(1);
});

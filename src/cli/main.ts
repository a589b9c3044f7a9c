import 'reflect-metadata';
import { AppError } from '../common/errors/app-error';
import { ConfigError } from '../config/load-config';
import { readConfig } from '../config/read-config';
import { CliError, runCli } from './cli';

readConfig()
  .then(({ env }) => runCli(process.argv.slice(2), env))
  .then((result) => {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    process.exit(0);
  })
  .catch((e: unknown) => {
    const known = e instanceof CliError || e instanceof ConfigError || e instanceof AppError;
    process.stderr.write(`${known ? e.message : String((e as Error)?.stack ?? e)}\n`);
    process.exit(known ? 2 : 1);
  });

import { ConfigModule as NestConfigModule } from '@nestjs/config';
import type { AppConfig } from './config.types';
import { loadConfig } from './load-config';

type Env = Record<string, string | undefined>;

/**
 * Reads the configuration at start-up with @nestjs/config: the variables of a `.env` file
 * (`ENV_FILE`, default `./.env`; optional) under those of the process environment, which win,
 * validated and typed by loadConfig(), which reports every problem at once. `.env.example` lists
 * every variable. Returns the configuration and the merged variables (the CLI passes them on).
 */
export async function readConfig(): Promise<{ config: AppConfig; env: Env }> {
  let env: Env = {};
  let config: AppConfig | undefined;
  await NestConfigModule.forRoot({
    envFilePath: process.env.ENV_FILE || '.env',
    validate: (variables: Env) => {
      env = { ...variables };
      config = loadConfig(env);
      // Nothing is written back into process.env: the typed configuration is the only source.
      return {};
    },
  });
  return { config: config!, env };
}

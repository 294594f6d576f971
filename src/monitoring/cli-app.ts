/**
 * Stand-in for the CLI base command while it is being written: the App for a `--config` TOML file
 * (relative paths in it resolve from the file's folder). The lead swaps the commands to the base
 * command (with task discovery) at merge; this file then goes.
 * It reads the file itself because this branch's engine-core loader cannot build its cosmiconfig
 * explorer (no loader for taskapp.config.mjs), which feat/cli fixes.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { parse } from 'smol-toml';
import { taskapp, type App } from '../core/app.js';
import { ConfigError } from '../core/errors.js';

export function appFromConfig(configFile = 'taskapp.toml'): App {
  const path = resolve(configFile);
  let values: Record<string, unknown>;
  try {
    values = parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new ConfigError(`cannot read config file ${path}: ${(err as Error).message}`, 'pass --config with a taskapp.toml file');
  }
  const sqlite = values.sqlite as { path?: string } | undefined;
  if (sqlite?.path && !isAbsolute(sqlite.path)) sqlite.path = join(dirname(path), sqlite.path);
  const app = taskapp({ ...values, configFile: false });
  void app.resolvedConfig; // load now: a bad config fails before anything starts
  return app;
}

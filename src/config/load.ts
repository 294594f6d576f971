/**
 * Finds and reads the config file (cosmiconfig: taskapp.toml, .taskapprc*, package.json "taskapp",
 * taskapp.config.js) and builds the full layer stack: defaults < code < file < env < flags.
 */
import type { Loader } from 'cosmiconfig';
import { dirname, resolve } from 'node:path';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { ConfigError } from '../core/errors.js';
import { configFromEnv } from './env.js';
import { cosmiconfig, smolToml } from './lazy-modules.js';
import { tomlFieldSources } from './toml-lines.js';
import { resolveConfig, toSnakeKeys, type ConfigLayer, type ResolvedConfig } from './resolve.js';

const SEARCH_PLACES = [
  'taskapp.toml',
  '.taskapprc',
  '.taskapprc.json',
  '.taskapprc.yaml',
  '.taskapprc.yml',
  '.taskapprc.toml',
  'taskapp.config.js',
  'taskapp.config.mjs',
  'taskapp.config.cjs',
  'taskapp.config.ts',
  'taskapp.config.mts',
  'package.json',
];

const require = createRequire(import.meta.url);

/**
 * taskapp.config.{js,mjs,cjs,ts,mts}, loaded synchronously (config is read lazily from a getter):
 * ES modules through require(esm) (Node >= 20.19), TypeScript through tsx's require hook.
 */
const jsLoader: Loader = (filepath) => {
  try {
    const isTs = /\.m?ts$/.test(filepath);
    const mod = isTs
      ? (require('tsx/cjs/api') as { require: (id: string, from: string) => unknown }).require(
          filepath,
          import.meta.url,
        )
      : require(filepath);
    const m = mod as { default?: unknown };
    return (m && typeof m === 'object' && 'default' in m ? m.default : m) as Record<
      string,
      unknown
    >;
  } catch (err) {
    throw new ConfigError(
      `cannot load config file ${filepath}: ${(err as Error).message}`,
      'export the config object as the default export (export default { app_id: "..." })',
      err,
    );
  }
};

const tomlLoader: Loader = (filepath, content) => {
  const { parse, TomlError } = smolToml();
  try {
    return parse(content);
  } catch (err) {
    if (err instanceof TomlError) {
      throw new ConfigError(
        `${filepath}:${err.line}:${err.column}: invalid TOML: ${err.message.split('\n')[0]}`,
        'fix the TOML syntax at that line (strings need quotes, arrays use [ ], sections [name])',
      );
    }
    throw err;
  }
};

interface FileLayer extends ConfigLayer {
  filepath: string;
}

function loadConfigFile(
  opts: { explicitPath?: string; searchFrom?: string } = {},
): FileLayer | null {
  const explorer = cosmiconfig().cosmiconfigSync('taskapp', {
    searchPlaces: SEARCH_PLACES,
    // Upwards from the current folder to the project root (the first folder with a package.json):
    // commands work from any subfolder of the project (cosmiconfig 9 searches only the start folder by default).
    searchStrategy: 'project',
    loaders: {
      '.toml': tomlLoader,
      noExt: tomlOrJson,
      '.js': jsLoader,
      '.mjs': jsLoader,
      '.cjs': jsLoader,
      '.ts': jsLoader,
      '.mts': jsLoader,
    },
    cache: false,
  });
  let result;
  try {
    if (opts.explicitPath) {
      const p = resolve(opts.explicitPath);
      if (!existsSync(p)) {
        throw new ConfigError(
          `config file ${p} does not exist`,
          'check the --config path or TASKAPP__CONFIG',
        );
      }
      result = explorer.load(p);
    } else {
      result = explorer.search(opts.searchFrom ?? process.cwd());
    }
  } catch (err) {
    if (err instanceof ConfigError) {
      throw err;
    }
    throw new ConfigError(
      `cannot read config file: ${(err as Error).message}`,
      'fix the file syntax',
      err,
    );
  }
  if (!result || result.isEmpty) {
    return null;
  }
  const values = (result.config ?? {}) as Record<string, unknown>;
  return {
    source: `file ${result.filepath}`,
    values,
    filepath: result.filepath,
    fieldSources: lineSources(result.filepath),
  };
}

/** file:line for each key of a TOML config file (errors and `config show --explain` point at the line). */
function lineSources(filepath: string): Map<string, string> | undefined {
  if (!/(\.toml|\.taskapprc)$/.test(filepath)) {
    return undefined;
  }
  try {
    return tomlFieldSources(readFileSync(filepath, 'utf8'), filepath);
  } catch {
    return undefined;
  }
}

/** .taskapprc without extension: TOML first (our format), then JSON. */
const tomlOrJson: Loader = (filepath, content) => {
  try {
    return smolToml().parse(content);
  } catch {
    /* not TOML */
  }
  try {
    return JSON.parse(content);
  } catch {
    throw new ConfigError(
      `${filepath}: neither valid TOML nor JSON`,
      'write it as TOML (key = "value") or JSON',
    );
  }
};

export interface LoadOptions {
  /** Options from `taskapp({...})`, camelCase. */
  code?: Record<string, unknown>;
  /** Explicit config file; else TASKAPP__CONFIG; else searched from `cwd`. `false`: no file. */
  configFile?: string | false;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** CLI flags, snake_case paths already nested. */
  flags?: Record<string, unknown>;
}

export function loadConfig(opts: LoadOptions = {}): ResolvedConfig & { filepath: string | null } {
  const env = opts.env ?? process.env;
  const envLayer = configFromEnv(env);
  const layers: ConfigLayer[] = [];
  if (opts.code) {
    layers.push({ source: 'code', values: toSnakeKeys(opts.code) as Record<string, unknown> });
  }
  const explicit = opts.configFile === false ? undefined : (opts.configFile ?? env.TASKAPP__CONFIG);
  const file =
    opts.configFile === false
      ? null
      : loadConfigFile({ explicitPath: explicit, searchFrom: opts.cwd });
  if (file) {
    layers.push(file);
  }
  layers.push({ source: 'env', values: envLayer.values, fieldSources: envLayer.sources });
  if (opts.flags) {
    layers.push({ source: 'flags', values: opts.flags });
  }
  const baseDir = file ? dirname(file.filepath) : (opts.cwd ?? process.cwd());
  return {
    ...resolveConfig(layers, envLayer.taskOptions, baseDir),
    filepath: file?.filepath ?? null,
  };
}

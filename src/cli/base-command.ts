/**
 * What every command shares: the global flags (--config, --verbose; --json where a command prints
 * data), config + task discovery -> the App, closing it afterwards, and the mapping of errors to
 * exit codes: a TaskappError prints its message and fix without a stack (exit 2 for usage/config,
 * 1 for runtime); anything else is a bug and prints its stack (exit 1).
 */
import { Command, Flags, type Interfaces } from '@oclif/core';
import type { App } from '../app/app.js';
import { isTaskappError, loadApp, type LoadedApp } from '../app/discovery.js';
import { styler } from './style.js';
import type { ResolvedConfig } from '../config/resolve.js';
import { TaskappError } from '../core/errors.js';

type FlagsOf<T extends typeof Command> = Interfaces.InferredFlags<
  (typeof BaseCommand)['baseFlags'] & T['flags']
>;
type ArgsOf<T extends typeof Command> = Interfaces.InferredArgs<T['args']>;

export abstract class BaseCommand<T extends typeof Command> extends Command {
  static baseFlags = {
    config: Flags.string({
      char: 'c',
      helpGroup: 'GLOBAL',
      helpValue: 'PATH',
      description:
        'config file (default: $TASKAPP__CONFIG, else taskapp.toml/.taskapprc*/package.json searched upwards from the current folder to the project root, the first folder with a package.json)',
    }),
    verbose: Flags.boolean({
      helpGroup: 'GLOBAL',
      description: 'debug logs, and stack traces on errors',
    }),
  };

  /**
   * False for commands that keep the process alive (run, monitor, web) or never open the backend
   * (tasks, config show): only those may use the memory backend, whose invocations die with the
   * process. A one-shot command on it would print an id the next command cannot find.
   */
  static memoryBackendOk = false;

  protected flags!: FlagsOf<T>;
  protected args!: ArgsOf<T>;
  /** Every positional argument, for commands that take a list (`static strict = false`). */
  protected positional: string[] = [];
  private loaded?: LoadedApp;

  async init(): Promise<void> {
    await super.init();
    const { args, flags, argv } = await this.parse({
      flags: this.ctor.flags,
      baseFlags: (super.ctor as typeof BaseCommand).baseFlags,
      enableJsonFlag: this.ctor.enableJsonFlag,
      args: this.ctor.args,
      strict: this.ctor.strict,
    });
    this.flags = flags as FlagsOf<T>;
    this.args = args as ArgsOf<T>;
    this.positional = argv as string[];
  }

  /** The config layers this invocation adds on top of the file: --verbose means debug logs. */
  protected configFlags(): Record<string, unknown> {
    return this.flags.verbose ? { logging_level: 'debug' } : {};
  }

  /**
   * The user's App: config file (--config, TASKAPP__CONFIG or searched), env, and `flags` as the
   * top config layer; task modules imported. Closed when the command ends.
   */
  protected async app(
    opts: {
      requireTasks?: boolean;
      flags?: Record<string, unknown>;
      /** The command needs no task code: a broken task module is a warning, not an error. */
      tasksOptional?: boolean;
    } = {},
  ): Promise<App> {
    if (this.loaded) {
      return this.loaded.app;
    }
    this.loaded = await loadApp({
      configFile: this.flags.config,
      requireTasks: opts.requireTasks ?? true,
      flags: deepMerge(this.configFlags(), opts.flags ?? {}),
      onImportError: opts.tasksOptional
        ? (err) =>
            // stderr also under --json: stdout stays the JSON.
            process.stderr.write(
              `${styler(process.stderr)('yellow', 'warning:')} ${err.message} (task modules not loaded; showing what is stored)\n`,
            )
        : undefined,
    });
    // Reading the config now turns a bad field into an error before any work starts.
    const resolved = this.loaded.app.resolvedConfig as ResolvedConfig & {
      filepath?: string | null;
    };
    this.refuseMemoryBackend(resolved);
    if (!resolved.filepath) {
      this.logToStderr(
        `${styler(process.stderr)('yellow', 'note:')} no config file found from ${process.cwd()} (taskapp.toml, .taskapprc*, package.json "taskapp"): using defaults, code and TASKAPP__* env`,
      );
    }
    return this.loaded.app;
  }

  private refuseMemoryBackend(resolved: ResolvedConfig): void {
    const { config } = resolved;
    if (
      config.backend !== 'memory' ||
      config.dev_mode_force_sync ||
      (this.constructor as typeof BaseCommand).memoryBackendOk
    ) {
      return;
    }
    throw new TaskappError(
      'USAGE',
      `taskapp ${this.id ?? ''}: the memory backend keeps invocations inside one process, so what this command does is gone when it exits (backend from ${resolved.sources.get('backend') ?? 'config'})`,
      {
        fix: 'use a shared backend (sqlite, redis or postgres) for CLI commands, e.g. TASKAPP__BACKEND=sqlite; keep memory for tests and single-process apps',
        exitCode: 2,
      },
    );
  }

  protected get taskModules(): string[] {
    return this.loaded?.modules ?? [];
  }

  /** stdout, or nothing under --json (the command's return value is printed instead). */
  protected out(text = ''): void {
    this.log(text);
  }

  protected get style() {
    return styler(process.stdout);
  }

  /** Colour for stderr lines (notes, warnings). */
  protected styleErr(...args: Parameters<ReturnType<typeof styler>>): string {
    return styler(process.stderr)(...args);
  }

  async catch(err: Error & { oclif?: { exit?: number } }): Promise<unknown> {
    if (err.oclif && this.jsonEnabled() && isUsageError(err)) {
      // oclif's own --json form dumps its whole parser state (the config included) and exits 1.
      this.logJson({
        error: {
          code: 'USAGE',
          message: err.message.replace(/\nSee more help with --help$/, ''),
          fix: `see ${[this.config.bin, ...(this.id ?? '').split(':'), '--help'].filter(Boolean).join(' ')}`,
          exitCode: 2,
        },
      });
      return this.exit(2);
    }
    if (err.oclif) {
      return super.catch(err);
    } // oclif's own (flag parsing, this.exit): exit codes already set
    const showStack = this.wantsStack();
    const s = styler(process.stderr);
    if (isTaskappError(err)) {
      if (this.jsonEnabled()) {
        this.logJson({
          error: {
            code: err.code,
            message: err.message,
            fix: err.fix ?? null,
            exitCode: err.exitCode,
          },
        });
      } else {
        const fix = err.fix ? `\n${s('yellow', `  fix: ${err.fix}`)}` : '';
        process.stderr.write(`${s('red', 'Error:')} ${err.message}${fix}\n`);
        if (showStack) {
          process.stderr.write(`${s('gray', stackOf(err))}\n`);
        }
      }
      return this.exit(err.exitCode);
    }
    // Not a user mistake: a bug in taskapp or in a task module. Keep the stack.
    process.stderr.write(
      `${s('red', 'Unexpected error')} (a bug: please report it with this stack)\n${stackOf(err)}\n`,
    );
    return this.exit(1);
  }

  async finally(err: Error | undefined): Promise<void> {
    const app = this.loaded?.app;
    this.loaded = undefined;
    if (app) {
      await app.close().catch(() => {});
    }
    return super.finally(err);
  }

  private wantsStack(): boolean {
    if (this.argv.includes('--verbose')) {
      return true;
    }
    return (
      (process.env.TASKAPP__LOGGING_LEVEL ?? '').replace(/"/g, '').trim().toLowerCase() === 'debug'
    );
  }
}

/** A flag or argument oclif could not parse (not this.exit(), which throws an EEXIT error). */
function isUsageError(err: Error & { oclif?: { exit?: number }; code?: unknown }): boolean {
  return err.code !== 'EEXIT' && (err.oclif?.exit ?? 2) !== 0;
}

function stackOf(err: Error): string {
  let out = err.stack ?? String(err);
  let cause = (err as { cause?: unknown }).cause;
  while (cause instanceof Error) {
    out += `\nCaused by: ${cause.stack ?? cause.message}`;
    cause = (cause as { cause?: unknown }).cause;
  }
  return out;
}

/** Nested flag objects ({runner: {kind}} + {runner: {concurrency}}) merged. */
function deepMerge(
  a: Record<string, unknown>,
  b: Record<string, unknown>,
): Record<string, unknown> {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) {
    if (v === undefined) {
      continue;
    }
    const cur = out[k];
    out[k] =
      cur &&
      typeof cur === 'object' &&
      !Array.isArray(cur) &&
      v &&
      typeof v === 'object' &&
      !Array.isArray(v)
        ? deepMerge(cur as Record<string, unknown>, v as Record<string, unknown>)
        : v;
  }
  return out;
}

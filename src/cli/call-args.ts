/**
 * Where `taskapp call` reads its arguments: --args JSON, --args - (stdin) or --args-file PATH. The
 * last two carry arguments past the OS limit on one command-line argument (128 KiB on Linux).
 */
import { readFile } from 'node:fs/promises';
import { TaskappError } from '../core/errors.js';

export interface ArgsSource {
  args?: string;
  argsFile?: string;
}

/** The argument object from the chosen source, or a usage error naming the source and the problem. */
export async function readCallArgs(
  src: ArgsSource,
  stdin: NodeJS.ReadableStream = process.stdin,
): Promise<Record<string, unknown>> {
  if (src.args !== undefined && src.argsFile !== undefined) {
    throw usage('--args and --args-file were both given', 'pass the arguments one way only');
  }
  if (src.argsFile !== undefined) {
    return parseArgsJson(await readArgsFile(src.argsFile), `--args-file ${src.argsFile}`);
  }
  if (src.args === '-') {
    return parseArgsJson(await readAll(stdin), '--args - (stdin)');
  }
  return parseArgsJson(src.args, '--args');
}

/** JSON text -> the argument object, or a usage error naming where it came from. */
export function parseArgsJson(text: string | undefined, from = '--args'): Record<string, unknown> {
  if (text === undefined) {
    return {};
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw usage(
      `${from} is not valid JSON: ${(err as Error).message}`,
      `quote it for the shell: --args '{"x": 1, "y": 2}', or write it to a file: --args-file args.json`,
    );
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw usage(
      `${from} must be a JSON object of named arguments, got ${Array.isArray(v) ? 'an array' : JSON.stringify(v)}`,
      `pass the arguments by name: --args '{"x": 1, "y": 2}'`,
    );
  }
  return v as Record<string, unknown>;
}

async function readArgsFile(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw usage(
      `--args-file ${path} cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      'check the path (relative to the current folder) and that the file is readable',
    );
  }
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) {
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function usage(message: string, fix: string): TaskappError {
  return new TaskappError('USAGE', message, { fix, exitCode: 2 });
}

/**
 * Connection settings and error meanings for PostgreSQL: the schema name check, the client config
 * (search_path pinned to taskapp's schema on every connection), start errors naming the server, and which
 * errors mean "the connection went away" (retry on a new one) rather than a real failure.
 */
import type pg from 'pg';
import { BackendError, ConfigError } from '../../core/errors.js';
import { maskUrl } from '../common/connection-utils.js';

/** Lower-case identifiers only: no quoting surprises in search_path, LISTEN or CREATE SCHEMA. At most
 * 50 characters so the NOTIFY channel name (schema + suffix) stays under PostgreSQL's 63. */
const SCHEMA_RE = /^[a-z_][a-z0-9_]{0,49}$/;

export function checkSchemaName(schema: string): string {
  if (!SCHEMA_RE.test(schema)) {
    throw new ConfigError(
      `postgres.schema "${schema}" is not a usable schema name`,
      'use lower-case letters, digits and underscores, starting with a letter or underscore, at most 50 characters (e.g. "taskapp")',
    );
  }
  return schema;
}

export const quoteIdent = (name: string): string => `"${name.replace(/"/g, '""')}"`;

/** bigint columns hold epoch milliseconds and counts: numbers, not strings. */
const INT8_OID = 20;
const TEXT_ARRAY_OID = 1009;
function typeParsers(types: typeof pg.types): pg.CustomTypesConfig {
  const textArray = types.getTypeParser(TEXT_ARRAY_OID as never, 'text') as (v: string) => unknown;
  return {
    getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
      format === 'binary'
        ? types.getTypeParser(oid, format)
        : oid === INT8_OID
          ? (v: string) => Number(v)
          : oid === TEXT_ARRAY_OID
            ? (v: string) => textArrayFast(v) ?? textArray(v)
            : types.getTypeParser(oid, format as 'text')) as pg.CustomTypesConfig['getTypeParser'],
  };
}

/**
 * A one-dimensional text[] none of whose elements PostgreSQL quoted (no NULL, no comma, quote,
 * brace, backslash or space in any: invocation ids, statuses), split at once; else undefined, for
 * pg's own parser. A claim's id lists went through pg's character-by-character parser at about
 * 1 KB of garbage per id.
 */
export function textArrayFast(v: string): string[] | undefined {
  if (v === '{}') {
    return [];
  }
  if (v.charCodeAt(0) !== 123 || v.includes('"') || v.includes('{', 1) || v.includes('NULL')) {
    return undefined;
  }
  return v.slice(1, -1).split(',');
}

/**
 * Client config for `url` with search_path set to `schema` at connection start (so every statement,
 * prepared ones included, resolves names in taskapp's schema). The URL's own settings win, except
 * that our search_path is appended to any `options` it carries.
 */
export function clientConfig(
  driver: typeof pg,
  url: string,
  schema: string,
  applicationName: string,
): pg.ClientConfig {
  const searchPath = `-c search_path=${schema}`;
  let connectionString = url;
  let options: string | undefined = searchPath;
  try {
    const u = new URL(url);
    const own = u.searchParams.get('options');
    if (own !== null) {
      u.searchParams.set('options', `${own} ${searchPath}`);
      connectionString = u.toString();
      options = undefined;
    }
  } catch {
    /* pg reports a malformed URL itself, with its own message */
  }
  return {
    connectionString,
    options,
    application_name: applicationName,
    connectionTimeoutMillis: 10_000,
    keepAlive: true,
    types: typeParsers(driver.types),
  };
}

const CONNECTION_SYSCALL_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
const CONNECTION_MESSAGES =
  /connection terminated|connection error|timeout exceeded when trying to connect|terminating connection|server closed the connection|not queryable/i;

/** The connection is gone (server restart, pg_terminate_backend, network): a new one may work. */
export function isConnectionError(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  if (typeof e?.code === 'string') {
    if (e.code.startsWith('08') || e.code === '57P01' || e.code === '57P02' || e.code === '57P03') {
      return true;
    }
    if (CONNECTION_SYSCALL_CODES.has(e.code)) {
      return true;
    }
  }
  return typeof e?.message === 'string' && CONNECTION_MESSAGES.test(e.message);
}

/** Worth running again as is: a lost connection, a deadlock victim, a serialization failure. */
export function isRetryable(err: unknown): boolean {
  const code = (err as { code?: string })?.code;
  return code === '40P01' || code === '40001' || isConnectionError(err);
}

/** Turns a failure to connect or set up at start into an error that names the server and what to check. */
export function startError(err: unknown, url: string, schema: string): Error {
  const e = err as { code?: string; message?: string };
  const where = `PostgreSQL at ${maskUrl(url)}`;
  const msg = e?.message ?? String(err);
  switch (e?.code) {
    case '28P01':
    case '28000':
      return new BackendError(
        `${where} refused the login (${msg})`,
        "check the user and password in postgres.url (or TASKAPP__POSTGRES__URL) and the server's pg_hba.conf",
        err,
      );
    case '3D000':
      return new BackendError(
        `${where}: ${msg}`,
        'create the database (createdb NAME) or point postgres.url at an existing one',
        err,
      );
    case '42501':
      return new BackendError(
        `${where}: the user may not create or change schema "${schema}" (${msg})`,
        `create the schema as its owner and grant the user rights on it, or run \`taskapp migrate\` as a user who may`,
        err,
      );
    default:
      if (isConnectionError(err)) {
        return new BackendError(
          `cannot connect to ${where} (${e?.code ? `${e.code}: ` : ''}${msg})`,
          'check that the server is running and reachable from this host (host, port, firewall), and that postgres.url (or TASKAPP__POSTGRES__URL) points at it',
          err,
        );
      }
      return new BackendError(
        `${where} failed while taskapp set up schema "${schema}": ${msg}`,
        'check the server log; run `taskapp migrate` to see the migration step that fails',
        err,
      );
  }
}

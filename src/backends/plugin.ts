/**
 * What a backend package exports so that taskapp can load it by name (docs/backends.md): its
 * factory and the version of the backend API (`taskapp/backend`) it was written against.
 */
import type { BackendFactory } from './backends.js';

/**
 * The version of the backend API (`taskapp/backend`: role interfaces, records, statuses, helpers).
 * Raised when a change would break a backend written against the previous one; a plugin declares
 * the version it was written for and is refused by a taskapp providing another.
 */
export const BACKEND_API_VERSION = 1;

export interface BackendPlugin {
  /** BACKEND_API_VERSION of the taskapp the backend was written against. */
  apiVersion: number;
  /** A short name for messages ("rabbitmq", "mongodb"). */
  name: string;
  /** Builds the roles this backend serves from the resolved config; called once per app. */
  create: BackendFactory;
}

/** Declares a backend: `export default defineBackend({ name, create })` from the package's entry. */
export function defineBackend(plugin: {
  name: string;
  create: BackendFactory;
  apiVersion?: number;
}): BackendPlugin {
  return { apiVersion: BACKEND_API_VERSION, ...plugin };
}

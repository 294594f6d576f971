import { TaskappError } from '../core/errors.js';

/** A workflow task did something a re-run cannot replay the same way. */
export class DeterminismError extends TaskappError {
  constructor(message: string, fix: string) {
    super('DETERMINISM', message, { fix });
    this.name = 'DeterminismError';
  }
}

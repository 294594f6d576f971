/** What every backend's `purge` shares: which tasks a scope covers, and the batch bound. */
import type { PurgeScope } from '../orchestrator.js';

/** True when `taskId` is one `scope` may delete (its task list, and not excluded). */
export function taskInScope(taskId: string, scope: PurgeScope | undefined): boolean {
  if (scope?.taskIds && !scope.taskIds.includes(taskId)) {
    return false;
  }
  return !scope?.exceptTaskIds?.includes(taskId);
}

/** The most rows one purge statement deletes when the caller sets no limit (`taskapp purge`). */
export const PURGE_CHUNK = 1000;

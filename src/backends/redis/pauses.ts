import type { TaskPauses } from '../task-pauses.js';
import type { RedisConn } from './connection.js';

/** Paused tasks in Redis: pause and resume are one Lua script each (lua/pause_task.lua, resume_task.lua). */
export class RedisTaskPauses implements TaskPauses {
  constructor(private readonly conn: RedisConn) {}

  async pause(task: string): Promise<number> {
    return Number(await this.conn.script('pause_task', [task]));
  }

  async resume(task: string): Promise<number> {
    // The script sets the queue's wake-up marker: claimers blocked on it, on every host, wake.
    return Number(await this.conn.script('resume_task', [task]));
  }

  async paused(): Promise<string[]> {
    const { main, keys } = this.conn;
    return (await this.conn.retrying(() => main.smembers(keys.pausedTasks))).sort();
  }

  async parkedCounts(): Promise<Record<string, number>> {
    const { main, keys } = this.conn;
    const tasks = await this.paused();
    const counts = await Promise.all(
      tasks.map((t) => this.conn.retrying(() => main.zcard(keys.parked(t)))),
    );
    return Object.fromEntries(tasks.map((t, i) => [t, counts[i]!]));
  }
}

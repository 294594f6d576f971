/**
 * Prometheus metrics (prom-client). Two kinds:
 * - counters and the duration histogram count what THIS process did, from `app.events`
 *   (a runner's /metrics shows its own work; sum across runners in Prometheus);
 * - gauges read the shared backends at scrape time (queue depth, runners alive, invocations by
 *   status), so any process, e.g. `taskapp web`, reports them for the whole app.
 * Each app gets its own Registry: several apps (or tests) in one process never collide.
 */
import { createServer, type Server } from 'node:http';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Runtime } from '../runtime/runtime.js';
import { MonitorData } from './snapshot.js';
import { outboxLag } from '../runtime/outbox.js';

export class TaskMetrics {
  readonly registry = new Registry();
  private readonly off: () => void;

  constructor(app: Runtime, data = new MonitorData(app)) {
    const r = [this.registry];
    const byTask = (name: string, help: string) =>
      new Counter({ name, help, labelNames: ['task'], registers: r });
    const submitted = byTask(
      'taskapp_tasks_submitted_total',
      'Invocations submitted by this process',
    );
    const started = byTask('taskapp_tasks_started_total', 'Attempts started by this process');
    const succeeded = byTask(
      'taskapp_tasks_succeeded_total',
      'Attempts that ended SUCCESS in this process',
    );
    const failed = byTask(
      'taskapp_tasks_failed_total',
      'Attempts that ended FAILED in this process',
    );
    const retried = byTask(
      'taskapp_tasks_retried_total',
      'Attempts that ended RETRY in this process',
    );
    const controlled = byTask(
      'taskapp_concurrency_controlled_total',
      'Calls or starts held back by concurrency control in this process',
    );
    const retentionPurged = new Counter({
      name: 'taskapp_retention_purged_total',
      help: 'Finished invocations deleted by retention passes of this process',
      registers: r,
    });
    const retentionBlobs = new Counter({
      name: 'taskapp_retention_blobs_deleted_total',
      help: 'Argument blobs deleted by retention passes of this process (no invocation left refers to them)',
      registers: r,
    });
    const duration = new Histogram({
      name: 'taskapp_task_duration_seconds',
      help: 'Attempt duration',
      labelNames: ['task', 'status'],
      registers: r,
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 60, 300],
    });
    this.off = app.events.on((e) => {
      switch (e.type) {
        case 'submitted':
          submitted.inc({ task: e.taskId }, e.count);
          break;
        case 'started':
          started.inc({ task: e.taskId });
          break;
        case 'concurrency_controlled':
          controlled.inc({ task: e.taskId });
          break;
        case 'finished':
          (e.status === 'SUCCESS' ? succeeded : e.status === 'FAILED' ? failed : retried).inc({
            task: e.taskId,
          });
          duration.observe({ task: e.taskId, status: e.status }, e.durationMs / 1000);
          break;
        case 'retention':
          retentionPurged.inc(e.purged);
          retentionBlobs.inc(e.blobsDeleted);
          break;
      }
    });
    new Gauge({
      name: 'taskapp_queue_depth',
      help: 'Invocation ids waiting in the broker (ready or delayed)',
      registers: r,
      async collect() {
        this.set(await (await app.backends()).broker.count());
      },
    });
    new Gauge({
      name: 'taskapp_runners_alive',
      help: 'Runners whose heartbeat is recent',
      registers: r,
      async collect() {
        this.set((await data.runners()).filter((x) => x.alive).length);
      },
    });
    if (app.config.outbox.url) {
      // Read at scrape time from the outbox table, like the gauges above: any process reports it.
      const lag = () => outboxLag(app);
      new Gauge({
        name: 'taskapp_outbox_pending',
        help: 'Calls written to the outbox ([outbox] url) and not yet relayed to the backend',
        registers: r,
        async collect() {
          this.set((await lag())?.pending ?? 0);
        },
      });
      new Gauge({
        name: 'taskapp_outbox_lag_seconds',
        help: 'Age of the oldest call waiting in the outbox (0: empty): how far the relay is behind',
        registers: r,
        async collect() {
          this.set((await lag())?.lagSeconds ?? 0);
        },
      });
    }
    new Gauge({
      name: 'taskapp_invocations',
      help: 'Stored invocations by status',
      labelNames: ['status'],
      registers: r,
      async collect() {
        for (const [status, n] of Object.entries(await data.counts())) {
          this.set({ status }, n);
        }
      },
    });
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  close(): void {
    this.off();
  }
}

/** A bare /metrics endpoint for a runner process (`[monitor] metrics_port`). */
export async function serveMetrics(
  app: Runtime,
  port: number,
  host = '0.0.0.0',
): Promise<{ server: Server; port: number; close(): Promise<void> }> {
  const metrics = new TaskMetrics(app);
  const server = createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end('not found; try /metrics\n');
      return;
    }
    metrics.text().then(
      (body) => res.writeHead(200, { 'content-type': metrics.contentType }).end(body),
      (err: Error) => res.writeHead(500).end(`${err.message}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const addr = server.address();
  return {
    server,
    port: typeof addr === 'object' && addr ? addr.port : port,
    close: () =>
      new Promise((resolve) => {
        metrics.close();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Dev mode (`dev_mode_force_sync`): an invocation runs at call(), inline, no runner. */
import type { Runtime } from '../runtime/runtime.js';
import type { NewInvocation } from '../core/records.js';
import { runAttempt } from './execute.js';
import { devFinal } from '../triggers/dev.js';

const DEV_RUNNER = 'dev-mode-inline';

export async function runInline(app: Runtime, inv: NewInvocation): Promise<void> {
  const { state, orchestrator } = await app.backends();
  await state.insert([inv], Date.now());
  for (;;) {
    await orchestrator.acquire([inv.id], DEV_RUNNER, Date.now());
    const running = await orchestrator.transition(
      { id: inv.id, to: 'RUNNING', runnerId: DEV_RUNNER },
      Date.now(),
    );
    const out = await runAttempt(app, running, DEV_RUNNER);
    const done = await orchestrator.transition(
      {
        id: inv.id,
        to: out.to,
        runnerId: DEV_RUNNER,
        ...(out.to === 'SUCCESS' ? { result: out.result } : { error: out.error }),
      },
      Date.now(),
    );
    if (out.to !== 'RETRY') {
      app.notifyFinal([done]);
      await devFinal(app, [done]);
      return;
    }
    await new Promise((r) => setTimeout(r, out.delayMs));
  }
}

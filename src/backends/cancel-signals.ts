/**
 * Cancel requests on their way to the runner that holds the invocation: published once, heard by
 * every runner through one subscription each (the backend's wake-up channel), so no runner polls
 * per invocation. A runner that does not hold the id ignores it.
 */
export interface CancelRequest {
  id: string;
  reason: string;
}

export interface CancelSignals {
  /** Tells every runner, in this process and others, that `reqs` are to be stopped. */
  publish(reqs: CancelRequest[]): Promise<void>;
  /** One listener per runner; returns the unsubscribe. Delivery is at most once per listener. */
  subscribe(listener: (reqs: CancelRequest[]) => void): () => void;
  /**
   * Resolves once requests published from now on reach the listeners subscribed so far (a runner
   * awaits it before it claims: a request published before its subscription was in place would be
   * lost). Absent: subscribing takes effect at once.
   */
  ready?(): Promise<void>;
}

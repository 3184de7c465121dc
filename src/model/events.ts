// The controller's public face: what triggers (watch, cron, push, webhook, API) and the HTTP server may use.
// Triggers only enqueue; one reconcile runs at a time and triggers arriving during a run merge into one more
// run (level-triggered: a run re-reads the state repo and the box, whatever woke it).

/** What woke the controller. Only for logs, events and the audit trail; never changes what a run does. */
export interface Trigger {
  kind:
    | 'startup'
    | 'commit'
    | 'resync'
    | 'push'
    | 'webhook'
    | 'api'
    | 'snapshot-schedule'
    /** Podman reported a change to one of the instance's containers or volumes (the daemon's observation cache). */
    | 'podman-event'
    /** Caddy obtained or renewed the certificate of a host a Port asks for (the daemon's certificate watch). */
    | 'certificate';
  /** e.g. the commit pushed, the webhook delivery id, the API user. */
  detail?: string;
}

/** The outcome of the reconcile run that covered a trigger. */
export interface ReconcileOutcome {
  ok: boolean;
  /** State commit the run planned from (absent when the state repo could not be read). */
  commit?: string;
  actions: number;
  error?: string;
}

/** Something worth telling people and tools about; persisted in the event history and streamed (SSE). */
export interface ControllerEvent {
  /** Monotonic per data directory. */
  seq: number;
  at: string;
  type: string;
  /** `port/web`, `app/site`… when the event is about one resource. */
  resource?: string;
  message: string;
  /** Never contains secret values. */
  data?: Record<string, unknown>;
}

export interface Controller {
  /** Enqueues a run; resolves when a run that started after this call has finished. */
  enqueue(trigger: Trigger): Promise<ReconcileOutcome>;
  /** Live events; returns the unsubscribe function. */
  subscribe(listener: (event: ControllerEvent) => void): () => void;
}

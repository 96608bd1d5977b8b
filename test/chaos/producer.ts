/**
 * A producer that behaves as the design asks producers to: it retries an
 * enqueue that got no answer (the daemon was killed) or a 503 with the same
 * idempotency key, so each key ends up accepted exactly once.
 */
export interface Accepted {
  key: string;
  id: string;
  /** 202 (created by this request) or 200 (a retry found it already stored). */
  status: number;
  /** Requests it took (1 unless the daemon was down or refusing). */
  tries: number;
}

export interface ProduceOptions {
  url: () => string;
  count: number;
  concurrency: number;
  /** The enqueue body for item i; must carry idempotencyKey. */
  body: (i: number) => Record<string, unknown> & { idempotencyKey: string };
  /** Give up on an item after this long (the run then fails: nothing may stay unaccepted). */
  timeoutMs: number;
  onAccepted?: (accepted: Accepted, i: number) => void;
}

export async function produce(options: ProduceOptions): Promise<{ accepted: Accepted[]; failures: number; refusals: Map<number, number> }> {
  const accepted: Accepted[] = new Array(options.count);
  let next = 0;
  let failures = 0;
  const refusals = new Map<number, number>();
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= options.count) return;
      const body = options.body(i);
      const giveUpAt = Date.now() + options.timeoutMs;
      for (let tries = 1; ; tries++) {
        let status = 0;
        let json: { id?: string } | null = null;
        try {
          const response = await fetch(`${options.url()}/v1/notifications`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(body),
            signal: AbortSignal.timeout(10_000),
          });
          status = response.status;
          json = (await response.json()) as { id?: string };
        } catch {
          failures += 1;
        }
        if ((status === 202 || status === 200) && json?.id) {
          accepted[i] = { key: body.idempotencyKey, id: json.id, status, tries };
          options.onAccepted?.(accepted[i]!, i);
          break;
        }
        if (status !== 0) {
          refusals.set(status, (refusals.get(status) ?? 0) + 1);
          if (status !== 503 && status !== 429) throw new Error(`enqueue ${i} answered ${status}: ${JSON.stringify(json)}`);
        }
        if (Date.now() > giveUpAt) throw new Error(`enqueue ${i} (${body.idempotencyKey}) not accepted within ${options.timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 50 + Math.random() * 100));
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  return { accepted, failures, refusals };
}

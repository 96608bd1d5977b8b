/** One subscription, a link in its signal's ring; `onAbort` is null once it has been removed. */
interface Link {
  onAbort: (() => void) | null;
  prev: Link;
  next: Link;
}

/**
 * Subscribes many in-flight attempts to one caller signal through a single
 * listener. The executor passes the same shutdown signal to every send, and
 * Node warns (MaxListenersExceededWarning) past 10 listeners on one
 * AbortSignal, which at a concurrency of 64 would fire on every start.
 *
 * The subscriptions of a signal form a ring of links (insertion order) that
 * each unsubscribe unlinks and clears, rather than a Set: a long-lived Set
 * churned by an add and a delete per POST, each entry a closure holding the
 * request, cost ≈20 µs per attempt, most of it in garbage collection
 * (measured with bench/: the sender alone, and the deliver benchmark).
 */
export class AbortListeners {
  private readonly bySignal = new WeakMap<AbortSignal, Link>();

  /** Calls `onAbort` once when `signal` aborts; the returned function unsubscribes. */
  subscribe(signal: AbortSignal, onAbort: () => void): () => void {
    let ring = this.bySignal.get(signal);
    if (ring === undefined) {
      const head = newRing();
      ring = head;
      this.bySignal.set(signal, head);
      signal.addEventListener(
        'abort',
        () => {
          this.bySignal.delete(signal);
          // The next link is read before each call: a callback unsubscribes itself.
          for (let link = head.next; link !== head; ) {
            const next = link.next;
            link.onAbort?.();
            link = next;
          }
        },
        { once: true },
      );
    }
    const tail = ring.prev;
    const link: Link = { onAbort, prev: tail, next: ring };
    tail.next = link;
    ring.prev = link;
    return () => {
      if (link.onAbort === null) return;
      link.prev.next = link.next;
      link.next.prev = link.prev;
      // `next` is kept, so an abort walk standing on this link still moves on.
      link.onAbort = null;
    };
  }
}

function newRing(): Link {
  const head = { onAbort: null, prev: null, next: null } as unknown as Link;
  head.prev = head;
  head.next = head;
  return head;
}

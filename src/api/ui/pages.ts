/**
 * The ops dashboard's pages, rendered on the server as plain HTML. They hold
 * no data: the token lives in the browser session (sessionStorage), so the
 * page script fetches the API with it as a Bearer token and fills the page in.
 * What the server puts in the page (the filter values, the id) is escaped.
 */

export type DeadLetterFilterValues = Partial<Record<'host' | 'since' | 'until' | 'lastError', string>>;

const MAX_ECHO = 300;

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function attr(value: string | undefined): string {
  return escapeHtml((value ?? '').slice(0, MAX_ECHO));
}

function layout(options: { title: string; page: string; data?: Record<string, string>; main: string }): string {
  const data = Object.entries(options.data ?? {})
    .map(([key, value]) => ` data-${key}="${attr(value)}"`)
    .join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(options.title)} · notifyd</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/ui/app.css">
<script src="/ui/app.js" defer></script>
</head>
<body data-page="${options.page}"${data}>
<header class="top">
  <a class="brand" href="/ui">notifyd <span>ops</span></a>
  <nav><a href="/ui">Dead letters</a></nav>
  <span id="auth-status" class="auth-status"></span>
  <button id="forget-token" type="button" class="link" hidden>Forget token</button>
</header>
<section id="token-panel" class="panel token-panel" hidden>
  <h2>Sign in</h2>
  <p id="token-reason">This daemon needs an API token with the <code>read</code> scope (and <code>ops</code> to replay or cancel).</p>
  <form id="token-form" autocomplete="off">
    <label for="token-input">Token</label>
    <input id="token-input" name="token" type="password" required spellcheck="false" autocomplete="off">
    <button type="submit">Use token</button>
  </form>
  <p class="hint">Kept in this browser tab's session only (sessionStorage) and sent as <code>Authorization: Bearer …</code>.</p>
</section>
<div id="banner" class="banner" role="alert" hidden></div>
<main id="content">
${options.main}
</main>
<dialog id="confirm-dialog">
  <form method="dialog">
    <p id="confirm-message"></p>
    <menu>
      <button value="cancel" type="submit" class="secondary">Cancel</button>
      <button id="confirm-ok" value="ok" type="submit" class="danger">OK</button>
    </menu>
  </form>
</dialog>
</body>
</html>
`;
}

const HEADLINE = `<section class="stats" aria-label="Headline numbers">
  <div class="stat"><span class="label">Pending</span><span class="value" id="stat-pending">…</span><span class="sub" id="stat-oldest"></span></div>
  <div class="stat"><span class="label">In flight</span><span class="value" id="stat-in-flight">…</span></div>
  <div class="stat good"><span class="label">Delivered, last hour</span><span class="value" id="stat-delivered-hour">…</span><span class="sub" id="stat-hour-since"></span></div>
  <div class="stat bad"><span class="label">Dead, last hour</span><span class="value" id="stat-dead-hour">…</span></div>
  <div class="stat bad"><span class="label">Dead-letter queue</span><span class="value" id="stat-dead">…</span></div>
</section>
<p id="paused-hosts" class="notice" hidden></p>`;

/** GET /ui: the headline numbers and the dead-letter queue, filtered by the query string. */
export function deadLettersPage(filter: DeadLetterFilterValues): string {
  const main = `${HEADLINE}
<section class="panel">
  <h1>Dead-letter queue</h1>
  <form id="filters" class="filters" method="get" action="/ui">
    <label>Host <input name="host" value="${attr(filter.host)}" placeholder="merchant.example.com" spellcheck="false"></label>
    <label>Died since <input name="since" value="${attr(filter.since)}" placeholder="2h or 2026-11-24T08:00Z" spellcheck="false"></label>
    <label>until <input name="until" value="${attr(filter.until)}" placeholder="now" spellcheck="false"></label>
    <label>Last error contains <input name="lastError" value="${attr(filter.lastError)}" placeholder="ECONNREFUSED, HTTP 500" spellcheck="false"></label>
    <button type="submit">Filter</button>
    <a class="button secondary" href="/ui">Clear</a>
  </form>
  <div class="toolbar">
    <span id="dlq-count" class="count">Counting…</span>
    <button id="bulk-replay" type="button" class="danger" disabled>Replay all matching…</button>
    <span id="bulk-progress" class="progress" aria-live="polite"></span>
  </div>
  <div class="table-wrap">
  <table class="grid" id="dlq-table">
    <thead><tr><th>Died</th><th>Notification</th><th>Host</th><th>Path</th><th class="num">Attempts</th><th>Reason</th><th>Last error</th><th></th></tr></thead>
    <tbody id="dlq-rows"></tbody>
  </table>
  </div>
  <p id="dlq-empty" class="empty" hidden>No dead letters match.</p>
  <button id="load-more" type="button" class="secondary" hidden>Load more</button>
</section>`;
  return layout({ title: 'Dead letters', page: 'dead-letters', main });
}

/** GET /ui/notifications/:id: one notification, its attempt timeline, replay, retry now and cancel. */
export function notificationPage(id: string): string {
  const main = `<p class="crumbs"><a href="/ui">← Dead-letter queue</a></p>
<section class="panel">
  <h1><span class="mono" id="notification-id">${attr(id)}</span> <span id="status" class="badge">…</span></h1>
  <div class="actions">
    <button id="replay" type="button" hidden>Replay</button>
    <button id="retry-now" type="button" class="secondary" hidden title="Attempt now instead of at the next scheduled time">Retry now</button>
    <button id="cancel" type="button" class="danger" hidden>Cancel</button>
    <span id="action-result" class="progress" aria-live="polite"></span>
  </div>
  <dl id="fields" class="fields"></dl>
</section>
<section class="panel">
  <h2>Attempts</h2>
  <div class="table-wrap">
  <table class="grid" id="timeline">
    <thead><tr><th class="num">#</th><th>Time</th><th class="num">Duration</th><th class="num">Status</th><th>Outcome</th><th>Error</th><th>Response excerpt</th></tr></thead>
    <tbody id="timeline-rows"></tbody>
  </table>
  </div>
  <p id="timeline-empty" class="empty" hidden>No attempt yet.</p>
</section>`;
  return layout({ title: id.slice(0, 64), page: 'notification', data: { 'notification-id': id }, main });
}

/**
 * The dashboard's script (served as /ui/app.js). Plain browser JavaScript, no
 * build step and no framework: it reads the token from sessionStorage (asking
 * once when the API answers 401), fetches the API with it, and fills in the
 * server-rendered page. Data only ever enters the page through textContent
 * and attributes, never as HTML, so nothing a receiver answered can run here.
 *
 * Kept as a string so it ships inside dist/ with the rest of the daemon; it is
 * written without template literals so this file can hold it verbatim.
 */
export const APP_SCRIPT = String.raw`'use strict';
(function () {
  var TOKEN_KEY = 'notifyd.token';
  var PAGE = 1000;
  var body = document.body;
  var page = body.getAttribute('data-page');

  function $(id) { return document.getElementById(id); }

  function el(tag, props, children) {
    var node = document.createElement(tag);
    if (props) {
      Object.keys(props).forEach(function (key) {
        var value = props[key];
        if (value === undefined || value === null) return;
        if (key === 'text') node.textContent = String(value);
        else if (key === 'className') node.className = value;
        else if (key === 'href') node.setAttribute('href', value);
        else node.setAttribute(key, String(value));
      });
    }
    (children || []).forEach(function (child) {
      node.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
    });
    return node;
  }

  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }

  function fmtTime(iso, short) {
    if (!iso) return '–';
    var d = new Date(iso);
    var options = { month: 'short', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false };
    if (!short) options.year = 'numeric';
    return d.toLocaleString(undefined, options);
  }

  function delay(ms) { return ms < 1000 ? ms + ' ms' : duration(Math.round(ms / 1000)); }

  function ago(iso) {
    if (!iso) return '';
    var s = Math.round((Date.now() - new Date(iso).getTime()) / 1000);
    if (s < 0) return 'in ' + duration(-s);
    return duration(s) + ' ago';
  }

  function duration(s) {
    if (s < 60) return s + ' s';
    if (s < 3600) return Math.round(s / 60) + ' min';
    if (s < 86400) return (s / 3600).toFixed(1).replace(/\.0$/, '') + ' h';
    return (s / 86400).toFixed(1).replace(/\.0$/, '') + ' d';
  }

  // The host has its own column: the URL column shows the rest (the whole URL is its tooltip).
  function pathOf(url) {
    try { var u = new URL(url); return u.pathname + u.search; } catch (e) { return url; }
  }

  function num(n) { return typeof n === 'number' ? n.toLocaleString() : '–'; }

  function showBanner(message, kind) {
    var banner = $('banner');
    if (!message) { banner.hidden = true; return; }
    banner.textContent = message;
    banner.className = 'banner ' + (kind || 'error');
    banner.hidden = false;
  }

  // ---- the API, with the session's token --------------------------------

  function ApiError(status, code, message) { this.status = status; this.code = code; this.message = message; }

  function api(method, path, payload) {
    var headers = { accept: 'application/json' };
    var token = sessionStorage.getItem(TOKEN_KEY);
    if (token) headers.authorization = 'Bearer ' + token;
    var init = { method: method, headers: headers, credentials: 'omit', cache: 'no-store' };
    if (payload !== undefined) { headers['content-type'] = 'application/json'; init.body = JSON.stringify(payload); }
    return fetch(path, init).then(function (res) {
      return res.text().then(function (text) {
        var data = null;
        try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
        var err = data && data.error ? data.error : {};
        if (res.status === 401) { askForToken(token ? 'That token was not accepted: ' + (err.message || 'invalid token') : null); throw new ApiError(401, 'unauthorized', err.message || 'token needed'); }
        if (!res.ok) throw new ApiError(res.status, err.code || 'http_' + res.status, err.message || 'HTTP ' + res.status);
        return data;
      });
    }, function (e) { throw new ApiError(0, 'unreachable', 'cannot reach notifyd: ' + e.message); });
  }

  function explain(e) {
    if (e instanceof ApiError) return e.code + ': ' + e.message;
    return String(e && e.message || e);
  }

  function report(e) {
    if (e instanceof ApiError && e.status === 401) return;
    showBanner(explain(e), 'error');
  }

  var started = false;

  function askForToken(reason) {
    $('token-panel').hidden = false;
    $('content').hidden = true;
    if (reason) $('token-reason').textContent = reason;
    $('token-input').focus();
  }

  function setupAuth() {
    $('token-form').addEventListener('submit', function (event) {
      event.preventDefault();
      var value = $('token-input').value.trim();
      if (!value) return;
      sessionStorage.setItem(TOKEN_KEY, value);
      $('token-input').value = '';
      $('token-panel').hidden = true;
      $('content').hidden = false;
      showBanner(null);
      updateAuthStatus();
      start();
    });
    $('forget-token').addEventListener('click', function () {
      sessionStorage.removeItem(TOKEN_KEY);
      location.reload();
    });
    updateAuthStatus();
  }

  function updateAuthStatus() {
    var has = !!sessionStorage.getItem(TOKEN_KEY);
    $('auth-status').textContent = has ? 'token set for this session' : '';
    $('forget-token').hidden = !has;
  }

  // ---- confirmation dialog ---------------------------------------------

  function confirmAction(message, okLabel) {
    var dialog = $('confirm-dialog');
    $('confirm-message').textContent = message;
    $('confirm-ok').textContent = okLabel;
    return new Promise(function (resolve) {
      dialog.addEventListener('close', function onClose() {
        dialog.removeEventListener('close', onClose);
        resolve(dialog.returnValue === 'ok');
      });
      dialog.returnValue = '';
      dialog.showModal();
    });
  }

  // ---- headline numbers --------------------------------------------------

  var statsTimer = null;

  function loadStats() {
    return api('GET', '/v1/stats').then(function (s) {
      $('stat-pending').textContent = num(s.pending);
      $('stat-oldest').textContent = s.oldestPendingAgeSeconds === null ? 'none waiting' : 'oldest ' + duration(s.oldestPendingAgeSeconds);
      $('stat-in-flight').textContent = num(s.inFlight);
      $('stat-dead').textContent = num(s.dead);
      if (s.lastHour) {
        $('stat-delivered-hour').textContent = num(s.lastHour.delivered);
        $('stat-dead-hour').textContent = num(s.lastHour.dead);
        var since = new Date(s.lastHour.since).getTime();
        $('stat-hour-since').textContent = Date.now() - since < 3590000 ? 'since start, ' + ago(s.lastHour.since) : '';
      } else {
        $('stat-delivered-hour').textContent = '–';
        $('stat-dead-hour').textContent = '–';
      }
      var paused = s.pausedHosts || [];
      $('paused-hosts').hidden = paused.length === 0;
      $('paused-hosts').textContent = paused.length === 0 ? '' :
        'Refusing connections, backed off (no attempts until a probe gets an answer): ' +
        paused.map(function (p) { return p.host + ' since ' + ago(p.since); }).join(', ');
    });
  }

  function keepStatsFresh() {
    if (statsTimer) clearInterval(statsTimer);
    statsTimer = setInterval(function () { loadStats().catch(function () {}); }, 10000);
  }

  // ---- the dead-letter queue --------------------------------------------

  var FILTER_KEYS = ['host', 'since', 'until', 'lastError'];

  function currentFilter() {
    var params = new URLSearchParams(location.search);
    var filter = {};
    FILTER_KEYS.forEach(function (key) {
      var value = (params.get(key) || '').trim();
      if (value) filter[key] = value;
    });
    return filter;
  }

  function query(filter, extra) {
    var params = new URLSearchParams();
    Object.keys(filter).forEach(function (key) { params.set(key, filter[key]); });
    Object.keys(extra || {}).forEach(function (key) { if (extra[key] !== null && extra[key] !== undefined) params.set(key, extra[key]); });
    var text = params.toString();
    return text ? '?' + text : '';
  }

  function describeFilter(filter) {
    var parts = [];
    if (filter.host) parts.push('host ' + filter.host);
    if (filter.since) parts.push('died since ' + filter.since);
    if (filter.until) parts.push('until ' + filter.until);
    if (filter.lastError) parts.push('last error containing "' + filter.lastError + '"');
    return parts.length ? parts.join(', ') : 'no filter';
  }

  var nextCursor = null;
  var counted = null;

  function deadLetterRow(n) {
    var link = el('a', { href: '/ui/notifications/' + encodeURIComponent(n.id), className: 'mono notification-link', text: n.id });
    var replay = el('button', { type: 'button', className: 'small row-replay', text: 'Replay' });
    replay.addEventListener('click', function () {
      replay.disabled = true;
      api('POST', '/v1/notifications/' + encodeURIComponent(n.id) + '/replay', {}).then(function (v) {
        replay.replaceWith(el('span', { className: 'badge ' + v.status, text: v.status }));
        loadStats().catch(function () {});
      }, function (e) { replay.disabled = false; report(e); });
    });
    return el('tr', { 'data-id': n.id }, [
      el('td', { className: 'when', title: n.deadAt || '' }, [fmtTime(n.deadAt, true), el('br'), el('span', { className: 'sub', text: ago(n.deadAt) })]),
      el('td', null, [link]),
      el('td', { className: 'mono', text: n.host }),
      el('td', { className: 'url mono', title: n.url, text: pathOf(n.url) }),
      el('td', { className: 'num', text: n.attempts }),
      el('td', null, [el('span', { className: 'badge reason', text: n.deadReason || '' })]),
      el('td', { className: 'error', title: n.lastError || '', text: n.lastError || '' }),
      el('td', null, [replay]),
    ]);
  }

  function loadDeadLetters(more) {
    var filter = currentFilter();
    var rows = $('dlq-rows');
    if (!more) { clear(rows); nextCursor = null; }
    return api('GET', '/v1/dead-letters' + query(filter, { limit: 50, cursor: more ? nextCursor : null })).then(function (pageData) {
      pageData.items.forEach(function (n) { rows.appendChild(deadLetterRow(n)); });
      nextCursor = pageData.nextCursor;
      $('load-more').hidden = !nextCursor;
      $('dlq-empty').hidden = rows.children.length > 0;
    });
  }

  function countDeadLetters() {
    var filter = currentFilter();
    return api('GET', '/v1/dead-letters/count' + query(filter)).then(function (c) {
      counted = c;
      $('dlq-count').textContent = num(c.count) + ' dead letter' + (c.count === 1 ? '' : 's') + ' match (' + describeFilter(filter) + ')';
      var button = $('bulk-replay');
      button.disabled = c.count === 0;
      button.textContent = c.count === 0 ? 'Replay all matching…' : 'Replay all ' + num(c.count) + '…';
    });
  }

  function bulkReplay() {
    if (!counted || counted.count === 0) return;
    var filter = currentFilter();
    var c = counted;
    var total = c.count;
    var message = 'Replay ' + num(total) + ' dead letter' + (total === 1 ? '' : 's') + ' (' + describeFilter(filter) + ')? ' +
      'They go back to pending and are delivered again from the start of their schedule.';
    confirmAction(message, 'Replay ' + num(total)).then(function (ok) {
      if (!ok) return;
      // Exactly what was counted: the time bounds as resolved then, and nothing that died after the count.
      var request = {};
      if (filter.host) request.host = filter.host;
      if (filter.lastError) request.lastError = filter.lastError;
      if (c.since) request.since = c.since;
      request.until = c.until || new Date(new Date(c.asOf).getTime() + 1).toISOString();
      request.limit = PAGE;
      var done = 0;
      var button = $('bulk-replay');
      button.disabled = true;
      var progress = $('bulk-progress');
      function step() {
        progress.textContent = 'Replaying… ' + num(done) + ' / ' + num(total);
        return api('POST', '/v1/dead-letters/replay', request).then(function (r) {
          done += r.replayed;
          if (r.replayed > 0 && done < total) return step();
          progress.textContent = 'Replayed ' + num(done) + ' of ' + num(total) + '.';
        });
      }
      step().catch(function (e) { progress.textContent = 'Stopped after ' + num(done) + '.'; report(e); }).then(function () {
        return Promise.all([loadDeadLetters(false), countDeadLetters(), loadStats()]);
      }).catch(report);
    });
  }

  function startDeadLetters() {
    if (!started) {
      $('load-more').addEventListener('click', function () { loadDeadLetters(true).catch(report); });
      $('bulk-replay').addEventListener('click', bulkReplay);
    }
    return Promise.all([loadStats(), loadDeadLetters(false), countDeadLetters()]).then(keepStatsFresh);
  }

  // ---- one notification -------------------------------------------------

  var notificationId = body.getAttribute('data-notification-id');
  var pollTimer = null;

  function field(list, label, value, className) {
    list.appendChild(el('dt', { text: label }));
    list.appendChild(el('dd', { className: className || '', text: value === null || value === undefined || value === '' ? '–' : value }));
  }

  function renderNotification(n) {
    var status = $('status');
    status.textContent = n.status;
    status.className = 'badge ' + n.status;
    status.setAttribute('data-status', n.status);
    var list = $('fields');
    clear(list);
    field(list, 'URL', n.url, 'mono');
    field(list, 'Host', n.host, 'mono');
    field(list, 'Attempts', String(n.attempts) + (n.replays ? ' (replayed ' + n.replays + '×)' : ''));
    field(list, 'Created', fmtTime(n.createdAt) + ' (' + ago(n.createdAt) + ')');
    if (n.status === 'pending') field(list, 'Next attempt', n.nextAttemptAt ? fmtTime(n.nextAttemptAt) + ' (' + ago(n.nextAttemptAt) + ')' : '–');
    if (n.deliveredAt) field(list, 'Delivered', fmtTime(n.deliveredAt) + ' (' + ago(n.deliveredAt) + ')');
    if (n.deadAt) field(list, 'Dead', fmtTime(n.deadAt) + ' (' + ago(n.deadAt) + '), ' + (n.deadReason || ''));
    if (n.cancelledAt) field(list, 'Cancelled', fmtTime(n.cancelledAt));
    field(list, 'Last error', n.lastError, 'error');
    field(list, 'Idempotency key', n.idempotencyKey, 'mono');
    field(list, 'Schedule', n.schedule.length ? 'then ' + n.schedule.map(delay).join(', ') : 'one attempt only');
    if (n.metadata) field(list, 'Metadata', JSON.stringify(n.metadata), 'mono');

    var rows = $('timeline-rows');
    clear(rows);
    n.history.forEach(function (a) {
      rows.appendChild(el('tr', { className: 'outcome-' + a.outcome }, [
        el('td', { className: 'num', text: a.n }),
        el('td', { title: a.at, text: fmtTime(a.at) }),
        el('td', { className: 'num', text: a.durationMs + ' ms' }),
        el('td', { className: 'num', text: a.statusCode === null ? '–' : a.statusCode }),
        el('td', null, [el('span', { className: 'badge outcome ' + a.outcome, text: a.outcome })]),
        el('td', { className: 'error', text: a.error || '' }),
        el('td', null, [el('code', { className: 'excerpt', text: a.responseExcerpt || '' })]),
      ]));
    });
    $('timeline-empty').hidden = n.history.length > 0;

    var replay = $('replay');
    replay.hidden = !(n.status === 'dead' || n.status === 'delivered');
    replay.textContent = n.status === 'delivered' ? 'Deliver again…' : 'Replay';
    replay.setAttribute('data-force', n.status === 'delivered' ? 'true' : 'false');
    replay.disabled = false;
    $('cancel').hidden = n.status !== 'pending';
    $('cancel').disabled = false;
    // Worth offering only while the next attempt is still ahead (an attempt in flight is left alone by the API).
    $('retry-now').hidden = !(n.status === 'pending' && n.nextAttemptAt && new Date(n.nextAttemptAt).getTime() > Date.now() + 1000);
    $('retry-now').disabled = false;

    // While it is pending, follow it: the page shows the attempts as they happen.
    if (pollTimer) clearTimeout(pollTimer);
    pollTimer = n.status === 'pending' ? setTimeout(function () { loadNotification().catch(report); }, 1000) : null;
  }

  function loadNotification() {
    return api('GET', '/v1/notifications/' + encodeURIComponent(notificationId)).then(renderNotification);
  }

  function act(button, path, payload, doing) {
    button.disabled = true;
    $('action-result').textContent = doing;
    return api('POST', path, payload).then(function () {
      $('action-result').textContent = '';
      return loadNotification();
    }, function (e) {
      button.disabled = false;
      $('action-result').textContent = '';
      report(e);
    });
  }

  function startNotification() {
    if (!started) {
      var base = '/v1/notifications/' + encodeURIComponent(notificationId);
      $('replay').addEventListener('click', function () {
        var force = $('replay').getAttribute('data-force') === 'true';
        var go = force
          ? confirmAction('This notification was delivered. Deliver it again (the receiver sees the same webhook-id)?', 'Deliver again')
          : Promise.resolve(true);
        go.then(function (ok) { if (ok) act($('replay'), base + '/replay', force ? { force: true } : {}, 'Replaying…'); });
      });
      $('retry-now').addEventListener('click', function () {
        act($('retry-now'), base + '/retry-now', {}, 'Retrying…');
      });
      $('cancel').addEventListener('click', function () {
        confirmAction('Cancel this notification? No further attempts will be made.', 'Cancel it').then(function (ok) {
          if (ok) act($('cancel'), base + '/cancel', {}, 'Cancelling…');
        });
      });
    }
    return loadNotification();
  }

  function start() {
    var run = page === 'dead-letters' ? startDeadLetters : startNotification;
    return run().then(function () { started = true; }, function (e) { report(e); started = true; });
  }

  setupAuth();
  start();
})();
`;

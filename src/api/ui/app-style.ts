/** The dashboard's stylesheet (served as /ui/app.css). */
export const APP_STYLE = `:root {
  --bg: #f5f6f8; --panel: #fff; --text: #1d2330; --muted: #667085; --line: #e4e7ec;
  --accent: #2f5bea; --good: #127a3f; --good-bg: #e3f5ea; --bad: #b42318; --bad-bg: #fdecea;
  --warn-bg: #fff4e0; --pending: #1d4ed8; --pending-bg: #e5edff;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  font-size: 14px; color: var(--text); background: var(--bg);
}
* { box-sizing: border-box; }
[hidden] { display: none !important; }
body { margin: 0; }
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; }
.top { display: flex; align-items: center; gap: 20px; padding: 10px 24px; background: #111827; color: #e5e7eb; }
.top a { color: #e5e7eb; }
.brand { font-weight: 700; font-size: 16px; }
.brand span { font-weight: 400; color: #9ca3af; }
.auth-status { margin-left: auto; color: #9ca3af; font-size: 12px; }
main, .token-panel, .banner { max-width: 1360px; margin: 16px auto; padding: 0 24px; }
.panel { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 16px 20px; margin-bottom: 16px; }
.token-panel { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 16px 20px; }
h1 { font-size: 18px; margin: 0 0 12px; display: flex; align-items: center; gap: 10px; flex-wrap: wrap; }
h2 { font-size: 15px; margin: 0 0 10px; }
.hint, .sub, .crumbs { color: var(--muted); font-size: 12px; }
.banner { padding: 10px 14px; border-radius: 6px; background: var(--bad-bg); color: var(--bad); border: 1px solid #f5c2bd; }
.banner.info { background: var(--pending-bg); color: var(--pending); border-color: #c7d7fe; }
.stats { display: grid; grid-template-columns: repeat(5, minmax(0, 1fr)); gap: 12px; margin-bottom: 16px; }
.stat { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 12px 16px; display: flex; flex-direction: column; gap: 2px; }
.stat .label { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
.stat .value { font-size: 26px; font-weight: 650; font-variant-numeric: tabular-nums; }
.stat.good .value { color: var(--good); }
.stat.bad .value { color: var(--bad); }
.filters { display: flex; flex-wrap: wrap; align-items: flex-end; gap: 10px; margin-bottom: 12px; }
.filters label { display: flex; flex-direction: column; gap: 4px; font-size: 12px; color: var(--muted); }
input { font: inherit; padding: 6px 8px; border: 1px solid #cfd4dc; border-radius: 6px; min-width: 170px; background: #fff; color: var(--text); }
button, .button { font: inherit; padding: 6px 12px; border-radius: 6px; border: 1px solid var(--accent); background: var(--accent); color: #fff; cursor: pointer; display: inline-block; }
.notice { margin: 0 0 16px; padding: 8px 12px; border-radius: 6px; background: #fff4e5; border: 1px solid #f0c36d; }
button.secondary, .button.secondary { background: #fff; color: var(--text); border-color: #cfd4dc; }
button.danger { background: var(--bad); border-color: var(--bad); }
button.link { background: none; border: none; color: #9ca3af; padding: 0; text-decoration: underline; }
button.small { padding: 2px 8px; font-size: 12px; }
button:disabled { opacity: .45; cursor: default; }
.toolbar, .actions { display: flex; align-items: center; gap: 12px; margin: 8px 0 12px; }
.count { font-weight: 600; }
.progress { color: var(--muted); }
table.grid { width: 100%; border-collapse: collapse; }
.grid th { text-align: left; font-size: 12px; color: var(--muted); font-weight: 600; border-bottom: 1px solid var(--line); padding: 6px 8px; }
.grid td { border-bottom: 1px solid var(--line); padding: 7px 8px; vertical-align: top; }
.grid tbody tr:hover { background: #fafbfc; }
.num { text-align: right; font-variant-numeric: tabular-nums; }
.table-wrap { overflow-x: auto; }
td.url { max-width: 240px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
td.error { min-width: 180px; max-width: 360px; color: var(--bad); word-break: break-word; }
td .notification-link { font-size: 12px; }
td.when { white-space: nowrap; }
code.excerpt { white-space: pre-wrap; word-break: break-all; color: #344054; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 999px; font-size: 12px; font-weight: 600; background: #eef0f3; color: #344054; }
.badge.pending { background: var(--pending-bg); color: var(--pending); }
.badge.delivered, .badge.success { background: var(--good-bg); color: var(--good); }
.badge.dead, .badge.http_error, .badge.timeout, .badge.network, .badge.blocked { background: var(--bad-bg); color: var(--bad); }
.badge.rejected { background: var(--warn-bg); color: #9a5b00; }
.badge.cancelled { background: #eef0f3; color: var(--muted); }
.empty { color: var(--muted); padding: 12px 0; }
dl.fields { display: grid; grid-template-columns: 160px 1fr; gap: 6px 16px; margin: 0; }
dl.fields dt { color: var(--muted); }
dl.fields dd { margin: 0; word-break: break-all; }
dialog { border: 1px solid var(--line); border-radius: 10px; padding: 18px 20px; max-width: 520px; box-shadow: 0 12px 40px rgba(0,0,0,.2); }
dialog::backdrop { background: rgba(17, 24, 39, .45); }
dialog menu { display: flex; justify-content: flex-end; gap: 8px; padding: 0; margin: 16px 0 0; }
@media (max-width: 900px) { .stats { grid-template-columns: repeat(2, minmax(0, 1fr)); } }
`;

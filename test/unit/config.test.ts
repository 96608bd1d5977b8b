import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { thrownNotifydError } from '../helpers/errors.js';
import {
  buildConfig,
  configFromEnv,
  defaultConfig,
  isLoopbackHost,
  loadConfig,
  parseConfig,
  readConfigFile,
  type Config,
} from '../../src/config.js';
import { NotifydError } from '../../src/domain/errors.js';

// One temp dir for the files these tests write; removed only when every test passed (keeps the evidence).
const dir = mkdtempSync(join(tmpdir(), 'notifyd-config-test-'));
let failed = false;
beforeEach(({ onTestFailed }) => {
  onTestFailed(() => {
    failed = true;
  });
});
afterAll(() => {
  if (!failed) rmSync(dir, { recursive: true, force: true });
});
let fileCount = 0;
function configFile(content: unknown): string {
  const path = join(dir, `config-${++fileCount}.json`);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  return path;
}

function configError(fn: () => unknown): NotifydError {
  const error = thrownNotifydError(fn);
  expect(error.code).toBe('config_invalid');
  return error;
}

const SHA = 'a'.repeat(64);

// DESIGN.md, Configuration: "The keys that scripts and ops runbooks rely on".
const DESIGN_DEFAULTS = {
  listen: { host: '127.0.0.1', port: 8080 },
  ledger: { path: './notifyd.db', synchronous: 'full' },
  redis: { url: null },
  delivery: {
    concurrency: 64,
    perHostConcurrency: 16,
    timeoutMs: 10000,
    maxResponseBytes: 65536,
    followRedirects: false,
    schedule: 'alipay',
    success: { status: '2xx', body: 'success' },
  },
  security: { tokens: [], allowPrivateNetworks: false, allowHosts: [] },
  signing: { secret: null },
  alerts: { deadLetterWebhook: null },
  limits: { maxBodyBytes: 1048576 },
};

describe('defaults', () => {
  it('are the ones DESIGN.md documents', () => {
    expect(loadConfig()).toMatchObject(DESIGN_DEFAULTS);
    expect(defaultConfig()).toMatchObject(DESIGN_DEFAULTS);
    expect(buildConfig()).toMatchObject(DESIGN_DEFAULTS);
  });

  it('the same whichever entry point builds them', () => {
    expect(loadConfig({ env: {}, flags: {} })).toEqual(defaultConfig());
    expect(buildConfig({})).toEqual(defaultConfig());
  });

  it('config.example.json lists every key with its default value', () => {
    const example = readConfigFile(join(import.meta.dirname, '../../config.example.json'));
    expect(parseConfig(example)).toEqual(defaultConfig());
    // "documents every key": each default key appears in the example, section by section.
    const defaults = defaultConfig() as unknown as Record<string, Record<string, unknown>>;
    for (const [section, keys] of Object.entries(defaults)) {
      expect(Object.keys(example[section] as object).sort(), section).toEqual(Object.keys(keys).sort());
    }
  });
});

describe('precedence: defaults → file → env → flags', () => {
  const file = configFile({
    listen: { host: '0.0.0.0', port: 9001 },
    ledger: { path: '/from/file.db', synchronous: 'normal' },
    delivery: { concurrency: 8, success: { status: [200], body: 'ok' } },
    security: { tokens: [{ name: 'shop', sha256: SHA, scopes: ['enqueue'] }] },
  });

  it('the file overrides defaults, key by key', () => {
    const config = loadConfig({ file });
    expect(config.listen).toEqual({ host: '0.0.0.0', port: 9001 });
    expect(config.ledger.path).toBe('/from/file.db');
    expect(config.ledger.synchronous).toBe('normal');
    expect(config.delivery.concurrency).toBe(8);
    expect(config.delivery.success).toEqual({ status: [200], body: 'ok' });
    // Keys the file leaves out keep their defaults, even in a section it sets.
    expect(config.delivery.perHostConcurrency).toBe(16);
    expect(config.delivery.schedule).toBe('alipay');
    expect(config.ledger.busyTimeoutMs).toBe(defaultConfig().ledger.busyTimeoutMs);
    expect(config.redis.url).toBeNull();
  });

  it('env overrides the file, key by key', () => {
    const config = loadConfig({
      file,
      env: { NOTIFYD_LISTEN_PORT: '9002', NOTIFYD_LEDGER_PATH: '/from/env.db', NOTIFYD_DELIVERY_TIMEOUT_MS: '2500' },
    });
    expect(config.listen).toEqual({ host: '0.0.0.0', port: 9002 });
    expect(config.ledger).toMatchObject({ path: '/from/env.db', synchronous: 'normal' });
    expect(config.delivery).toMatchObject({ concurrency: 8, timeoutMs: 2500, success: { status: [200], body: 'ok' } });
  });

  it('flags override env and the file', () => {
    const config = loadConfig({
      file,
      env: { NOTIFYD_LISTEN_PORT: '9002', NOTIFYD_LEDGER_PATH: '/from/env.db', NOTIFYD_REDIS_URL: 'redis://env:6379' },
      flags: { port: 9003, db: '/from/flags.db', redis: 'redis://flags:6379', host: '::1', insecure: true },
    });
    expect(config.listen).toEqual({ host: '::1', port: 9003 });
    expect(config.ledger.path).toBe('/from/flags.db');
    expect(config.redis.url).toBe('redis://flags:6379');
    expect(config.security.insecure).toBe(true);
    expect(config.security.tokens).toHaveLength(1);
  });

  it('flags alone override defaults', () => {
    expect(loadConfig({ flags: { host: 'localhost' } }).listen).toEqual({ host: 'localhost', port: 8080 });
  });
});

describe('NOTIFYD_* environment', () => {
  it('maps NOTIFYD_<SECTION>_<KEY> to section.camelCaseKey', () => {
    expect(
      configFromEnv({
        NOTIFYD_LISTEN_PORT: '9000',
        NOTIFYD_DELIVERY_PER_HOST_CONCURRENCY: '4',
        NOTIFYD_DELIVERY_MAX_RESPONSE_BYTES: '1024',
        NOTIFYD_LEDGER_GROUP_COMMIT_MAX_WAIT_MS: '5',
        NOTIFYD_ALERTS_DEAD_LETTER_WEBHOOK: 'https://ops.example.com/hook',
        NOTIFYD_LOG_LEVEL: 'debug',
      }),
    ).toEqual({
      listen: { port: 9000 },
      delivery: { perHostConcurrency: 4, maxResponseBytes: 1024 },
      ledger: { groupCommitMaxWaitMs: 5 },
      alerts: { deadLetterWebhook: 'https://ops.example.com/hook' },
      log: { level: 'debug' },
    });
  });

  it('ledger.writerThread is on by default; NOTIFYD_LEDGER_WRITER_THREAD=false turns it off', () => {
    expect(defaultConfig().ledger.writerThread).toBe(true);
    expect(loadConfig({ env: { NOTIFYD_LEDGER_WRITER_THREAD: 'false' } }).ledger.writerThread).toBe(false);
  });

  it('NOTIFYD_DELIVERY_PER_HOST_CONCURRENCY=4 sets delivery.perHostConcurrency', () => {
    expect(loadConfig({ env: { NOTIFYD_DELIVERY_PER_HOST_CONCURRENCY: '4' } }).delivery.perHostConcurrency).toBe(4);
  });

  it('parses JSON values: numbers, booleans, null, arrays, objects; anything else is a string', () => {
    const config = loadConfig({
      env: {
        NOTIFYD_LISTEN_HOST: '0.0.0.0',
        NOTIFYD_DELIVERY_FOLLOW_REDIRECTS: 'true',
        NOTIFYD_DELIVERY_JITTER: '0.2',
        NOTIFYD_DELIVERY_SCHEDULE: '["15s","4m"]',
        NOTIFYD_DELIVERY_SUCCESS: '{"status":"2xx","body":null}',
        NOTIFYD_REDIS_URL: 'redis://127.0.0.1:6379',
        NOTIFYD_SIGNING_SECRET: 'null',
        NOTIFYD_SECURITY_ALLOW_PRIVATE_NETWORKS: 'true',
        NOTIFYD_SECURITY_ALLOW_HOSTS: '["10.0.0.0/8","*.internal"]',
        NOTIFYD_SECURITY_TOKENS: JSON.stringify([{ name: 'ops', sha256: SHA, scopes: ['ops', 'read'] }]),
        NOTIFYD_SECURITY_RATE_LIMIT: '{"max":10}',
      },
    });
    expect(config.listen.host).toBe('0.0.0.0');
    expect(config.delivery.followRedirects).toBe(true);
    expect(config.delivery.jitter).toBe(0.2);
    expect(config.delivery.schedule).toEqual(['15s', '4m']);
    expect(config.delivery.success).toEqual({ status: '2xx', body: null });
    expect(config.redis.url).toBe('redis://127.0.0.1:6379');
    expect(config.signing.secret).toBeNull();
    expect(config.security.allowPrivateNetworks).toBe(true);
    expect(config.security.allowHosts).toEqual(['10.0.0.0/8', '*.internal']);
    expect(config.security.tokens).toEqual([{ name: 'ops', sha256: SHA, scopes: ['ops', 'read'] }]);
    expect(config.security.rateLimit).toEqual({ max: 10, windowMs: 1000 });
  });

  it('takes the text when its JSON is the wrong kind for the key but the text is right: a host "0", a path of digits', () => {
    const config = loadConfig({ env: { NOTIFYD_LISTEN_HOST: '0', NOTIFYD_LEDGER_PATH: '2026', NOTIFYD_LOG_LEVEL: 'warn' } });
    expect(config.listen.host).toBe('0');
    expect(config.ledger.path).toBe('2026');
    // Still JSON where the key takes it, and still an error naming the key when neither form fits.
    expect(loadConfig({ env: { NOTIFYD_LISTEN_PORT: '9000' } }).listen.port).toBe(9000);
    const error = configError(() => loadConfig({ env: { NOTIFYD_LISTEN_PORT: 'ninety' } }));
    expect(error.message).toContain('listen.port');
  });

  it('ignores variables that are not config: the CLI client’s, test switches, other programs’', () => {
    const env = {
      NOTIFYD_SERVER: 'http://127.0.0.1:8080',
      NOTIFYD_TOKEN: 'secret',
      NOTIFYD_TEST_LOG: 'debug',
      NOTIFYD_LISTEN: 'x', // a section with no key
      PATH: '/usr/bin',
      LISTEN_PORT: '1',
      notifyd_listen_port: '1',
      NOTIFYD_LISTEN_PORT: undefined,
    };
    expect(configFromEnv(env)).toEqual({});
    expect(loadConfig({ env })).toEqual(defaultConfig());
  });

  it('an unknown key in a known section is an error naming it', () => {
    const error = configError(() => loadConfig({ env: { NOTIFYD_LISTEN_PORTT: '1' } }));
    expect(error.message).toContain('listen');
    expect(error.message).toContain('portt');
  });

  it('a bad value is an error naming the key', () => {
    const error = configError(() => loadConfig({ env: { NOTIFYD_LISTEN_PORT: 'eighty' } }));
    expect(error.message).toContain('listen.port');
    expect(error.field).toBe('listen.port');
    expect(configError(() => loadConfig({ env: { NOTIFYD_REDIS_URL: 'not a url' } })).field).toBe('redis.url');
  });
});

describe('validation errors name the key', () => {
  it('unknown section', () => {
    const error = configError(() => loadConfig({ file: configFile({ listn: { port: 1 } }) }));
    expect(error.message).toContain('listn');
  });

  it('unknown key in a section', () => {
    const error = configError(() => buildConfig({ listen: { hots: '0.0.0.0' } }));
    expect(error.message).toContain('listen');
    expect(error.message).toContain('hots');
    expect(error.field).toBe('listen');
  });

  it('unknown key inside a nested object', () => {
    const error = configError(() => buildConfig({ delivery: { success: { status: '2xx', bodyy: 'x' } } }));
    expect(error.message).toContain('delivery.success');
    expect(error.message).toContain('bodyy');
  });

  it.each([
    ['listen.port', { listen: { port: '8080' } }],
    ['listen.port', { listen: { port: 70000 } }],
    ['listen.port', { listen: { port: 80.5 } }],
    ['ledger.path', { ledger: { path: '' } }],
    ['ledger.writerThread', { ledger: { writerThread: 'yes' } }],
    ['delivery.concurrency', { delivery: { concurrency: 0 } }],
    ['delivery.followRedirects', { delivery: { followRedirects: 'yes' } }],
    ['delivery.timeoutMs', { delivery: { timeoutMs: -1 } }],
    ['delivery.jitter', { delivery: { jitter: 1.5 } }],
    ['delivery.success.status', { delivery: { success: { status: '3xx' } } }],
    ['delivery.success.status', { delivery: { success: { status: [] } } }],
    ['delivery.success.body', { delivery: { success: { body: 1 } } }],
    ['redis.url', { redis: { url: 6379 } }],
    ['security.allowHosts', { security: { allowHosts: 'localhost' } }],
    ['signing.secret', { signing: { secret: 'plain-secret' } }],
    ['limits.maxBodyBytes', { limits: { maxBodyBytes: 'big' } }],
    ['listen', { listen: 8080 }],
  ])('wrong type or range: %s', (key, input) => {
    const error = configError(() => buildConfig(input));
    expect(error.field).toBe(key);
    expect(error.message).toContain(key);
  });

  it.each([
    ['ledger.synchronous', { ledger: { synchronous: 'fast' } }],
    ['ledger.synchronous', { ledger: { synchronous: 'FULL' } }],
    ['log.level', { log: { level: 'verbose' } }],
    ['security.tokens.0.scopes.1', { security: { tokens: [{ name: 'x', sha256: SHA, scopes: ['read', 'admin'] }] } }],
  ])('bad enum: %s', (key, input) => {
    const error = configError(() => buildConfig(input));
    expect(error.field).toBe(key);
    expect(error.message).toContain(key);
  });

  it.each([
    ['too short', 'abc'],
    ['upper-case', 'A'.repeat(64)],
    ['not hex', 'g'.repeat(64)],
    ['too long', 'a'.repeat(65)],
  ])('bad token sha256 (%s)', (_, sha256) => {
    const error = configError(() => buildConfig({ security: { tokens: [{ name: 'shop', sha256, scopes: ['read'] }] } }));
    expect(error.field).toBe('security.tokens.0.sha256');
    expect(error.message).toContain('security.tokens.0.sha256');
  });

  it('a token needs a name and at least one scope, and no other keys', () => {
    expect(configError(() => buildConfig({ security: { tokens: [{ name: '', sha256: SHA, scopes: ['read'] }] } })).field).toBe(
      'security.tokens.0.name',
    );
    expect(configError(() => buildConfig({ security: { tokens: [{ name: 'x', sha256: SHA, scopes: [] }] } })).field).toBe(
      'security.tokens.0.scopes',
    );
    expect(configError(() => buildConfig({ security: { tokens: [{ name: 'x', sha256: SHA, scopes: ['read'], token: 'plain' }] } })).message).toContain(
      'token',
    );
  });

  it('names every bad key, not only the first', () => {
    const error = configError(() => buildConfig({ listen: { port: 'x' }, ledger: { synchronous: 'fast' } }));
    expect(error.message).toContain('listen.port');
    expect(error.message).toContain('ledger.synchronous');
  });

  it('delivery.hostBackoff: a pause that shrinks is an error naming maxMs; afterFailures 0 turns it off', () => {
    const error = configError(() => buildConfig({ delivery: { hostBackoff: { initialMs: 5_000, maxMs: 1_000 } } }));
    expect(error.message).toContain('delivery.hostBackoff.maxMs');
    expect(buildConfig({ delivery: { hostBackoff: { afterFailures: 0 } } }).delivery.hostBackoff).toEqual({ afterFailures: 0, initialMs: 1_000, maxMs: 30_000 });
  });

  it('bad custom schedule: names delivery.schedule and the bad delay', () => {
    const error = configError(() => buildConfig({ delivery: { schedule: ['15s', '5x'] } }));
    expect(error.field).toBe('delivery.schedule');
    expect(error.message).toContain('delivery.schedule.1');
    expect(error.message).toContain('5x');

    const tooLong = configError(() => buildConfig({ delivery: { schedule: ['4000h'] } }));
    expect(tooLong.field).toBe('delivery.schedule');
    expect(tooLong.message).toContain('delivery.schedule.0');
  });

  it('unknown schedule preset or not a string: names delivery.schedule', () => {
    for (const schedule of ['fedex', [15]]) {
      const error = configError(() => buildConfig({ delivery: { schedule } }));
      expect(error.message).toContain('delivery.schedule');
      expect(error.field).toMatch(/^delivery\.schedule/);
    }
  });

  it('accepts each preset, a valid custom schedule, and an empty one (a single attempt, as the API allows)', () => {
    for (const schedule of ['alipay', 'wechatpay', 'exponential', ['15s', '4m', '2h'], []]) {
      expect(buildConfig({ delivery: { schedule } }).delivery.schedule).toEqual(schedule);
    }
  });
});

describe('the config file', () => {
  it('unreadable (missing) → config_invalid naming the path', () => {
    const missing = join(dir, 'does-not-exist.json');
    const error = configError(() => loadConfig({ file: missing }));
    expect(error.message).toContain(missing);
    expect(error.cause).toBeDefined();
  });

  it('unreadable (a directory) → config_invalid naming the path', () => {
    expect(configError(() => loadConfig({ file: dir })).message).toContain(dir);
  });

  it('invalid JSON → config_invalid naming the path', () => {
    const path = configFile('{"listen": {"port": 8080,}}');
    const error = configError(() => loadConfig({ file: path }));
    expect(error.message).toContain(path);
    expect(error.message).toMatch(/JSON/);
  });

  it('JSON that is not an object → config_invalid', () => {
    for (const content of ['[]', '"x"', 'null', '42']) {
      const path = configFile(content);
      expect(configError(() => loadConfig({ file: path })).message).toContain(path);
    }
  });

  it('keys starting with $ or // are comments, at any depth, inside arrays too', () => {
    const path = configFile({
      $schema: './config.schema.json',
      '//': 'top comment',
      '// listen': 'another comment',
      listen: { '//': 'where to listen', $note: 'x', port: 9100 },
      delivery: { success: { '//': 'WeChat Pay v3', status: '2xx', body: null } },
      security: { tokens: [{ '//': 'the shop', name: 'shop', sha256: SHA, scopes: ['enqueue'] }] },
    });
    const config = loadConfig({ file: path });
    expect(config.listen.port).toBe(9100);
    expect(config.delivery.success).toEqual({ status: '2xx', body: null });
    expect(config.security.tokens).toEqual([{ name: 'shop', sha256: SHA, scopes: ['enqueue'] }]);
  });

  it('a key merely containing // or $ is not a comment', () => {
    expect(configError(() => loadConfig({ file: configFile({ listen: { 'port//': 1 } }) })).message).toContain('port//');
  });

  it('a "__proto__" key is an unknown key, not a way to set values', () => {
    expect(() => loadConfig({ file: configFile('{"__proto__": {"listen": {"port": 1}}}') })).toThrow(NotifydError);
    expect(() => loadConfig({ file: configFile('{"listen": {"__proto__": {"port": 1}}}') })).toThrow(NotifydError);
  });
});

describe('the result', () => {
  function expectDeepFrozen(config: Config) {
    expect(Object.isFrozen(config)).toBe(true);
    for (const section of Object.values(config)) expect(Object.isFrozen(section)).toBe(true);
    expect(Object.isFrozen(config.delivery.success)).toBe(true);
    expect(Object.isFrozen(config.security.tokens)).toBe(true);
    expect(Object.isFrozen(config.security.rateLimit)).toBe(true);
  }

  it('is frozen, all the way down', () => {
    const config = loadConfig({
      env: { NOTIFYD_SECURITY_TOKENS: JSON.stringify([{ name: 'x', sha256: SHA, scopes: ['read'] }]) },
    });
    expectDeepFrozen(config);
    expect(Object.isFrozen(config.security.tokens[0])).toBe(true);
    expect(() => {
      (config.listen as { port: number }).port = 1;
    }).toThrow(TypeError);
    expect(() => {
      (config.security.tokens as unknown[]).push({});
    }).toThrow(TypeError);
    expect(config.listen.port).toBe(8080);
  });

  it('defaultConfig() and buildConfig() are frozen too', () => {
    expectDeepFrozen(defaultConfig());
    expectDeepFrozen(buildConfig({ listen: { port: 1 } }));
  });

  it('freezing one config does not touch the next one (or the file content)', () => {
    loadConfig();
    const input = { security: { allowHosts: ['a'] } };
    const config = buildConfig(input);
    expect(config.security.allowHosts).toEqual(['a']);
    expect(Object.isFrozen(input.security.allowHosts)).toBe(false);
    expect(loadConfig().security.allowHosts).toEqual([]);
  });

  it('writes nothing: loading leaves the file as it was', () => {
    const path = configFile({ listen: { port: 9200 } });
    const before = readFileSync(path, 'utf8');
    loadConfig({ file: path });
    expect(readFileSync(path, 'utf8')).toBe(before);
  });
});

describe('isLoopbackHost', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.1.2.3', true],
    ['::1', true],
    ['localhost', true],
    ['0.0.0.0', false],
    ['::', false],
    ['192.168.1.10', false],
    ['example.com', false],
  ])('%s → %s', (host, loopback) => {
    expect(isLoopbackHost(host)).toBe(loopback);
  });
});

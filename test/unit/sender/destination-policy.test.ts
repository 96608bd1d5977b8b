import type { LookupAddress } from 'node:dns';
import { describe, expect, it } from 'vitest';
import { NotifydError } from '../../../src/domain/errors.js';
import { DestinationPolicy } from '../../../src/sender/destination-policy.js';

// Static checks only: nothing here opens a connection, and public addresses are never contacted.
const strict = new DestinationPolicy({ allowPrivateNetworks: false, allowHosts: [] });

function checkUrlCode(policy: DestinationPolicy, url: string): 'ok' | string {
  try {
    policy.checkUrl(url);
    return 'ok';
  } catch (error) {
    expect(error).toBeInstanceOf(NotifydError);
    expect((error as NotifydError).field).toBe('url');
    return (error as NotifydError).code;
  }
}

describe('DestinationPolicy.checkUrl (default policy)', () => {
  const blocked = 'destination_blocked';
  const invalid = 'validation_failed';
  const table: Array<[string, string]> = [
    // Schemes
    ['ftp://example.com/notify', invalid],
    ['file:///etc/passwd', invalid],
    ['gopher://127.0.0.1:6379/_INFO', invalid],
    ['javascript:alert(1)', invalid],
    ['not a url', invalid],
    // Loopback, every spelling WHATWG URL normalises to 127.0.0.1
    ['http://127.0.0.1/', blocked],
    ['http://127.0.0.1.:8080/', blocked],
    ['http://127.255.255.254/', blocked],
    ['http://2130706433/', blocked],
    ['http://0x7f.1/', blocked],
    ['http://0x7f000001/', blocked],
    ['http://0177.0.0.1/', blocked],
    ['http://127.1/', blocked],
    ['http://[::1]/', blocked],
    ['http://[0:0:0:0:0:0:0:1]/', blocked],
    // IPv4-mapped, -translated and -compatible IPv6 forms
    ['http://[::ffff:127.0.0.1]/', blocked],
    ['http://[::ffff:7f00:1]/', blocked],
    ['http://[::ffff:10.0.0.1]/', blocked],
    ['http://[::ffff:a9fe:a9fe]/', blocked],
    ['http://[::ffff:0:7f00:1]/', blocked],
    ['http://[::127.0.0.1]/', blocked],
    // NAT64 and 6to4 of private addresses
    ['http://[64:ff9b::7f00:1]/', blocked],
    ['http://[64:ff9b::a00:1]/', blocked],
    ['http://[64:ff9b:1::a00:1]/', blocked],
    ['http://[2002:7f00:1::]/', blocked],
    // RFC 1918, CGNAT, link-local (cloud metadata), ULA
    ['http://10.0.0.1/', blocked],
    ['http://10.255.255.255/', blocked],
    ['http://172.16.0.1/', blocked],
    ['http://172.31.255.1/', blocked],
    ['http://192.168.1.1/', blocked],
    ['http://100.64.0.1/', blocked],
    ['http://100.127.255.254/', blocked],
    ['http://169.254.169.254/latest/meta-data/', blocked],
    ['http://[fe80::1]/', blocked],
    ['http://[fd00:ec2::254]/', blocked],
    ['http://[fc00::1]/', blocked],
    // Multicast, unspecified, broadcast, reserved, documentation
    ['http://224.0.0.1/', blocked],
    ['http://[ff02::1]/', blocked],
    ['http://0.0.0.0/', blocked],
    ['http://0/', blocked],
    ['http://[::]/', blocked],
    ['http://255.255.255.255/', blocked],
    ['http://240.0.0.1/', blocked],
    ['http://192.0.2.10/', blocked],
    ['http://198.18.0.1/', blocked],
    ['http://[2001:db8::1]/', blocked],
    ['https://[fec0::1]/', blocked],
    // Public literals and names (names are checked at connect time, not here)
    ['http://93.184.216.34/', 'ok'],
    ['https://8.8.8.8/notify', 'ok'],
    ['http://172.32.0.1/', 'ok'],
    ['http://100.128.0.1/', 'ok'],
    ['http://[2606:2800:220:1:248:1893:25c8:1946]/', 'ok'],
    ['http://[::ffff:93.184.216.34]/', 'ok'],
    ['http://[64:ff9b::5db8:d822]/', 'ok'],
    ['https://merchant.example.com/alipay/notify', 'ok'],
    ['http://localhost:8080/', 'ok'],
  ];

  it.each(table)('%s → %s', (url, expected) => {
    expect(checkUrlCode(strict, url)).toBe(expected);
  });

  it('names the rule to change in the message', () => {
    expect(() => strict.checkUrl('http://10.1.2.3/')).toThrow(/allowHosts|allowPrivateNetworks/);
  });

  it('gives an already parsed URL the same verdicts as its text', () => {
    for (const [url, expected] of table.filter(([text]) => URL.canParse(text))) {
      const parsed = new URL(url);
      let code = 'ok';
      try {
        strict.checkUrl(parsed);
      } catch (error) {
        code = (error as NotifydError).code;
      }
      expect(code, url).toBe(expected);
    }
  });

  it('keeps each literal IP verdict it remembers: asked again, and past its memory bound, it answers the same', () => {
    const policy = new DestinationPolicy({ allowPrivateNetworks: false, allowHosts: ['10.9.0.0/16'] });
    const verdict = (host: string) => policy.literalBlocked(host) === null;
    expect([verdict('10.9.1.1'), verdict('10.8.1.1'), verdict('93.184.216.34')]).toEqual([true, false, true]);
    // More distinct literals than it keeps (1,024): the memory is dropped and refilled, never wrong.
    for (let i = 0; i < 3_000; i++) expect(verdict(`10.${8 + (i % 2)}.${(i >> 8) & 255}.${i & 255}`)).toBe(i % 2 === 1);
    expect([verdict('10.9.1.1'), verdict('10.8.1.1'), verdict('93.184.216.34')]).toEqual([true, false, true]);
  });
});

describe('DestinationPolicy.isAddressAllowed', () => {
  const table: Array<[string, boolean]> = [
    ['127.0.0.1', false],
    ['10.1.2.3', false],
    ['192.168.0.10', false],
    ['169.254.169.254', false],
    ['100.64.0.1', false],
    ['::1', false],
    ['fe80::1%eth0', false],
    ['fd00:ec2::254', false],
    ['::ffff:127.0.0.1', false],
    ['::ffff:7f00:1', false],
    ['64:ff9b::c0a8:101', false],
    ['not-an-ip', false],
    ['93.184.216.34', true],
    ['1.1.1.1', true],
    ['2606:4700:4700::1111', true],
    ['::ffff:1.1.1.1', true],
  ];
  it.each(table)('%s → %s', (address, allowed) => {
    expect(strict.isAddressAllowed(address, 'receiver.example')).toBe(allowed);
  });
});

describe('allowPrivateNetworks', () => {
  const open = new DestinationPolicy({ allowPrivateNetworks: true, allowHosts: [] });
  it.each(['http://127.0.0.1/', 'http://10.0.0.1/', 'http://169.254.169.254/', 'http://[::1]/', 'http://[fd00::1]/'])('allows %s', (url) => {
    expect(checkUrlCode(open, url)).toBe('ok');
  });
  it('still refuses other schemes', () => {
    expect(checkUrlCode(open, 'file:///etc/passwd')).toBe('validation_failed');
  });
});

describe('allowHosts exceptions', () => {
  const policy = new DestinationPolicy({
    allowPrivateNetworks: false,
    allowHosts: ['10.0.0.0/8', '127.0.0.1/32', '::1/128', 'hooks.internal', '*.corp.example', '192.168.7.7', '::ffff:172.16.0.0/108'],
  });

  it.each([
    ['http://10.20.30.40/', 'ok'],
    ['http://127.0.0.1:9000/', 'ok'],
    ['http://[::ffff:127.0.0.1]/', 'ok'],
    ['http://[::1]/', 'ok'],
    ['http://192.168.7.7/', 'ok'],
    ['http://172.16.5.5/', 'ok'],
    ['http://127.0.0.2/', 'destination_blocked'],
    ['http://192.168.7.8/', 'destination_blocked'],
    ['http://169.254.169.254/', 'destination_blocked'],
    ['http://[::2]/', 'destination_blocked'],
  ])('%s → %s', (url, expected) => {
    expect(checkUrlCode(policy, url)).toBe(expected);
  });

  it('lets named hosts reach private addresses, exactly or by suffix', () => {
    expect(policy.isAddressAllowed('192.168.50.2', 'hooks.internal')).toBe(true);
    expect(policy.isAddressAllowed('192.168.50.1', 'HOOKS.INTERNAL.')).toBe(true);
    expect(policy.isAddressAllowed('192.168.50.1', 'a.b.corp.example')).toBe(true);
    expect(policy.isAddressAllowed('192.168.50.1', 'corp.example')).toBe(false);
    expect(policy.isAddressAllowed('192.168.50.1', 'evilcorp.example')).toBe(false);
    expect(policy.isAddressAllowed('192.168.50.1', 'hooks.internal.evil.com')).toBe(false);
  });

  it('rejects malformed entries with config_invalid naming the entry', () => {
    for (const bad of ['10.0.0.0/33', 'http://x', '*', '*.a*.b', 'a b']) {
      try {
        new DestinationPolicy({ allowPrivateNetworks: false, allowHosts: ['ok.example', bad] });
        expect.fail(`accepted ${bad}`);
      } catch (error) {
        expect((error as NotifydError).code).toBe('config_invalid');
        expect((error as NotifydError).field).toBe('security.allowHosts.1');
      }
    }
  });
});

describe('DestinationPolicy.lookup (the connect-time guard)', () => {
  function lookupAll(policy: DestinationPolicy, host: string): Promise<LookupAddress[]> {
    return new Promise((resolve, reject) =>
      policy.lookup(host, { all: true }, (error, addresses) => (error ? reject(error) : resolve(addresses as LookupAddress[]))),
    );
  }
  function lookupOne(policy: DestinationPolicy, host: string): Promise<[string, number | undefined]> {
    return new Promise((resolve, reject) =>
      policy.lookup(host, { family: 4 }, (error, address, family) => (error ? reject(error) : resolve([address as string, family]))),
    );
  }

  it('refuses a name that resolves to loopback, with code BLOCKED_ADDRESS', async () => {
    await expect(lookupAll(strict, 'localhost')).rejects.toMatchObject({ code: 'BLOCKED_ADDRESS' });
    await expect(lookupOne(strict, 'localhost')).rejects.toMatchObject({ code: 'BLOCKED_ADDRESS' });
  });

  it('hands out the resolved address when allowed, in both callback shapes', async () => {
    const local = new DestinationPolicy({ allowPrivateNetworks: false, allowHosts: ['127.0.0.1/32'] });
    await expect(lookupOne(local, 'localhost')).resolves.toEqual(['127.0.0.1', 4]);
    const all = await lookupAll(local, 'localhost');
    // ::1 (if /etc/hosts lists it) is not in the exception, so it is filtered out rather than connected to.
    expect(all).toEqual([{ address: '127.0.0.1', family: 4 }]);
  });

  it('passes DNS failures through unchanged', async () => {
    await expect(lookupAll(strict, 'no-such-host.invalid')).rejects.toMatchObject({ code: expect.stringMatching(/ENOTFOUND|EAI_AGAIN/) });
  });
});

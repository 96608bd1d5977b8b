import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';
import { NotifydError } from '../domain/errors.js';

export interface DestinationPolicyOptions {
  /** Lets every address through (a deployment whose receivers live on the private network). */
  allowPrivateNetworks: boolean;
  /** Exact hostnames, `*.suffix` wildcards, bare IPs and CIDRs that open exceptions. */
  allowHosts: readonly string[];
}

/** The error code a refused connection carries through got, so the sender can report `blocked`. */
export const BLOCKED_ADDRESS = 'BLOCKED_ADDRESS';

type Address = ipaddr.IPv4 | ipaddr.IPv6;

/** Bounds literalVerdicts: a producer naming endless distinct IPs only refills it. */
const MAX_CACHED_VERDICTS = 1_024;

/**
 * The SSRF guard. Two checks, because neither is enough alone:
 * - `checkUrl`, at enqueue, refuses what is visibly wrong (a scheme, a literal
 *   private IP in any of the spellings WHATWG URL normalises);
 * - `lookup`, handed to got as `dnsLookup`, refuses at connect time every
 *   resolved address that is not public. Node connects to the address this
 *   returns, so there is no window between check and use for DNS rebinding.
 * Literal IPs never reach a lookup (Node skips it), so the sender re-checks
 * them with `isAddressAllowed` before each POST and on each redirect hop.
 */
export class DestinationPolicy {
  private readonly allowAll: boolean;
  private readonly exactHosts = new Set<string>();
  /** Suffixes with their leading dot: `*.example.com` → `.example.com`. */
  private readonly hostSuffixes: string[] = [];
  private readonly cidrs: Array<[Address, number]> = [];
  /**
   * Literal-IP hosts already judged. The policy never changes after
   * construction, and parsing and range-matching an address was ≈ 2 µs of
   * every enqueue to a receiver named by its IP.
   */
  private readonly literalVerdicts = new Map<string, boolean>();

  constructor(options: DestinationPolicyOptions) {
    this.allowAll = options.allowPrivateNetworks;
    options.allowHosts.forEach((raw, index) => this.addException(raw, `security.allowHosts.${index}`));
  }

  /**
   * Throws `validation_failed` for a scheme or unparsable URL, `destination_blocked` for a refused literal IP.
   * Takes the URL already parsed, too: the enqueue path has parsed it once and need not again.
   */
  checkUrl(url: string | URL): void {
    let parsed: URL;
    try {
      parsed = typeof url === 'string' ? new URL(url) : url;
    } catch (cause) {
      throw new NotifydError('validation_failed', `url: "${String(url)}" is not a valid URL`, { field: 'url', cause });
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new NotifydError('validation_failed', `url: scheme ${parsed.protocol} is not allowed (use http or https)`, {
        field: 'url',
      });
    }
    const blocked = this.literalBlocked(parsed.hostname);
    if (blocked !== null) {
      throw new NotifydError('destination_blocked', `url: ${blocked}`, { field: 'url' });
    }
  }

  /**
   * When the URL's host is a literal IP, why it is refused (null when it is
   * allowed, or when the host is a name: names are checked at connect time).
   */
  literalBlocked(hostname: string): string | null {
    const address = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
    if (isIP(address) === 0) return null;
    let allowed = this.literalVerdicts.get(hostname);
    if (allowed === undefined) {
      allowed = this.isAddressAllowed(address, hostname);
      if (this.literalVerdicts.size >= MAX_CACHED_VERDICTS) this.literalVerdicts.clear();
      this.literalVerdicts.set(hostname, allowed);
    }
    return allowed
      ? null
      : `${hostname} is a private, loopback, link-local or reserved address (allow it with security.allowHosts or security.allowPrivateNetworks)`;
  }

  /** True when `address` (the IP about to be connected) may be reached for a URL naming `hostname`. */
  isAddressAllowed(address: string, hostname: string): boolean {
    if (this.allowAll || this.hostExcepted(hostname)) return true;
    let raw: Address;
    try {
      raw = ipaddr.parse(address);
    } catch {
      return false;
    }
    const target = unwrapEmbeddedIPv4(raw);
    if (this.cidrs.some(([range, bits]) => inRange(target, range, bits) || inRange(raw, range, bits))) return true;
    return isPublic(target);
  }

  /**
   * A `dns.lookup`-compatible function for got's `dnsLookup`. Only the allowed
   * addresses are handed to Node, so a name with one public and one private
   * record connects to the public one; a name with none fails with
   * BLOCKED_ADDRESS.
   */
  readonly lookup: LookupFunction = (hostname, options, callback) => {
    const wantsAll = options.all === true;
    const query: LookupOptions = { ...options, all: true };
    dnsLookup(hostname, query as LookupOptions & { all: true }, (error, addresses: LookupAddress[]) => {
      if (error) {
        callback(error, wantsAll ? [] : '', 0);
        return;
      }
      const allowed = addresses.filter((a) => this.isAddressAllowed(a.address, hostname));
      const first = allowed[0];
      if (first === undefined) {
        const shown = addresses.map((a) => a.address).join(', ');
        const blocked = Object.assign(
          new Error(`${hostname} resolves only to refused addresses (${shown}): private, loopback, link-local or reserved`),
          { code: BLOCKED_ADDRESS, hostname },
        );
        callback(blocked, wantsAll ? [] : '', 0);
        return;
      }
      if (wantsAll) callback(null, allowed);
      else callback(null, first.address, first.family);
    });
  };

  private hostExcepted(hostname: string): boolean {
    if (this.exactHosts.size === 0 && this.hostSuffixes.length === 0) return false;
    const host = normaliseHost(hostname);
    return this.exactHosts.has(host) || this.hostSuffixes.some((suffix) => host.endsWith(suffix));
  }

  private addException(raw: string, field: string): void {
    const entry = raw.trim().toLowerCase();
    const invalid = (cause?: unknown) =>
      new NotifydError('config_invalid', `${field}: "${raw}" is not a hostname, *.suffix wildcard, IP or CIDR`, { field, cause });
    if (entry.includes('/')) {
      try {
        const [range, bits] = ipaddr.parseCIDR(entry);
        // ::ffff:10.0.0.0/104 means 10.0.0.0/8: addresses are compared in their IPv4 form.
        if (isEmbeddedIPv4(range) && bits >= 96) this.cidrs.push([unwrapEmbeddedIPv4(range), bits - 96]);
        else this.cidrs.push([range, bits]);
      } catch (cause) {
        throw invalid(cause);
      }
      return;
    }
    const bare = entry.startsWith('[') && entry.endsWith(']') ? entry.slice(1, -1) : entry;
    if (isIP(bare) !== 0) {
      const address = unwrapEmbeddedIPv4(ipaddr.parse(bare));
      this.cidrs.push([address, address.kind() === 'ipv4' ? 32 : 128]);
      return;
    }
    if (entry.startsWith('*.')) {
      if (entry.length < 3 || entry.slice(2).includes('*')) throw invalid();
      this.hostSuffixes.push(normaliseHost(entry.slice(1)));
      return;
    }
    if (entry === '' || entry.includes('*') || /[\s/?#@]/.test(entry)) throw invalid();
    this.exactHosts.add(normaliseHost(entry));
  }
}

function inRange(address: Address, range: Address, bits: number): boolean {
  return address.kind() === range.kind() && address.match(range, bits);
}

function normaliseHost(hostname: string): string {
  const lower = hostname.toLowerCase();
  // "example.com." and "example.com" are the same name.
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

/**
 * IPv6 spellings that reach an IPv4 host are judged by that host:
 * IPv4-mapped (::ffff:a.b.c.d), IPv4-translated (::ffff:0:a.b.c.d),
 * IPv4-compatible (::a.b.c.d, deprecated but still routed by some stacks),
 * NAT64 (64:ff9b::/96) and 6to4 (2002:AABB:CCDD::/48).
 */
function unwrapEmbeddedIPv4(address: Address): Address {
  if (address.kind() === 'ipv4') return address;
  const v6 = address as ipaddr.IPv6;
  const p = v6.parts;
  const range = v6.range();
  if (range === '6to4') {
    return new ipaddr.IPv4([p[1]! >> 8, p[1]! & 0xff, p[2]! >> 8, p[2]! & 0xff]);
  }
  if (isEmbeddedIPv4(v6)) {
    return new ipaddr.IPv4([p[6]! >> 8, p[6]! & 0xff, p[7]! >> 8, p[7]! & 0xff]);
  }
  return v6;
}

function isEmbeddedIPv4(address: Address): boolean {
  if (address.kind() !== 'ipv6') return false;
  const v6 = address as ipaddr.IPv6;
  const p = v6.parts;
  const range = v6.range();
  if (range === 'ipv4Mapped' || range === 'rfc6145') return true;
  // Only the well-known NAT64 prefix has the IPv4 in the last 32 bits; 64:ff9b:1::/48 is local-use and stays blocked.
  if (range === 'rfc6052') return p[0] === 0x64 && p[1] === 0xff9b && p[2] === 0 && p[3] === 0 && p[4] === 0 && p[5] === 0;
  // IPv4-compatible ::a.b.c.d (not :: and ::1, which ipaddr.js already classifies).
  return p[0] === 0 && p[1] === 0 && p[2] === 0 && p[3] === 0 && p[4] === 0 && p[5] === 0 && (p[6] !== 0 || p[7]! > 1);
}

/** Only global unicast is public: every special range ipaddr.js knows (private, loopback, reserved, …) is refused. */
function isPublic(address: Address): boolean {
  return address.range() === 'unicast';
}

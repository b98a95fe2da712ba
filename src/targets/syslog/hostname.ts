// `__syslog_connection_hostname`: the names of the sender's address as Go's net.LookupAddr gives
// them to Promtail: every name /etc/hosts lists for it, else the DNS PTR names, each fully
// qualified with a trailing dot, joined with commas; empty when there is none.

import { promises as dns } from 'node:dns';
import { readFile } from 'node:fs/promises';

const hostsMaxAgeMs = 5_000; // Go re-reads /etc/hosts at most every 5 s, too

let hostsCache: { path: string; at: number; byAddr: Map<string, string[]> } | undefined;

async function hostsByAddr(path: string): Promise<Map<string, string[]>> {
  const now = Date.now();
  if (hostsCache && hostsCache.path === path && now - hostsCache.at < hostsMaxAgeMs) return hostsCache.byAddr;
  const byAddr = new Map<string, string[]>();
  try {
    const text = await readFile(path, 'utf8');
    for (const raw of text.split('\n')) {
      const hash = raw.indexOf('#');
      const fields = (hash >= 0 ? raw.slice(0, hash) : raw).trim().split(/\s+/);
      if (fields.length < 2) continue;
      const addr = fields[0]!.toLowerCase();
      const names = byAddr.get(addr) ?? [];
      for (const name of fields.slice(1)) names.push(absDomainName(name));
      byAddr.set(addr, names);
    }
  } catch {
    // no hosts file: DNS only
  }
  hostsCache = { path, at: now, byAddr };
  return byAddr;
}

function absDomainName(name: string): string {
  return name.endsWith('.') ? name : `${name}.`;
}

const resolver = new dns.Resolver({ timeout: 2_000, tries: 1 });

/** The sender's address as Go prints it: an IPv4-mapped IPv6 address as plain IPv4. */
export function plainIp(address: string | undefined): string {
  if (!address) return '';
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

export async function lookupAddr(ip: string, hostsPath = '/etc/hosts'): Promise<string> {
  if (!ip) return '';
  const fromHosts = (await hostsByAddr(hostsPath)).get(ip.toLowerCase());
  if (fromHosts && fromHosts.length > 0) return fromHosts.join(',');
  try {
    const names = await resolver.reverse(ip);
    return names.map(absDomainName).join(',');
  } catch {
    return '';
  }
}

/**
 * Per-IP cache of lookups, for UDP where every datagram stands alone. Bounded: it is cleared when
 * it reaches `max` entries; entries expire after `ttlMs`.
 */
export class HostnameCache {
  private readonly done = new Map<string, { name: string; at: number }>();
  private readonly inFlight = new Map<string, Promise<string>>();

  constructor(
    private readonly max = 4096,
    private readonly ttlMs = 60_000,
  ) {}

  /** The cached name, or undefined when a lookup is needed. */
  get(ip: string): string | undefined {
    const hit = this.done.get(ip);
    if (hit && Date.now() - hit.at < this.ttlMs) return hit.name;
    return undefined;
  }

  lookup(ip: string): Promise<string> {
    let p = this.inFlight.get(ip);
    if (!p) {
      p = lookupAddr(ip).then((name) => {
        this.inFlight.delete(ip);
        if (this.done.size >= this.max) this.done.clear();
        this.done.set(ip, { name, at: Date.now() });
        return name;
      });
      this.inFlight.set(ip, p);
    }
    return p;
  }
}

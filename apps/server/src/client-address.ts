// Where a request really comes from. The TCP peer, unless the peer is one of `trustProxy`: then the
// right-most address in X-Forwarded-For that is not itself a trusted proxy, and the scheme from
// X-Forwarded-Proto. Headers from anyone else are ignored, so a client cannot claim another address.
import type { IncomingMessage } from 'node:http';
import { BlockList, isIP } from 'node:net';
import { parseCidr } from './config.js';

export interface ProxyTrust {
  /** The client's address, as used for logs, audit and per-client limits. */
  clientAddress(req: IncomingMessage): string;
  /** Whether the client reached us over TLS (directly, or at a trusted proxy). */
  isHttps(req: IncomingMessage): boolean;
}

/** `::ffff:127.0.0.1` is 127.0.0.1: Node reports IPv4 peers of a dual-stack socket that way. */
function plain(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

/** Whether an address lies in one of `ranges` (addresses or CIDR ranges, as config validates them). */
export function createAddressMatcher(ranges: readonly string[]): (address: string) => boolean {
  const list = new BlockList();
  for (const entry of ranges) {
    const cidr = parseCidr(entry);
    if (cidr) list.addSubnet(cidr.address, cidr.prefix, cidr.family);
  }
  return (address) => {
    const version = isIP(address);
    return version !== 0 && list.check(address, version === 4 ? 'ipv4' : 'ipv6');
  };
}

/** The TCP peer's address, IPv4 peers of a dual-stack socket written plainly. */
export const peerAddress = (req: IncomingMessage): string => plain(req.socket.remoteAddress ?? '');

export function createProxyTrust(trusted: readonly string[]): ProxyTrust {
  const isTrusted = createAddressMatcher(trusted);
  const peer = peerAddress;
  return {
    clientAddress(req) {
      const address = peer(req);
      if (trusted.length === 0 || !isTrusted(address)) return address;
      const header = req.headers['x-forwarded-for'];
      const hops = (Array.isArray(header) ? header.join(',') : (header ?? ''))
        .split(',')
        .map((hop) => plain(hop.trim()))
        .filter((hop) => isIP(hop) !== 0);
      for (let i = hops.length - 1; i >= 0; i--) {
        const hop = hops[i] as string;
        if (!isTrusted(hop)) return hop;
      }
      return hops[0] ?? address;
    },
    isHttps(req) {
      if ((req.socket as { encrypted?: boolean }).encrypted) return true;
      if (!isTrusted(peer(req))) return false;
      const proto = req.headers['x-forwarded-proto'];
      const first = (Array.isArray(proto) ? proto[0] : proto)?.split(',')[0]?.trim().toLowerCase();
      return first === 'https';
    },
  };
}

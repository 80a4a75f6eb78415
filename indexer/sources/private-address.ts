import net from 'node:net';

/**
 * The SSRF guard's address test. IPv6 forms that carry an IPv4 address (mapped, 6to4) are judged
 * by the IPv4 address inside, and IPv4-compatible ones (`::7f00:1`) are refused whole, so no
 * IPv6 spelling reaches loopback or a private network by a detour.
 */

const BLOCKED_V4 = new net.BlockList();
for (const [address, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  BLOCKED_V4.addSubnet(address, prefix, 'ipv4');

// Ranges refused whole. ::/96 holds ::, ::1 and the deprecated IPv4-compatible ::a.b.c.d (RFC 4291);
// no public service is reached through any of them.
const BLOCKED_V6 = new net.BlockList();
for (const [address, prefix] of [
  ['::', 96],
  ['100::', 64], // discard-only
  ['2001::', 32], // Teredo: tunnels to an obfuscated IPv4 address
  ['2001:db8::', 32], // documentation
  ['64:ff9b::', 96], // NAT64: refused whole rather than trusting the translator
  ['64:ff9b:1::', 48], // local-use NAT64
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated, still routed inside some sites)
  ['ff00::', 8], // multicast
] as const) {
  BLOCKED_V6.addSubnet(address, prefix, 'ipv6');
}

/** The 16 bytes of an IPv6 address (zone id dropped), or null when it is not one. */
export function ipv6Bytes(address: string): Uint8Array | null {
  const plain = address.split('%')[0] ?? '';
  if (net.isIPv6(plain) === false) return null;
  let text = plain;
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text)?.[1];
  if (dotted) {
    const [a, b, c, d] = dotted.split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, -dotted.length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::') as [string, string | undefined];
  const groups = (part: string) => (part === '' ? [] : part.split(':').map((g) => Number.parseInt(g, 16)));
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  const all = [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  const bytes = new Uint8Array(16);
  all.forEach((group, i) => {
    bytes[2 * i] = group >> 8;
    bytes[2 * i + 1] = group & 0xff;
  });
  return bytes;
}

function v4At(bytes: Uint8Array, at: number): string {
  return `${bytes[at]}.${bytes[at + 1]}.${bytes[at + 2]}.${bytes[at + 3]}`;
}

function isZero(bytes: Uint8Array, from: number, to: number): boolean {
  return bytes.subarray(from, to).every((b) => b === 0);
}

/** The IPv4 address an IPv6 address stands for (mapped or 6to4), if any. */
export function embeddedIpv4(bytes: Uint8Array): string | null {
  if (isZero(bytes, 0, 10) && bytes[10] === 0xff && bytes[11] === 0xff) return v4At(bytes, 12); // ::ffff:a.b.c.d
  if (bytes[0] === 0x20 && bytes[1] === 0x02) return v4At(bytes, 2); // 2002:aabb:ccdd::/48
  return null;
}

/**
 * Loopback, private, link-local, site-local, carrier-grade NAT, multicast, documentation and reserved
 * addresses, in IPv4 or any IPv6 form. Anything that is not an IP address counts as private.
 */
export function isPrivateAddress(address: string): boolean {
  if (net.isIPv4(address)) return BLOCKED_V4.check(address, 'ipv4');
  const bytes = ipv6Bytes(address);
  if (!bytes) return true;
  const inner = embeddedIpv4(bytes);
  if (inner) return BLOCKED_V4.check(inner, 'ipv4');
  const canonical = Array.from({ length: 8 }, (_, i) => (((bytes[2 * i] ?? 0) << 8) | (bytes[2 * i + 1] ?? 0)).toString(16)).join(
    ':',
  );
  return BLOCKED_V6.check(canonical, 'ipv6');
}

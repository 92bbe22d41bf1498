import { isIP } from 'node:net';

/** One special-purpose block: addresses inside it are never dialled. */
interface Block {
  readonly family: 4 | 6;
  readonly base: bigint;
  readonly bits: number;
  readonly name: string;
}

/**
 * IPv4 blocks that are not globally reachable (IANA special-purpose registry), most specific
 * first so the reason names the narrowest block.
 */
const IPV4_BLOCKS: readonly (readonly [string, string])[] = [
  ['255.255.255.255/32', 'limited broadcast'],
  ['0.0.0.0/8', '"this network" (0.0.0.0/8)'],
  ['10.0.0.0/8', 'private (RFC 1918)'],
  ['100.64.0.0/10', 'carrier-grade NAT (RFC 6598)'],
  ['127.0.0.0/8', 'loopback'],
  ['169.254.0.0/16', 'link-local'],
  ['172.16.0.0/12', 'private (RFC 1918)'],
  ['192.0.0.0/24', 'IETF protocol assignments'],
  ['192.0.2.0/24', 'documentation (TEST-NET-1)'],
  ['192.88.99.0/24', '6to4 relay anycast'],
  ['192.168.0.0/16', 'private (RFC 1918)'],
  ['198.18.0.0/15', 'benchmarking (RFC 2544)'],
  ['198.51.100.0/24', 'documentation (TEST-NET-2)'],
  ['203.0.113.0/24', 'documentation (TEST-NET-3)'],
  ['224.0.0.0/4', 'multicast'],
  ['240.0.0.0/4', 'reserved (240.0.0.0/4)'],
];

/**
 * IPv6 blocks refused inside or beside the global unicast range. Every address outside
 * 2000::/3 is refused as well (see {@link addressRefusal}); the blocks below that lie outside
 * it are listed only to name the reason. IPv4-mapped and IPv4-compatible addresses are refused
 * outright, whatever IPv4 address they embed: resolvers do not return them for real hosts, and
 * a hostile AAAA record is the only way to meet one.
 */
const IPV6_BLOCKS: readonly (readonly [string, string])[] = [
  ['::/128', 'unspecified (::)'],
  ['::1/128', 'loopback (::1)'],
  ['::ffff:0:0/96', 'IPv4-mapped (::ffff:0:0/96)'],
  ['::/96', 'IPv4-compatible (::/96)'],
  ['64:ff9b::/96', 'NAT64 (64:ff9b::/96)'],
  ['64:ff9b:1::/48', 'local-use NAT64 (64:ff9b:1::/48)'],
  ['100::/64', 'discard-only (100::/64)'],
  ['2001::/32', 'Teredo (2001::/32)'],
  ['2001:db8::/32', 'documentation (2001:db8::/32)'],
  ['2001::/23', 'IETF protocol assignments (2001::/23)'],
  ['2002::/16', '6to4 (2002::/16)'],
  ['3fff::/20', 'documentation (3fff::/20)'],
  ['5f00::/16', 'SRv6 SIDs (5f00::/16)'],
  ['fc00::/7', 'unique local (fc00::/7)'],
  ['fe80::/10', 'link-local (fe80::/10)'],
  ['fec0::/10', 'site-local (fec0::/10)'],
  ['ff00::/8', 'multicast (ff00::/8)'],
];

const GLOBAL_UNICAST = block('2000::/3', 'global unicast');

const BLOCKS: readonly Block[] = [
  ...IPV4_BLOCKS.map(([cidr, name]) => block(cidr, name)),
  ...IPV6_BLOCKS.map(([cidr, name]) => block(cidr, name)),
];

/**
 * Says why `ip` must not be dialled: the name of the special-purpose block it falls in, or
 * `null` when it is a public (globally reachable) address. Anything that is not an IP address
 * literal is refused too. IPv6 zone ids (`fe80::1%eth0`) are ignored.
 */
export function addressRefusal(ip: string): string | null {
  const parsed = parseAddress(ip);
  if (parsed === null) return 'not an IP address';
  for (const candidate of BLOCKS) {
    if (candidate.family === parsed.family && contains(candidate, parsed.value)) {
      return candidate.name;
    }
  }
  if (parsed.family === 6 && !contains(GLOBAL_UNICAST, parsed.value)) {
    return 'outside global unicast (2000::/3)';
  }
  return null;
}

/**
 * Whether `ip` is a public address the bridge may connect to: `false` for loopback, private,
 * link-local, CGNAT, NAT64, 6to4, Teredo, documentation, multicast, reserved and every other
 * special-purpose block, and for strings that are not IP literals.
 */
export function isPublicAddress(ip: string): boolean {
  return addressRefusal(ip) === null;
}

function block(cidr: string, name: string): Block {
  const [address = '', bits = ''] = cidr.split('/');
  const parsed = parseAddress(address);
  if (parsed === null) throw new Error(`bad block ${cidr}`);
  return { family: parsed.family, base: parsed.value, bits: Number(bits), name };
}

function contains(candidate: Block, value: bigint): boolean {
  const shift = BigInt((candidate.family === 4 ? 32 : 128) - candidate.bits);
  return value >> shift === candidate.base >> shift;
}

/** Parses an IPv4 or IPv6 literal into its family and numeric value; `null` when invalid. */
function parseAddress(text: string): { family: 4 | 6; value: bigint } | null {
  const zone = text.indexOf('%');
  const ip = (zone === -1 ? text : text.slice(0, zone)).toLowerCase();
  switch (isIP(ip)) {
    case 4:
      return { family: 4, value: parseIpv4(ip) };
    case 6:
      return { family: 6, value: parseIpv6(ip) };
    default:
      return null;
  }
}

/** `ip` must already have passed `isIP(ip) === 4`. */
function parseIpv4(ip: string): bigint {
  return ip.split('.').reduce((value, octet) => (value << 8n) | BigInt(Number(octet)), 0n);
}

/** `ip` must already have passed `isIP(ip) === 6` (lower case, no zone id). */
function parseIpv6(ip: string): bigint {
  let text = ip;
  if (text.includes('.')) {
    // A trailing dotted quad stands for the last two 16-bit groups.
    const cut = text.lastIndexOf(':') + 1;
    const v4 = parseIpv4(text.slice(cut));
    text = `${text.slice(0, cut)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const zeros = tail === undefined ? 0 : 8 - headGroups.length - tailGroups.length;
  const groups = [...headGroups, ...Array<string>(zeros).fill('0'), ...tailGroups];
  return groups.reduce((value, group) => (value << 16n) | BigInt(parseInt(group, 16)), 0n);
}

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addressRefusal, isPublicAddress } from './address-policy.js';

/** [block, addresses inside it (first, inside, last where it matters), expected reason]. */
const REFUSED: readonly (readonly [string, readonly string[], RegExp])[] = [
  ['0.0.0.0/8', ['0.0.0.0', '0.1.2.3', '0.255.255.255'], /this network/],
  ['10.0.0.0/8', ['10.0.0.0', '10.1.2.3', '10.255.255.255'], /RFC 1918/],
  ['100.64.0.0/10', ['100.64.0.0', '100.100.1.1', '100.127.255.255'], /carrier-grade NAT/],
  ['127.0.0.0/8', ['127.0.0.1', '127.1.2.3', '127.255.255.254'], /loopback/],
  ['169.254.0.0/16', ['169.254.0.1', '169.254.169.254', '169.254.255.255'], /link-local/],
  ['172.16.0.0/12', ['172.16.0.0', '172.20.1.1', '172.31.255.255'], /RFC 1918/],
  ['192.0.0.0/24', ['192.0.0.1', '192.0.0.170'], /IETF protocol/],
  ['192.0.2.0/24', ['192.0.2.1'], /TEST-NET-1/],
  ['192.88.99.0/24', ['192.88.99.1'], /6to4 relay/],
  ['192.168.0.0/16', ['192.168.0.1', '192.168.255.255'], /RFC 1918/],
  ['198.18.0.0/15', ['198.18.0.1', '198.19.255.255'], /benchmarking/],
  ['198.51.100.0/24', ['198.51.100.7'], /TEST-NET-2/],
  ['203.0.113.0/24', ['203.0.113.9'], /TEST-NET-3/],
  ['224.0.0.0/4', ['224.0.0.1', '239.255.255.250'], /multicast/],
  ['240.0.0.0/4', ['240.0.0.1', '255.255.255.254'], /reserved/],
  ['255.255.255.255/32', ['255.255.255.255'], /broadcast/],
  ['::/128', ['::', '0:0:0:0:0:0:0:0'], /unspecified/],
  ['::1/128', ['::1', '0:0:0:0:0:0:0:1'], /loopback/],
  [
    '::ffff:0:0/96',
    ['::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:10.0.0.1', '::ffff:93.184.216.34'],
    /IPv4-mapped/,
  ],
  ['::/96', ['::127.0.0.1', '::7f00:1', '::93.184.216.34'], /IPv4-compatible/],
  ['64:ff9b::/96', ['64:ff9b::7f00:1', '64:ff9b::93.184.216.34'], /NAT64/],
  ['64:ff9b:1::/48', ['64:ff9b:1::1', '64:ff9b:1:ffff::1'], /local-use NAT64/],
  ['100::/64', ['100::', '100::ffff:ffff:ffff:ffff'], /discard/],
  ['2001::/32', ['2001::1', '2001:0:4136:e378:8000:63bf:3fff:fdd2'], /Teredo/],
  ['2001:db8::/32', ['2001:db8::1', '2001:db8:ffff::1'], /documentation/],
  ['2001::/23', ['2001:2::1', '2001:10::1', '2001:1ff::1'], /IETF protocol/],
  ['2002::/16', ['2002::1', '2002:7f00:1::1', '2002:ffff::1'], /6to4/],
  ['3fff::/20', ['3fff::1', '3fff:fff::1'], /documentation/],
  ['5f00::/16', ['5f00::1'], /SRv6/],
  ['fc00::/7', ['fc00::1', 'fd12:3456:789a::1', 'fdff:ffff::1'], /unique local/],
  ['fe80::/10', ['fe80::1', 'fe80::1%eth0', 'febf:ffff::1'], /link-local/],
  ['fec0::/10', ['fec0::1', 'feff::1'], /site-local/],
  ['ff00::/8', ['ff02::1', 'ff05::1:3'], /multicast/],
  ['outside 2000::/3', ['1::1', '4000::1', 'e000::1', 'fbff::1'], /outside global unicast/],
  ['not an address', ['', 'example.com', '256.0.0.1', '1.2.3', '01.2.3.4', '::g'], /not an IP/],
];

const PUBLIC: readonly string[] = [
  '93.184.216.34',
  '1.1.1.1',
  '8.8.8.8',
  '9.255.255.255', // below 10/8
  '11.0.0.0', // above 10/8
  '100.63.255.255', // below 100.64/10
  '100.128.0.0', // above 100.64/10
  '126.255.255.255',
  '128.0.0.0',
  '169.253.255.255',
  '169.255.0.0',
  '172.15.255.255',
  '172.32.0.0',
  '192.0.1.255',
  '192.0.3.0',
  '192.167.255.255',
  '192.169.0.0',
  '198.17.255.255',
  '198.20.0.0',
  '223.255.255.255',
  '2606:4700::1111',
  '2a00:1450:4001:81c::200e',
  '2001:200::1', // above 2001::/23
  '2001:db9::1', // above 2001:db8::/32
  '2003::1', // above 2002::/16
  '2001:4860:4860::8888',
  '3ffe:ffff::1', // below 3fff::/20
  '2606:4700:4700::1111',
];

describe('isPublicAddress', () => {
  for (const [block, addresses, reason] of REFUSED) {
    it(`refuses ${block}`, () => {
      for (const address of addresses) {
        assert.equal(isPublicAddress(address), false, address);
        assert.match(addressRefusal(address) ?? 'null', reason, address);
      }
    });
  }

  it('accepts public addresses, including the neighbours of every refused block', () => {
    for (const address of PUBLIC) {
      assert.equal(addressRefusal(address), null, address);
      assert.equal(isPublicAddress(address), true, address);
    }
  });

  it('reads IPv6 in any case and any compression', () => {
    assert.equal(isPublicAddress('2606:4700:0:0:0:0:0:1111'), true);
    assert.equal(isPublicAddress('FE80::1'), false);
    assert.equal(isPublicAddress('0000:0000:0000:0000:0000:ffff:7f00:0001'), false);
  });
});

// addressScope (src/multiaddr/scope.ts): each row of the special-purpose
// ranges it knows, their edges, and the order byScope gives.

import t from 'tap'
import { Multiaddr, addressScope, byScope } from '../../src/multiaddr/index.js'

const scopeOf = (text: string): string => addressScope(Multiaddr.fromString(text))

t.test('IPv4 ranges and their edges', async t => {
  const cases: Array<[string, string]> = [
    ['/ip4/127.0.0.1/tcp/1', 'loopback'],
    ['/ip4/127.255.255.254/tcp/1', 'loopback'],
    ['/ip4/169.254.1.1/tcp/1', 'link-local'],
    ['/ip4/169.253.1.1/tcp/1', 'public'],
    ['/ip4/10.1.2.3/tcp/1', 'private'],
    ['/ip4/11.1.2.3/tcp/1', 'public'],
    ['/ip4/172.15.0.1/tcp/1', 'public'],
    ['/ip4/172.16.0.1/tcp/1', 'private'],
    ['/ip4/172.31.255.255/tcp/1', 'private'],
    ['/ip4/172.32.0.1/tcp/1', 'public'],
    ['/ip4/192.168.0.1/tcp/1', 'private'],
    ['/ip4/192.169.0.1/tcp/1', 'public'],
    ['/ip4/100.63.255.255/tcp/1', 'public'],
    ['/ip4/100.64.0.1/tcp/1', 'private'],
    ['/ip4/100.127.255.255/tcp/1', 'private'],
    ['/ip4/100.128.0.1/tcp/1', 'public'],
    ['/ip4/0.0.0.0/tcp/1', 'private'],
    ['/ip4/8.8.8.8/tcp/1', 'public']
  ]
  for (const [addr, scope] of cases) t.equal(scopeOf(addr), scope, addr)
})

t.test('IPv6 ranges, IPv4-mapped addresses, and names', async t => {
  const cases: Array<[string, string]> = [
    ['/ip6/::1/tcp/1', 'loopback'],
    ['/ip6/::/tcp/1', 'private'],
    ['/ip6/::2/tcp/1', 'private'],
    ['/ip6/fe80::1/tcp/1', 'link-local'],
    ['/ip6zone/eth0/ip6/fe80::1/tcp/1', 'link-local'],
    ['/ip6zone/lo/ip6/::1/tcp/1', 'loopback'],
    ['/ip6/febf::1/tcp/1', 'link-local'],
    ['/ip6/fec0::1/tcp/1', 'public'],
    ['/ip6/fc00::1/tcp/1', 'private'],
    ['/ip6/fdff::1/tcp/1', 'private'],
    ['/ip6/fe00::1/tcp/1', 'public'],
    ['/ip6/2001:db8::1/tcp/1', 'public'],
    ['/ip6/::ffff:127.0.0.1/tcp/1', 'loopback'],
    ['/ip6/::ffff:10.0.0.1/tcp/1', 'private'],
    ['/ip6/::ffff:8.8.8.8/tcp/1', 'public'],
    ['/dns4/example.com/tcp/1', 'public'],
    ['/dns/localhost/tcp/1', 'public']
  ]
  for (const [addr, scope] of cases) t.equal(scopeOf(addr), scope, addr)
})

t.test('byScope sorts widest first and keeps the order within a scope', async t => {
  const addrs = ['/ip4/127.0.0.1/tcp/1', '/ip4/10.0.0.1/tcp/2', '/ip4/1.2.3.4/tcp/3', '/ip6/fe80::1/tcp/4', '/ip4/10.0.0.2/tcp/5', '/ip4/5.6.7.8/tcp/6']
    .map(a => Multiaddr.fromString(a))
  t.same([...addrs].sort(byScope).map(a => a.toString()), [
    '/ip4/1.2.3.4/tcp/3', '/ip4/5.6.7.8/tcp/6', '/ip4/10.0.0.1/tcp/2', '/ip4/10.0.0.2/tcp/5', '/ip6/fe80::1/tcp/4', '/ip4/127.0.0.1/tcp/1'
  ])
})

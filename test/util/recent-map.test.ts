import t from 'tap'
import { RecentMap } from '../../src/util/recent-map.js'

t.test('RecentMap keeps at most max entries and forgets the least recently used first', async t => {
  const map = new RecentMap<string, number>(3)
  map.set('a', 1)
  map.set('b', 2)
  map.set('c', 3)
  t.equal(map.get('a'), 1, 'a is now the most recently used')
  map.set('d', 4) // forgets b, the least recently used
  t.equal(map.size, 3)
  t.equal(map.get('b'), undefined)
  t.same([map.get('a'), map.get('c'), map.get('d')], [1, 3, 4])
  map.set('c', 30) // replacing does not grow the map
  t.equal(map.size, 3)
  t.equal(map.get('c'), 30)
  for (let i = 0; i < 1000; i++) map.set(`k${i}`, i)
  t.equal(map.size, 3, 'bounded whatever comes')
  t.same([map.get('k997'), map.get('k998'), map.get('k999')], [997, 998, 999])
})

t.test('remember: the remembered value, else make()\'s, remembered; a make() that throws remembers nothing', async t => {
  const map = new RecentMap<string, number>(2)
  let made = 0
  const make = (): number => ++made
  t.equal(map.remember('a', make), 1)
  t.equal(map.remember('a', make), 1, 'remembered: make() not called again')
  t.equal(made, 1)
  t.throws(() => map.remember('bad', () => { throw new Error('refused') }), /refused/)
  t.equal(map.get('bad'), undefined, 'nothing remembered for a failure')
  t.throws(() => map.remember('bad', () => { throw new Error('refused again') }), /refused again/, 'so it is refused every time')
  t.equal(map.remember('b', make), 2)
  t.equal(map.remember('c', make), 3, 'bounded: a, the least recently used, is forgotten')
  t.equal(map.remember('a', make), 4, 'and made again')
})

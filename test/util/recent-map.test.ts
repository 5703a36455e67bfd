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

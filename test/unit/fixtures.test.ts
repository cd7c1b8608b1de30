// The rule fixtures run in one test file per group (test/unit/fixtures-<group>.test.ts, beside the other
// suites); this checks that the split loses none: every group has its file and calls fixtureTests with
// its own name, and every fixture is in a group.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { FIXTURE_GROUPS, fixtureGroup, listFixtures } from '../harness/fixtures';

describe('rule fixtures split over test files', () => {
  it('has a test file per group that runs that group', () => {
    const files = fs.readdirSync(__dirname).filter((f) => /^fixtures-.*\.test\.ts$/.test(f)).sort();
    assert.deepEqual(files, FIXTURE_GROUPS.map((g) => `fixtures-${g}.test.ts`).sort());
    for (const g of FIXTURE_GROUPS) {
      assert.match(fs.readFileSync(path.join(__dirname, `fixtures-${g}.test.ts`), 'utf8'), new RegExp(`^fixtureTests\\('${g}'\\);$`, 'm'), g);
    }
  });

  it('puts every fixture in a group', () => {
    const fixtures = listFixtures();
    assert.ok(fixtures.length > 150, `${fixtures.length} fixtures`);
    const counts = new Map<string, number>();
    for (const fx of fixtures) counts.set(fixtureGroup(fx), (counts.get(fixtureGroup(fx)) ?? 0) + 1);
    assert.deepEqual([...counts.keys()].sort(), [...FIXTURE_GROUPS].sort());
  });
});

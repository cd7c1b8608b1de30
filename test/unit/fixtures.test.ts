// Runs every fixture under test/fixtures through the generic harness (see test/harness/fixtures.ts).
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { checkFixture, listFixtures } from '../harness/fixtures';

const fixtures = listFixtures();

describe('rule fixtures', () => {
  for (const fx of fixtures) {
    it(`${fx.rule}/${path.basename(fx.file)}`, async () => {
      const { problems } = await checkFixture(fx);
      assert.deepEqual(problems, [], problems.join('\n'));
    });
  }
});

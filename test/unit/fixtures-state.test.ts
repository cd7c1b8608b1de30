// The rule fixtures of the group "state" through the generic harness (test/harness/fixtures.ts).
import { fixtureTests } from '../harness/fixtures';

fixtureTests('state');

// The rule fixtures of the group "cpu" through the generic harness (test/harness/fixtures.ts).
import { fixtureTests } from '../harness/fixtures';

fixtureTests('cpu');

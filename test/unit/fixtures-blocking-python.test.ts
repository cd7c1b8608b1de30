// The rule fixtures of the group "blocking-python" through the generic harness (test/harness/fixtures.ts).
import { fixtureTests } from '../harness/fixtures';

fixtureTests('blocking-python');

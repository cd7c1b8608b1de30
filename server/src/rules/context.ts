// How messages name the code a finding is in: "async function `loadUser`", "coroutine `poll`",
// "route handler", "setTimeout callback".

import type { FunctionScope, SourceModel } from '../engine/model';

export function describeContext(model: SourceModel, scope: FunctionScope): string {
  const name = scope.name ? ` \`${scope.name}\`` : '';
  if (scope.kind === 'async') return model.family === 'python' ? `coroutine${name}` : `async function${name}`;
  return scope.reason ? `${scope.reason}${name}` : `event-loop callback${name}`;
}

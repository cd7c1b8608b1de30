// Shared state across awaits. Run `npx loopguard check examples/`.
let balance = 0;
const sessions = new Map<string, { token: string }>();

export async function deposit(source: () => Promise<number>): Promise<void> {
  // `balance` is read before the await: a deposit made meanwhile is overwritten
  balance += await source();
}

export async function session(user: string, login: (u: string) => Promise<{ token: string }>) {
  if (!sessions.has(user)) {
    // two requests for the same user both log in
    sessions.set(user, await login(user));
  }
  return sessions.get(user);
}

export async function withdraw(amount: number, audit: () => Promise<void>): Promise<void> {
  await audit();
  balance -= amount; // read and written after the await: not reported
}

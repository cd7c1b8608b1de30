let balance = 0;

export async function deposit(source: () => Promise<number>): Promise<void> {
  balance += await source();
}

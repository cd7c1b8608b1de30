export async function score(n: number): Promise<number> {
  let total = 0;
  for (let i = 0; i < n; i++) {
    total += i * i;
  }
  return total;
}

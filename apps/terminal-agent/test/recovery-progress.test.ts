import { progressReporter } from "../src/recovery/progress";

/** `startup --force` progress: a bar redrawn in place on a TTY, plain lines in a journal. */
describe("recovery progress", () => {
  const stream = (isTTY: boolean) => {
    const out: string[] = [];
    return { out, s: { isTTY, write: (chunk: string) => out.push(chunk) } as unknown as NodeJS.WriteStream };
  };

  it("redraws one line with a bar on a TTY", () => {
    const { out, s } = stream(true);
    const p = progressReporter(s);
    p.page(1, 100);
    p.page(2, 200);
    p.done(2, 200);
    expect(out.every((l) => l.startsWith("\r"))).toBe(true);
    expect(out[1]).toMatch(/^\rrecovery \[[#-]{24}\] page 2, 200 rows, \d+ rows\/s $/);
    expect(out[2]).toMatch(/^\rrecovery \[#{24}\] done: 200 rows in 2 pages, \d+ rows\/s\n$/);
  });

  it("writes one plain line per page elsewhere", () => {
    const { out, s } = stream(false);
    const p = progressReporter(s);
    p.page(1, 100);
    p.done(1, 100);
    expect(out).toEqual(["recovery: page 1, 100 rows so far\n", "recovery: done, 100 rows in 1 pages\n"]);
  });
});

import { isRealDate } from "../src/row-schemas";

/** The check isRealDate replaced (a regex and a Date.UTC round trip): its answers are the contract. */
function roundTrip(v: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(v);
  if (!m || Number.isNaN(Date.parse(v))) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d;
}

const pad = (n: number, w: number) => String(n).padStart(w, "0");

describe("isRealDate", () => {
  it("answers as the Date.UTC round trip for every month and day around the calendar's edges", () => {
    const years = [0, 1, 4, 99, 100, 400, 1600, 1700, 1900, 1970, 2000, 2023, 2024, 2100, 2400, 9999];
    const suffixes = ["", "T10:00:00Z", "T10:00:00.123+02:00", "T23:59:59.999-12:00", "T10:00", "T25:00:00Z", " x"];
    let real = 0;
    for (const y of years)
      for (let mo = 0; mo <= 13; mo++)
        for (let d = 0; d <= 32; d++)
          for (const s of suffixes) {
            const v = `${pad(y, 4)}-${pad(mo, 2)}-${pad(d, 2)}${s}`;
            expect([v, isRealDate(v)]).toEqual([v, roundTrip(v)]);
            if (roundTrip(v)) real++;
          }
    // Not a vacuous comparison: both sides accept many of these and refuse many.
    expect(real).toBeGreaterThan(1000);
  });

  it("answers as the round trip for malformed strings", () => {
    for (const v of [
      "",
      "2026",
      "2026-01",
      "2026-01-0",
      "2026-1-01",
      "2026/01/01",
      "abcd-ef-gh",
      "２０２６-01-01",
      "2026-０1-01",
      "-2026-01-01",
      "+2026-01-01",
      "2026-02-29T00:00:00Z",
      "2024-02-29T00:00:00Z",
      "1900-02-29",
      "2000-02-29",
      "2026-01-01Tnonsense",
      " 2026-01-01",
      "2026-01-01T10:00:00+0100",
    ])
      expect([v, isRealDate(v)]).toEqual([v, roundTrip(v)]);
  });
});

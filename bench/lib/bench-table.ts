import type { BenchFigure } from "./bench-report";

function num(n: number | null): string {
  if (n === null || !Number.isFinite(n)) return "—";
  return Math.abs(n) >= 100 ? Math.round(n).toLocaleString("en-US") : n.toFixed(Math.abs(n) >= 10 ? 1 : 2);
}

/** The runner's one table: figure, value, baseline, ratio, target, met. */
export function figureTable(figures: BenchFigure[]): string {
  const rows = figures.map((f) => [
    `${f.bench}: ${f.figure}`,
    `${num(f.value)} ${f.unit}`,
    f.baseline === null ? "—" : `${num(f.baseline)} ${f.unit}`,
    f.ratio === null ? "—" : `${f.ratio.toFixed(2)}×`,
    f.target,
    f.met === null ? "—" : f.met ? "yes" : "NO",
  ]);
  const head = ["figure", "value", "baseline", "ratio", "target", "met"];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join("  ")
      .trimEnd();
  return [line(head), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

import { appendFileSync } from "node:fs";

/**
 * One figure of a bench, beside its same-run baseline (SPEC §7). Each bench prints its own
 * lines as before and reports its figures here; `npm run bench` (bench/run-all.ts) collects
 * them through BENCH_FIGURES_FILE (one JSON object per line) into its table and results.json.
 */
export interface BenchFigure {
  bench: string;
  figure: string;
  value: number;
  unit: string;
  /** The same-run baseline, in the same unit; null where the figure has none. */
  baseline: number | null;
  /** value / baseline. */
  ratio: number | null;
  /** The SPEC §7 target in words ("≤ 250 ms"); "—" where SPEC sets none. */
  target: string;
  /** Whether the target was met; null where there is none. */
  met: boolean | null;
}

export function reportFigure(f: Omit<BenchFigure, "ratio"> & { ratio?: number | null }): void {
  const ratio = f.ratio !== undefined ? f.ratio : f.baseline ? f.value / f.baseline : null;
  const file = process.env.BENCH_FIGURES_FILE;
  if (file) appendFileSync(file, `${JSON.stringify({ ...f, ratio })}\n`);
}

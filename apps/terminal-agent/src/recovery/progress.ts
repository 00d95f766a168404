/** Progress of a page-by-page download whose total is unknown up front (the feed is open-ended). */
export interface ProgressReporter {
  page(pages: number, rows: number): void;
  done(pages: number, rows: number): void;
}

/**
 * On a TTY: one line redrawn in place, a moving bar (the total is unknown) with pages, rows
 * and rate. Elsewhere (systemd journal, a pipe): one plain line per page, easy to grep.
 */
export function progressReporter(stream: NodeJS.WriteStream = process.stdout, label = "recovery"): ProgressReporter {
  const started = Date.now();
  const rate = (rows: number) => Math.round(rows / Math.max(0.001, (Date.now() - started) / 1000));
  if (!stream.isTTY) {
    return {
      page: (pages, rows) => void stream.write(`${label}: page ${pages}, ${rows} rows so far\n`),
      done: (pages, rows) => void stream.write(`${label}: done, ${rows} rows in ${pages} pages\n`),
    };
  }
  const width = 24;
  return {
    page(pages, rows) {
      const at = pages % width;
      const bar = Array.from({ length: width }, (_, i) => (Math.abs(i - at) <= 2 ? "#" : "-")).join("");
      stream.write(`\r${label} [${bar}] page ${pages}, ${rows} rows, ${rate(rows)} rows/s `);
    },
    done(pages, rows) {
      stream.write(`\r${label} [${"#".repeat(width)}] done: ${rows} rows in ${pages} pages, ${rate(rows)} rows/s\n`);
    },
  };
}

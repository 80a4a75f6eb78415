/** One step of a model download, for the terminal bar and the server's progress events. */
export interface DownloadProgress {
  model: string;
  file: string;
  loaded: number;
  /** Null when the server sends no length. */
  total: number | null;
  done: boolean;
}

const WIDTH = 28;

export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

/** One progress line: `file [#####-----] 40% 4.0 MB / 10.0 MB`. */
export function renderProgressLine(e: DownloadProgress): string {
  if (e.total === null || e.total === 0) return `${e.file} ${formatBytes(e.loaded)}`;
  const fraction = Math.min(1, e.loaded / e.total);
  const filled = Math.round(fraction * WIDTH);
  const bar = `${'#'.repeat(filled)}${'-'.repeat(WIDTH - filled)}`;
  return `${e.file} [${bar}] ${Math.round(fraction * 100)}% ${formatBytes(e.loaded)} / ${formatBytes(e.total)}`;
}

/** A progress callback drawing a bar on a terminal (redrawn in place, at most ~10 times a second). */
export function createTerminalProgress(write: (text: string) => void, isTTY: boolean): (e: DownloadProgress) => void {
  let last = 0;
  return (e) => {
    const now = Date.now();
    if (!e.done && now - last < 100) return;
    last = now;
    const line = renderProgressLine(e);
    if (isTTY) write(`\r\u001b[2K${line}${e.done ? '\n' : ''}`);
    else if (e.done) write(`${line}\n`);
  };
}

/** Files from a drop, folders walked recursively (webkitGetAsEntry), keeping their relative paths. */
export async function droppedFiles(transfer: DataTransfer): Promise<File[]> {
  const entries = [...transfer.items]
    .map((item) => (item.kind === 'file' ? item.webkitGetAsEntry?.() : null))
    .filter((entry): entry is FileSystemEntry => Boolean(entry));
  if (entries.length === 0) return [...transfer.files];
  const out: File[] = [];
  for (const entry of entries) await walk(entry, out);
  return out;
}

async function walk(entry: FileSystemEntry, out: File[]): Promise<void> {
  if (entry.isFile) {
    const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
    const name = entry.fullPath.replace(/^\//, '') || file.name;
    out.push(name === file.name ? file : new File([file], name, { type: file.type, lastModified: file.lastModified }));
    return;
  }
  const reader = (entry as FileSystemDirectoryEntry).createReader();
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
    if (batch.length === 0) return;
    for (const child of batch) await walk(child, out);
  }
}

/** Files from a picker; a folder picker's files keep their path inside the folder. */
export function pickedFiles(list: FileList | null): File[] {
  return [...(list ?? [])].map((file) =>
    file.webkitRelativePath
      ? new File([file], file.webkitRelativePath, { type: file.type, lastModified: file.lastModified })
      : file,
  );
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

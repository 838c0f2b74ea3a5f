// Offers bytes the host made (an export, a signed report's PDF) to the user as a file to save. The
// object URL lives only as long as the download needs it; nothing is kept in browser storage.
export function download(name: string, type: string, bytes: Uint8Array): void {
  const url = URL.createObjectURL(new Blob([bytes as BlobPart], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

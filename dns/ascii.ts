// Whether a string is all ASCII, for the code paths that handle such names as bytes without encoding them. Pure.

export function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return false;
  return true;
}

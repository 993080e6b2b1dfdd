// The crypto API of format v1 (docs/FORMAT.md): headers, per-file ciphers
// for runs of data units, and a reference reader/writer of lower files.
//
// Typical use, new file:
//   const { header, cipher } = createFileCipher(await provider.getKey(name));
//   write `header` at lower offset 0, then for plaintext at unit u:
//   cipher.encryptUnits(u, data) at lower offset HEADER_SIZE + u * DATA_UNIT_SIZE.
// Existing file:
//   detectHeader(first4096, lowerSize) === 'no-header' -> plaintext file;
//   otherwise const cipher = await openFileCipher(first4096, provider).
// Call cipher.dispose() when the file is closed.

export {
  ALGORITHM_AES_256_XTS, DATA_UNIT_SIZE, FORMAT_VERSION, HEADER_SIZE, KEY_MATERIAL_SIZE, MAGIC, NONCE_SIZE, OFFSET,
} from './constants';
export { hkdf } from './hkdf';
export type { HkdfHash } from './hkdf';
export { detectHeader, parseHeader } from './header';
export type { FileHeader, HeaderDetection } from './header';
export { createFileCipher, fileCipherFromHeader, FileCipher, openFileCipher } from './file-cipher';
export type { PatchOptions } from './file-cipher';
export { isZeroUnit } from './unit-cipher';
export { detectLowerFile, EncryptedFile } from './encrypted-file';
export type { LowerFileKind } from './encrypted-file';

// Fixed numbers of on-disk format v1 (docs/FORMAT.md is the specification;
// change nothing here without a new format version).

/** Bytes before the first data unit in the lower file. */
export const HEADER_SIZE = 4096;

/** Bytes of plaintext per data unit; the XTS tweak is the unit's index. */
export const DATA_UNIT_SIZE = 4096;

/** Format version written by this code; the only one it reads. */
export const FORMAT_VERSION = 1;

/** Algorithm id 1: AES-256-XTS contents, HKDF-SHA-512 per-file keys, HMAC-SHA-256 header. */
export const ALGORITHM_AES_256_XTS = 1;

/** No flag is defined in v1; a reader rejects any set bit. */
export const KNOWN_FLAGS = 0;

/** First 8 bytes of every encrypted lower file: "\x89TKRYPT\n". */
export const MAGIC: Buffer = Buffer.from([0x89, 0x54, 0x4b, 0x52, 0x59, 0x50, 0x54, 0x0a]);

/** Longest key name the header can hold (the key store's own limit). */
export const KEY_NAME_MAX = 64;

/** Byte offset of every header field; all integers are little-endian. */
export const OFFSET = {
  magic: 0,
  version: 8,
  algorithm: 10,
  headerSize: 12,
  dataUnitSize: 16,
  flags: 20,
  keyVersion: 24,
  keyNameLength: 28,
  reservedA: 29,
  nonce: 32,
  keyCheck: 48,
  keyName: 64,
  reservedB: 128,
  mac: 4064,
} as const;

/** Sizes of the header's byte-string fields. */
export const NONCE_SIZE = 16;
export const KEY_CHECK_SIZE = 16;
export const MAC_SIZE = 32;

/** Length of key material the provider hands over (AES-256). */
export const KEY_MATERIAL_SIZE = 32;

/** HKDF info strings; distinct so no two derived keys can coincide. */
export const INFO = {
  xtsKey: 'takakrypt v1 aes-256-xts data unit key',
  tailKey: 'takakrypt v1 short tail keystream key',
  macKey: 'takakrypt v1 header hmac-sha-256 key',
  keyCheck: 'takakrypt v1 key check value',
} as const;

/** Largest unit index whose byte offsets stay exact in a JavaScript number. */
export const MAX_UNIT_INDEX = Math.floor(Number.MAX_SAFE_INTEGER / DATA_UNIT_SIZE) - 1;

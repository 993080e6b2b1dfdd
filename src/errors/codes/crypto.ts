// Error codes of the crypto domain: code -> one-line summary (docs/ERRORS.md has the details).
export const cryptoCodes = {
  CRYPTO_NO_HEADER: 'the lower file has no Takakrypt header: it holds plaintext',
  CRYPTO_HEADER_TRUNCATED: 'the lower file starts with the header magic but is shorter than the 4096-byte header',
  CRYPTO_HEADER_INVALID: 'a header field holds a value format v1 does not allow',
  CRYPTO_UNSUPPORTED_VERSION: 'the header names a format version this agent cannot read',
  CRYPTO_UNSUPPORTED_ALGORITHM: 'the header names an algorithm id this agent cannot use',
  CRYPTO_UNKNOWN_FLAGS: 'the header sets flag bits this agent does not know',
  CRYPTO_KEY_MISMATCH: 'the key supplied is not the key the file was encrypted with',
  CRYPTO_HEADER_TAMPERED: 'the header authenticator does not match: the header was altered',
  CRYPTO_KEY_INVALID: 'key material or key identity unusable for format v1',
  CRYPTO_RANGE_INVALID: 'a unit index, offset, length or size is outside what the format allows',
  CRYPTO_CIPHER_DISPOSED: 'a file cipher was used after dispose() wiped it',
  CRYPTO_LOWER_FILE_INVALID: 'the lower file does not have the shape of an encrypted file',
  CRYPTO_XTS_FAILED: 'OpenSSL refused an AES-256-XTS run of data units',
} as const;

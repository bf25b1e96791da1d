import { AppError } from '../errors';

/** Why a whole file was refused; row-level problems are reported per row instead. */
export type DocumentErrorCode =
  | 'invalid_filename'
  | 'empty_file'
  | 'unsupported_type'
  | 'type_mismatch'
  | 'invalid_encoding'
  | 'invalid_json'
  | 'missing_columns'
  | 'corrupt_file'
  | 'no_text'
  | 'too_large'
  | 'parse_timeout';

/**
 * A file that cannot be ingested at all. An AppError, so an upload route can answer 422 with the
 * code as is; activities should rethrow it as a non-retryable failure, since trying again cannot
 * fix the bytes.
 */
export class DocumentError extends AppError {
  constructor(
    override readonly code: DocumentErrorCode,
    message: string,
  ) {
    super(422, code, message);
  }
}

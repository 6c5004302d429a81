/** A usage or precondition problem: printed without a stack, exit status 2. */
export class CliError extends Error {
  override readonly name = 'CliError';
  readonly code = 'cli_error';
}
